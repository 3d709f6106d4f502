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

/** The README's "Embed it" code block, verbatim. */
export function readmeExample(): string {
  const m = /## Embed it\n\n```ts\n([\s\S]*?)```/.exec(readFileSync(join(REPO, 'README.md'), 'utf8'));
  if (!m) throw new Error('README.md has no ```ts block under "## Embed it"');
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
    'src/main.ts': `import handUrl from 'hiu-webgpu/assets/hand-left.safetensors?url';
import { InvalidImageError } from 'hiu-webgpu';
import { Engine } from 'hiu-webgpu/engine';
import { embeddingExample } from './example.ts';

${DRAW}
const report = (r: object) => ((window as unknown as { __hiu: object }).__hiu = r);
embeddingExample('/hiu-small.safetensors', handUrl, canvas).then(
  ({ result, layers }) =>
    report({
      ok: true, keypoints: result.keypoints.length, vertices: result.vertices!.length, layers,
      errorName: new InvalidImageError('x').name, engineCreate: typeof Engine.create,
    }),
  (e: Error) => report({ ok: false, error: \`\${e.name}: \${e.message}\` }),
);
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
