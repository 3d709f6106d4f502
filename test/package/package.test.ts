// The published package as its users get it: `npm pack` once (which builds dist/), the tarball
// installed from the npm cache into fresh projects, then each way of using it checked for real:
// a create-vite TypeScript app (tsc, vite build, vite dev, the README example in Chromium), a page
// without a bundler (the single-file bundle), a Node script, and the `hiu` CLI through npx.
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../browser/chromium.ts';
import { cleanEnv, REPO, run, show, writeNoDawnScript, writeNodeProject, writePlainPage, writeViteApp, type RunResult } from './projects.ts';
import { runPage, startStatic, startVite, type PageRun } from './serve.ts';

const INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const FIXTURE = join(REPO, 'test/fixtures/hiu-small/plain.zip.pth');
/** Strings only the Node side (src/platform/node.ts) contains: none may reach a browser bundle. */
const NODE_ONLY = [/createReadStream/, /vk_swiftshader_icd/, /ERR_MODULE_NOT_FOUND/, /\(\s*["'`]webgpu["'`]\s*\)/, /["'`]node:fs/];

let work: string;
let tarball: string;
let files: string[];
let app: string;
let nodeProject: string;
let chromium: { browser: Browser; close(): Promise<void> };
const timings: string[] = [];

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings.push(`${what} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

const ok = (r: RunResult) => expect(r.code, show(r)).toBe(0);

/** One of fingerpose's photos (MIT), decoded to RGBA. */
const photo = (name: string) => jpeg.decode(readFileSync(join(REPO, 'node_modules/fingerpose/assets', name)), { useTArray: true, formatAsRGBA: true });

/** Keypoints in pixels within a mean of 3 % of the box of MediaPipe's own (lite) on the same photo. */
function expectNearGolden(kp: number[][], name: string, img: { width: number; height: number }): void {
  const golden = JSON.parse(readFileSync(join(REPO, 'test/fixtures/mediapipe-hands/lite.json'), 'utf8')) as { photos: Record<string, { hands: { landmarks: number[][] }[] }> };
  const ref = golden.photos[name].hands[0].landmarks.map(([x, y]) => [x * img.width, y * img.height]);
  const box = Math.max(...[0, 1].map((a) => Math.max(...ref.map((p) => p[a])) - Math.min(...ref.map((p) => p[a]))));
  const mean = kp.reduce((s, k, i) => s + Math.hypot(k[0] - ref[i][0], k[1] - ref[i][1]), 0) / 21 / box;
  expect(kp).toHaveLength(21);
  // Installed code runs with default options: the first crop turned by 90 degrees as in the
  // @mediapipe/hands graph, while the golden's HandLandmarker turns it by 90 radians (README), so
  // the crops differ a little (4.4 % measured on nocurl.jpg). With TASKS_PALM_TARGET_ANGLE the
  // agreement is < 3 % (test/api). A broken pipeline lands far outside 6 %.
  expect(mean, `${name}: mean keypoint distance ${(100 * mean).toFixed(1)} % of the box`).toBeLessThan(0.06);
}
const npx = (cwd: string, args: string[], env = cleanEnv()) => run('npx', ['hiu', ...args], cwd, env);

/** The Node-only markers found in the .js files under `dir`: a browser bundle must have none. */
function nodeOnlyIn(dir: string): string[] {
  const found: string[] = [];
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.js')) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    for (const re of NODE_ONLY) if (re.test(text)) found.push(`${f}: ${re}`);
  }
  return found;
}

/** The README's trained example ran on nocurl.jpg: one hand near MediaPipe's own, with its mesh. */
function expectHandsRan(r: PageRun): void {
  const why = `${JSON.stringify(r.result).slice(0, 2000)}\n${[...r.problems, ...r.log].join('\n')}`;
  expect(r.problems, why).toEqual([]);
  expect(r.result.ok, why).toBe(true);
  const hands = r.result.hands as { label: string; keypoints: number[][]; vertices: number }[];
  expect(hands, why).toHaveLength(1);
  expect(hands[0].vertices, why).toBe(778 * 3);
  expectNearGolden(hands[0].keypoints, 'nocurl.jpg', { width: 480, height: 640 });
}

function expectExampleRan(r: PageRun): void {
  const why = `${JSON.stringify(r.result)}\n${[...r.problems, ...r.log].join('\n')}`;
  expect(r.problems, why).toEqual([]);
  expect(r.result, why).toMatchObject({ ok: true, keypoints: 21, vertices: 778 * 3, errorName: 'InvalidImageError', engineCreate: 'function' });
  expect(r.result.layers as number, why).toBeGreaterThan(100);
}

/** The small fixture network, converted by the installed CLI (once; both web projects serve it). */
let converted: Promise<RunResult> | undefined;
const convertOnce = () =>
  (converted ??= npx(app, ['convert', FIXTURE, '-o', join(app, 'public/hiu-small.safetensors'), '--input-size', '64']));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hiu-package-'));
  const pack = await timed('npm pack (builds dist/)', () => run('npm', ['pack', '--json', '--pack-destination', work], REPO));
  ok(pack);
  // Lifecycle scripts (prepack: the build) print to the same stdout before npm's JSON.
  const info = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as { filename: string; files: { path: string; mode: number }[] }[];
  tarball = join(work, info[0].filename);
  files = info[0].files.map((f) => f.path);
  app = join(work, 'vite-app');
  nodeProject = join(work, 'node-project');
  writeViteApp(app, tarball);
  copyFileSync(join(REPO, 'node_modules/fingerpose/assets/nocurl.jpg'), join(app, 'public/nocurl.jpg'));
  writeNoDawnScript(app);
  writeNodeProject(nodeProject, tarball);
  const [a, n] = await timed('npm install into both projects', () => Promise.all([run('npm', INSTALL, app), run('npm', INSTALL, nodeProject)]));
  ok(a);
  ok(n);
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`package test timings: ${timings.join('; ')}`);
});

describe('the packed tarball', () => {
  test('holds dist/ (ESM, maps, .d.ts for every entry), the bundle, the CLI, the assets, LICENSE, and nothing else', () => {
    for (const f of [
      'LICENSE', 'README.md', 'package.json', 'assets/hand-left.safetensors', 'dist/hiu-webgpu.js', 'dist/hiu-webgpu.js.map', 'dist/tools/convert/bin.js',
      ...['palm_detection', 'hand_landmark'].flatMap((m) => [`models/${m}_full.tflite`, `models/${m}_lite.tflite`]), 'models/NOTICE.md',
    ]) {
      expect(files).toContain(f);
    }
    for (const entry of ['index', 'engine/index', 'kernels/index', 'weights/index', 'import/index']) {
      for (const ext of ['.js', '.js.map', '.d.ts']) expect(files).toContain(`dist/src/${entry}${ext}`);
    }
    const stray = files.filter((f) => !/^(dist\/|assets\/|models\/|LICENSE$|README\.md$|package\.json$)/.test(f) || /\.(py|pth|npy)$/.test(f));
    expect(stray).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules/hiu-webgpu/package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.private).toBeUndefined();
    expect(pkg).toMatchObject({ license: 'MIT', sideEffects: false, engines: { node: expect.any(String) }, repository: { url: expect.any(String) } });
    expect(pkg).toMatchObject({ peerDependenciesMeta: { webgpu: { optional: true } }, dependencies: { '@webgpu/types': expect.any(String) } });
    expect(Object.keys(pkg.exports as object)).toEqual(expect.arrayContaining(['.', './engine', './kernels', './weights', './import', './bundle', './assets/*', './models/*']));
    const bin = readFileSync(join(app, 'node_modules/hiu-webgpu/dist/tools/convert/bin.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(join(app, 'node_modules/hiu-webgpu/dist/tools/convert/bin.js')).mode & 0o111).not.toBe(0);
    // .d.ts files name .js modules: consumers' TypeScript has no allowImportingTsExtensions.
    const dts = readFileSync(join(app, 'node_modules/hiu-webgpu/dist/src/index.d.ts'), 'utf8');
    expect(dts).toContain('/// <reference types="@webgpu/types"');
    expect(dts).not.toMatch(/from '\.[^']*\.ts'/);
  });

  test("the README's bundle size is the bundle's (within 15%)", () => {
    const m = /`dist\/hiu-webgpu\.js`: (\d+) kB minified, (\d+) kB gzipped/.exec(readFileSync(join(REPO, 'README.md'), 'utf8'));
    expect(m, 'README states "`dist/hiu-webgpu.js`: N kB minified, M kB gzipped"').not.toBeNull();
    const bundle = readFileSync(join(app, 'node_modules/hiu-webgpu/dist/hiu-webgpu.js'));
    const actual = [bundle.length / 1024, gzipSync(bundle).length / 1024];
    const stated = [Number(m![1]), Number(m![2])];
    for (const i of [0, 1]) expect(Math.abs(actual[i] / stated[i] - 1), `README says ${stated} kB, the bundle is ${actual.map(Math.round)} kB: update README`).toBeLessThan(0.15);
  });

  test('a publish dry run passes', async () => {
    const r = await timed('npm publish --dry-run', () => run('npm', ['publish', tarball, '--dry-run'], work));
    ok(r);
    expect(r.stderr + r.stdout).toMatch(/\+ hiu-webgpu@/);
  });
});

describe('a create-vite TypeScript app', () => {
  test('type-checks and builds with its default config (tsc && vite build), with no Node-only code in the bundle', async () => {
    ok(await convertOnce()); // public/ is copied into the build: the weights the pages load
    const r = await timed('app: npm run build', () => run('npm', ['run', 'build'], app));
    ok(r);
    expect(r.stdout + r.stderr).not.toMatch(/externalized for browser compatibility/);
    expect(readdirSync(join(app, 'dist/assets')).some((f) => /^hand-left-.*\.safetensors$/.test(f))).toBe(true);
    expect(nodeOnlyIn(join(app, 'dist'))).toEqual([]);
    // The README's "ships about N kB of JavaScript for it (M kB gzipped)": the app's own code is
    // a few kB of it.
    const m = /ships about (\d+) kB of JavaScript for it \((\d+) kB gzipped\)/.exec(readFileSync(join(REPO, 'README.md'), 'utf8'));
    expect(m, 'README states the JavaScript a Vite app ships').not.toBeNull();
    const js = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(app, 'dist/assets', f)));
    const actual = [js.reduce((s, b) => s + b.length, 0) / 1024, js.reduce((s, b) => s + gzipSync(b).length, 0) / 1024];
    for (const i of [0, 1]) expect(Math.abs(actual[i] / Number(m![i + 1]) - 1), `README says ${m![1]},${m![2]} kB, the app ships ${actual.map(Math.round)} kB: update README`).toBeLessThan(0.15);
    // The published types alone (skipLibCheck off): they need nothing but @webgpu/types.
    ok(await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.', '--skipLibCheck', 'false'], app));
  });

  test('runs the README examples (HIU-DMTL, and the trained models on a photo) in headless Chromium: vite build (preview), then vite dev', async () => {
    ok(await convertOnce());
    const preview = await startVite(app, 'preview');
    try {
      expectExampleRan(await timed('app: example under vite preview', () => runPage(chromium.browser, preview.url)));
      expectHandsRan(await timed('app: hands example under vite preview', () => runPage(chromium.browser, `${preview.url}?hands`)));
    } finally {
      await preview.close();
    }
    const dev = await startVite(app, 'dev');
    try {
      expectExampleRan(await timed('app: example under vite dev', () => runPage(chromium.browser, dev.url)));
      expectHandsRan(await timed('app: hands example under vite dev', () => runPage(chromium.browser, `${dev.url}?hands`)));
    } finally {
      await dev.close();
    }
    // What the dev server gave the browser: the pre-bundled package.
    expect(nodeOnlyIn(join(app, 'node_modules/.vite/deps'))).toEqual([]);
  });
});

describe('a page without a bundler', () => {
  test('loads the single-file bundle with <script type="module">; error names survive minification; no weights are fetched without WebGPU; the shipped models are found next to it', async () => {
    ok(await convertOnce());
    const page = join(work, 'plain-page');
    writePlainPage(page);
    const pkg = join(app, 'node_modules/hiu-webgpu');
    copyFileSync(join(pkg, 'dist/hiu-webgpu.js'), join(page, 'hiu-webgpu.js'));
    copyFileSync(join(pkg, 'assets/hand-left.safetensors'), join(page, 'hand-left.safetensors'));
    copyFileSync(join(app, 'public/hiu-small.safetensors'), join(page, 'hiu-small.safetensors'));
    const bundle = readFileSync(join(page, 'hiu-webgpu.js'), 'utf8');
    // Minified for real (class names mangled), so the name checks below mean something.
    expect(bundle).not.toMatch(/class InvalidImageError\b/);
    expect(nodeOnlyIn(page)).toEqual([]);
    const server = await startStatic(page);
    try {
      const r = await timed('plain page', () => runPage(chromium.browser, server.url));
      const why = `${JSON.stringify(r.result)}\n${[...r.problems, ...r.log].join('\n')}`;
      expect(r.problems, why).toEqual([]);
      expect(r.result, why).toMatchObject({
        ok: true, keypoints: 21, vertices: 778 * 3, optionsError: 'EstimateOptionsError', imageError: 'InvalidImageError', constructed: 'InvalidImageError',
        noGpu: { name: 'WebGPUUnavailableError', isClass: true },
      });
      expect(server.counted(), 'requests for weights while WebGPU was missing').toBe(0);
      // The bundle in the package's own layout finds the shipped models with no URLs given.
      for (const d of ['dist', 'models', 'assets']) cpSync(join(pkg, d), join(page, 'pkg', d), { recursive: true });
      copyFileSync(join(REPO, 'node_modules/fingerpose/assets/nocurl.jpg'), join(page, 'nocurl.jpg'));
      const hands = await timed('plain page: default models', () => runPage(chromium.browser, `${server.url}hands.html`));
      expectHandsRan(hands);
      expect((hands.result.files as { palm: string }).palm).toBe(`${server.url}pkg/models/palm_detection_lite.tflite`);
    } finally {
      await server.close();
    }
  });
});

describe('Node', () => {
  test('a Node script imports every entry point, reads the hand asset from a path, and creates a device with Dawn', async () => {
    const r = await timed('node script', () => run(process.execPath, ['check.mjs'], nodeProject));
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({
      createHandEstimator: 'function', conv2d: 'function', loadWeights: 'function', side: 'left', vertices: 778, errorName: 'WeightsError',
    });
  });

  test('createHandEstimator() with no model arguments uses the models shipped in the package and finds the hand in a photo', async () => {
    const img = photo('nocurl.jpg');
    writeFileSync(join(nodeProject, 'nocurl.rgba'), img.data);
    const r = await timed('node: default estimator', () => run(process.execPath, ['hands.mjs', 'nocurl.rgba', String(img.width), String(img.height)], nodeProject));
    ok(r);
    const out = JSON.parse(r.stdout) as { family: string; model: string; files: { palm: string; landmark: string }; hands: { label: string; keypoints: number[][]; meshVertices: number }[] };
    expect(out).toMatchObject({ family: 'mediapipe', model: 'lite' });
    expect(out.files.palm).toMatch(/node_modules\/hiu-webgpu\/models\/palm_detection_lite\.tflite$/);
    expect(out.files.landmark).toMatch(/node_modules\/hiu-webgpu\/models\/hand_landmark_lite\.tflite$/);
    expect(out.hands).toHaveLength(1);
    expect(out.hands[0].meshVertices).toBe(778);
    expectNearGolden(out.hands[0].keypoints, 'nocurl.jpg', img);
  });

  test('without the optional peer dependency webgpu, Engine.create() says to install it', async () => {
    const r = await run(process.execPath, ['no-dawn.mjs'], app);
    ok(r);
    expect(r.stdout).toMatch(/^WebGPUUnavailableError: .*npm install webgpu/);
  });
});

describe('the hiu CLI through npx', () => {
  test('npx hiu --help prints usage with every command', async () => {
    const r = await npx(app, ['--help']);
    ok(r);
    for (const c of ['convert', 'convert-mano', 'infer', 'profile', 'inspect', 'run']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  test('npx hiu convert converts a fixture checkpoint; convert-mano and inspect run', async () => {
    const r = await convertOnce();
    ok(r);
    expect(r.stderr).toMatch(/wrote .*hiu-small\.safetensors: hiu-dmtl/);
    expect(statSync(join(app, 'public/hiu-small.safetensors')).size).toBeGreaterThan(100_000);
    const mano = await npx(nodeProject, ['convert-mano', join(REPO, 'test/fixtures/mano/MANO_RIGHT_v778.npz'), '-o', 'mano.safetensors']);
    ok(mano);
    expect(mano.stderr).toMatch(/MANO right hand, 778 vertices/);
    const model = join(nodeProject, 'node_modules/hiu-webgpu/models/palm_detection_lite.tflite');
    const inspect = await npx(nodeProject, ['inspect', model]);
    ok(inspect);
    expect(inspect.stdout + inspect.stderr).toMatch(/supported/);
  });

  test('npx hiu hands prints the hand in a photo and writes JSON; a file that is not an image is a named error', async () => {
    const path = join(REPO, 'node_modules/fingerpose/assets/nocurl.jpg');
    const r = await timed('npx hiu hands', () => npx(nodeProject, ['hands', path, '--model', 'lite', '--json', 'hands.json'], cleanEnv(['VK_ICD_FILENAMES'])));
    ok(r);
    expect(r.stdout).toMatch(/nocurl\.jpg: 480x640, 1 hand /);
    expect(r.stdout).toMatch(/index_tip +x +[\d.]+ y +[\d.]+ +world/);
    const out = JSON.parse(readFileSync(join(nodeProject, 'hands.json'), 'utf8')) as { model: string; images: { hands: { keypoints: { x: number; y: number }[] }[] }[] };
    expect(out.model).toBe('lite');
    expect(out.images[0].hands).toHaveLength(1);
    expectNearGolden(out.images[0].hands[0].keypoints.map((k) => [k.x, k.y]), 'nocurl.jpg', photo('nocurl.jpg'));
    const bad = await npx(nodeProject, ['hands', join(nodeProject, 'package.json')]);
    expect(bad.code, show(bad)).toBe(1);
    expect(bad.stderr).toMatch(/package\.json: cannot decode as JPEG/);
  });

  test('npx hiu infer runs with Dawn, finding a Vulkan driver by itself; without Dawn, infer and profile say what to install', async () => {
    ok(await convertOnce());
    const hand = join(nodeProject, 'node_modules/hiu-webgpu/assets/hand-left.safetensors');
    const args = ['infer', '--weights', join(app, 'public/hiu-small.safetensors'), '--mano', hand, '--input', join(REPO, 'test/fixtures/hiu-small/input.npy')];
    // No VK_ICD_FILENAMES: on a machine without a GPU the CLI must find SwiftShader where Chromium put it.
    const r = await timed('npx hiu infer', () => npx(nodeProject, [...args, '--out', 'out'], cleanEnv(['VK_ICD_FILENAMES'])));
    ok(r);
    expect(existsSync(join(nodeProject, 'out/result.json'))).toBe(true);
    expect(readdirSync(join(nodeProject, 'out')).filter((f) => f.endsWith('.npy'))).toHaveLength(11);
    const missing = await npx(app, [...args, '--out', 'never']);
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toMatch(/npm install webgpu/);
    expect(existsSync(join(app, 'never'))).toBe(false);
    // profile finds its default hand asset inside the installed package, then needs Dawn too.
    const profile = await npx(app, ['profile', '--weights', join(app, 'public/hiu-small.safetensors'), '--runs', '1']);
    expect(profile.code, show(profile)).toBe(1);
    expect(profile.stderr).toMatch(/npm install webgpu/);
  });
});
