/**
 * The throwaway projects the package test installs the packed tarball into, written from scratch
 * as a user would have them: a create-vite "vanilla-ts" app, a plain HTML page for the
 * single-file bundle, and a Node project. Also the command runner they share.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = new URL('../../', import.meta.url).pathname;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a fresh shell: no npm_* variables from the npm that started the tests (they
 * would configure the inner npm), and `unset` removed.
 */
export function cleanEnv(unset: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !unset.includes(k)) env[k] = v;
  return env;
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** `what` failed: the command's output, for the assertion message. */
export const show = (r: RunResult) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

const repoVersion = (pkg: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** The first ```ts block of a README section, verbatim. */
export function readmeExample(section = 'Embed it'): string {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = text.indexOf(`\n## ${section}\n`);
  const m = start < 0 ? null : /```ts\n([\s\S]*?)```/.exec(text.slice(start, text.indexOf('\n## ', start + 4) >>> 0 || undefined));
  if (!m) throw new Error(`README.md has no \`\`\`ts block under "## ${section}"`);
  return m[1];
}

/** A test image drawn on a canvas (a skin-coloured square with a darker block). */
const DRAW = `const canvas = document.createElement('canvas');
canvas.width = 96;
canvas.height = 80;
const ctx = canvas.getContext('2d')!;
ctx.fillStyle = '#c89070';
ctx.fillRect(0, 0, 96, 80);
ctx.fillStyle = '#302018';
ctx.fillRect(30, 20, 30, 40);`;

/**
 * create-vite's vanilla-ts template (package.json scripts, index.html, tsconfig.json as the
 * template has them; "strict" spelled out because the template's TypeScript 6 has it on by
 * default and the repo's 5.9 does not), with the README example as src/example.ts and a
 * main.ts that runs it on a canvas and puts the outcome on window.__hiu.
 */
export function writeViteApp(dir: string, tarball: string): void {
  write(dir, {
    'package.json': JSON.stringify(
      {
        name: 'vite-typescript-starter', private: true, version: '0.0.0', type: 'module',
        scripts: { dev: 'vite', build: 'tsc && vite build', preview: 'vite preview' },
        dependencies: { 'hiu-webgpu': `file:${tarball}` },
        devDependencies: { typescript: repoVersion('typescript'), vite: repoVersion('vite') },
      },
      null,
      2,
    ),
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: {
          target: 'es2023', module: 'esnext', lib: ['ES2023', 'DOM'], types: ['vite/client'], allowArbitraryExtensions: true, skipLibCheck: true,
          moduleResolution: 'bundler', allowImportingTsExtensions: true, verbatimModuleSyntax: true, moduleDetection: 'force', noEmit: true,
          strict: true, noUnusedLocals: true, noUnusedParameters: true, erasableSyntaxOnly: true, noFallthroughCasesInSwitch: true,
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'index.html': `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Vite + TS</title>
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/src/main.ts"></script>
  </body>
</html>
`,
    'public/favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4" fill="#c89070"/></svg>\n',
    'src/example.ts': readmeExample(),
    'src/handsExample.ts': readmeExample('Hands out of the box'),
    // index.html runs the HIU-DMTL example; index.html?hands the trained one on public/nocurl.jpg,
    // with the shipped files' URLs from Vite as the README's "Bundlers" says.
    'src/main.ts': `import handUrl from 'hiu-webgpu/assets/hand-left.safetensors?url';
import rightHandUrl from 'hiu-webgpu/assets/hand-right.safetensors?url';
import palm from 'hiu-webgpu/models/palm_detection_lite.tflite?url';
import landmark from 'hiu-webgpu/models/hand_landmark_lite.tflite?url';
import { InvalidImageError } from 'hiu-webgpu';
import { Engine } from 'hiu-webgpu/engine';
import { embeddingExample } from './example.ts';
import { handsExample } from './handsExample.ts';

${DRAW}
const report = (r: object) => ((window as unknown as { __hiu: object }).__hiu = r);
const failed = (e: Error) => report({ ok: false, error: \`\${e.name}: \${e.message}\` });
if (location.search === '?hands') {
  const img = new Image();
  img.src = '/nocurl.jpg';
  img
    .decode()
    .then(() => handsExample(img, { models: { palm, landmark }, mesh: { left: handUrl, right: rightHandUrl } }))
    .then(
      ({ hands, layers }) =>
        report({ ok: true, layers, hands: hands.map((h) => ({ label: h.handedness.label, keypoints: h.keypoints.map((k) => [k.x, k.y]), vertices: h.mesh?.vertices.length ?? 0 })) }),
      failed,
    );
} else {
  embeddingExample('/hiu-small.safetensors', handUrl, canvas).then(
    ({ result, layers }) =>
      report({
        ok: true, keypoints: result.keypoints.length, vertices: result.vertices!.length, layers,
        errorName: new InvalidImageError('x').name, engineCreate: typeof Engine.create,
      }),
    failed,
  );
}
`,
  });
}

/**
 * A page with no bundler: one <script type="module"> importing the single-file bundle next to
 * it. It runs the README example's steps, then hides navigator.gpu and asks for an estimator
 * whose weights live under /count/ (the server counts those requests: there must be none).
 */
export function writePlainPage(dir: string): void {
  write(dir, {
    'index.html': `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>hiu-webgpu without a bundler</title></head>
<body>
<script type="module">
  import { createHandEstimator, EngineError, InvalidImageError, WebGPUUnavailableError } from './hiu-webgpu.js';

  ${DRAW.replace('!', '')}
  const report = {};
  try {
    const estimator = await createHandEstimator({ weights: 'hiu-small.safetensors', hand: 'hand-left.safetensors' });
    const result = await estimator.estimate(canvas, { hand: 'right' });
    await estimator.estimate(canvas, { hand: 'up' }).catch((e) => (report.optionsError = e.name));
    await estimator.estimate(null, { hand: 'left' }).catch((e) => (report.imageError = e.name));
    const profile = await estimator.profile();
    await estimator.dispose();
    Object.assign(report, { ok: true, keypoints: result.keypoints.length, vertices: result.vertices.length, layers: profile.layers.length });
  } catch (e) {
    Object.assign(report, { ok: false, error: e.name + ': ' + e.message });
  }
  Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  try {
    await createHandEstimator({ weights: '/count/weights.safetensors', hand: '/count/hand.safetensors' });
    report.noGpu = 'resolved';
  } catch (e) {
    report.noGpu = { name: e.name, isClass: e instanceof WebGPUUnavailableError && e instanceof EngineError, message: e.message };
  }
  report.constructed = new InvalidImageError('x').name;
  window.__hiu = report;
</script>
</body>
</html>
`,
    // The package's own layout under pkg/ (dist/, models/, assets/), as a CDN serves it: the
    // bundle finds the shipped models and hand assets next to itself, with no URLs given.
    'hands.html': `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>hiu-webgpu: hands from the CDN layout</title></head>
<body>
<img id="photo" src="nocurl.jpg">
<script type="module">
  import { createHandEstimator } from './pkg/dist/hiu-webgpu.js';

  const report = {};
  try {
    const img = document.getElementById('photo');
    await img.decode();
    const estimator = await createHandEstimator({ model: 'lite' });
    const hands = await estimator.estimateHands(img);
    Object.assign(report, {
      ok: true, files: estimator.info.files,
      hands: hands.map((h) => ({ label: h.handedness.label, keypoints: h.keypoints.map((k) => [k.x, k.y]), vertices: h.mesh ? h.mesh.vertices.length : 0 })),
    });
    await estimator.dispose();
  } catch (e) {
    Object.assign(report, { ok: false, error: e.name + ': ' + e.message });
  }
  window.__hiu = report;
</script>
</body>
</html>
`,
  });
}

/** A Node project's script: every entry point, a hand asset read from a path, Dawn. */
export function writeNodeProject(dir: string, tarball: string): void {
  write(dir, {
    'package.json': JSON.stringify(
      { name: 'node-user', private: true, type: 'module', dependencies: { 'hiu-webgpu': `file:${tarball}`, webgpu: repoVersion('webgpu') } },
      null,
      2,
    ),
    'check.mjs': `import { fileURLToPath } from 'node:url';
import * as api from 'hiu-webgpu';
import { Engine } from 'hiu-webgpu/engine';
import { conv2d } from 'hiu-webgpu/kernels';
import { loadWeights } from 'hiu-webgpu/weights';

const hand = fileURLToPath(import.meta.resolve('hiu-webgpu/assets/hand-left.safetensors'));
const asset = await api.loadManoAsset(hand);
const engine = await Engine.create();
const adapter = engine.ctx.adapterInfo.description;
engine.dispose();
console.log(JSON.stringify({
  createHandEstimator: typeof api.createHandEstimator, conv2d: typeof conv2d, loadWeights: typeof loadWeights,
  side: asset.side, vertices: asset.numVertices, adapter, errorName: new api.WeightsError('x').name,
}));
`,
    // createHandEstimator() with no model arguments: the models and hand assets shipped in the
    // package, found from the installed module's own URL. argv: RGBA pixel file, width, height.
    'hands.mjs': `import { readFileSync } from 'node:fs';
import { createHandEstimator } from 'hiu-webgpu';

const [file, w, h] = process.argv.slice(2);
const est = await createHandEstimator({ model: 'lite' });
const tex = est.device.createTexture({ size: [+w, +h], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
est.device.queue.writeTexture({ texture: tex }, readFileSync(file), { bytesPerRow: 4 * w }, [+w, +h]);
const hands = await est.estimateHands(tex);
console.log(JSON.stringify({
  family: est.family, model: est.info.model, files: est.info.files,
  hands: hands.map((x) => ({ label: x.handedness.label, keypoints: x.keypoints.map((k) => [k.x, k.y]), meshVertices: x.mesh ? x.mesh.vertices.length / 3 : 0 })),
}));
tex.destroy();
await est.dispose();
`,
  });
}

/** For a project without the optional peer dependency `webgpu`: the error must say what to install. */
export function writeNoDawnScript(dir: string): void {
  write(dir, {
    'no-dawn.mjs': `import { Engine } from 'hiu-webgpu/engine';
await Engine.create().then(() => console.log('created'), (e) => console.log(e.name + ': ' + e.message));
`,
  });
}
