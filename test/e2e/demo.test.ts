/**
 * End to end: the demo (demo/, served by Vite as `npm start` serves it) in headless Chromium,
 * with Chromium's fake camera. By default it runs the trained models on a bundled photo: one
 * hand, 21 keypoints drawn over it, a fitted mesh, per-stage timings, every layer in the
 * profiler, no console error; the webcam path processes fake-camera frames. Then HIU-DMTL mode
 * (the untrained demo network): the overlay, its profiler, the slider hand, and a wrong weights
 * file gives a clear message. Screenshots: artifacts/demo.png, artifacts/demo-hiu.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeDefaults } from '../../demo/make-defaults.ts';
import { Graph } from '../../src/engine/index.ts';
import { buildHandGraph } from '../../src/model/pipeline.ts';
import { loadManoAsset } from '../../src/weights/mano.ts';
import { loadWeights, type HiuConfig } from '../../src/weights/index.ts';
import { openPage } from '../browser/chromium.ts';

const repo = resolve(import.meta.dirname, '../..');
const logs: string[] = [];
let close: () => Promise<void> = async () => {};
let page: import('puppeteer-core').Page;
let defaults: { weights: string; hand: string };

type Demo = {
  state: string;
  mode: string;
  error?: string;
  runs: number;
  layers: number;
  profileRows: number;
  webcamFrames: number;
  hands?: { label: string; score: number; fitErrorMm: number | null }[];
  last?: { keypoints: { x: number; y: number; color: [number, number, number] }[]; imageWidth: number; imageHeight: number };
};
const demo = () => page.evaluate(() => (window as unknown as { __demo: Demo }).__demo);
/** Console errors and uncaught page errors so far. */
const pageErrors = () => logs.filter((l) => l.startsWith('[page error]') || l.startsWith('[page error '));

beforeAll(async () => {
  defaults = await makeDefaults();
  const session = await openPage('/index.html', (l) => logs.push(l), {
    root: join(repo, 'demo'),
    configFile: join(repo, 'demo/vite.config.ts'),
    viewport: { width: 1200, height: 1400 },
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  page = session.page;
  close = session.close;
  await page.waitForFunction(
    () => {
      const d = (window as unknown as { __demo?: Demo }).__demo;
      return !!d && (d.profileRows > 0 || d.state === 'error' || d.state === 'no-webgpu');
    },
    { timeout: 600_000, polling: 500 },
  );
});
afterAll(() => close());

const fail = (msg: string) => new Error(`${msg}\n--- page log ---\n${logs.slice(-30).join('\n')}`);

/** The pixels of the overlay canvas under the last drawn keypoints. */
const overlayAtKeypoints = () =>
  page.evaluate(() => {
    const d = (window as unknown as { __demo: Demo }).__demo;
    const ctx = (document.getElementById('overlay-canvas') as HTMLCanvasElement).getContext('2d')!;
    return d.last!.keypoints.map((k) => Array.from(ctx.getImageData(Math.round(k.x), Math.round(k.y), 1, 1).data));
  });

test('by default the trained models find the hand in the bundled photo: 21 keypoints drawn, a mesh, no console errors', async () => {
  const d = await demo();
  if (d.state !== 'ready' || d.error) throw fail(`demo state ${d.state}: ${d.error ?? ''}`);
  expect(d.mode).toBe('mediapipe');
  expect(d.runs).toBeGreaterThanOrEqual(1);
  expect(d.hands).toHaveLength(1);
  expect(['Left', 'Right']).toContain(d.hands![0].label);
  expect(d.hands![0].fitErrorMm).toBeGreaterThan(0);
  expect(d.hands![0].fitErrorMm).toBeLessThan(20);
  expect(d.last?.keypoints).toHaveLength(21);
  // nocurl.jpg is 480 x 640 (portrait) and the hand fills most of it.
  expect([d.last!.imageWidth, d.last!.imageHeight]).toEqual([480, 640]);
  const xs = d.last!.keypoints.map((k) => k.x);
  const ys = d.last!.keypoints.map((k) => k.y);
  expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(200);
  for (const k of d.last!.keypoints) expect(k.x >= 0 && k.x <= 480 && k.y >= 0 && k.y <= 640).toBe(true);
  expect(Math.max(...xs)).toBeGreaterThan(Math.min(...xs));
  // Each keypoint's centre holds its own colour, unless a keypoint drawn later (higher index)
  // covers it: 21 discs of radius max(3, 1.6 * 640 / 200) px can touch where joints are close.
  const radius = Math.max(3, (1.6 * 640) / 200);
  const kp = d.last!.keypoints;
  const covered = (i: number) => kp.some((k, j) => j > i && Math.hypot(k.x - kp[i].x, k.y - kp[i].y) < radius + 1.5);
  for (const [i, p] of (await overlayAtKeypoints()).entries()) {
    expect(p[3], `keypoint ${i} alpha`).toBe(255);
    if (!covered(i)) expect(p.slice(0, 3), `keypoint ${i} colour`).toEqual(kp[i].color);
  }
  expect(kp.filter((_, i) => !covered(i)).length).toBeGreaterThan(10);
  const timings = await page.$eval('#timings', (e) => e.textContent ?? '');
  expect(timings).toMatch(/palm detector \d+(\.\d+)? ms, hand landmarks \d+(\.\d+)? ms, mesh fit and skinning \d+(\.\d+)? ms/);
  expect(await page.$eval('#untrained', (e) => e.classList.contains('hidden'))).toBe(true);
  expect(await page.$eval('.credits', (e) => e.textContent ?? '')).toMatch(/fingerpose 0\.1\.0, MIT License/);
  // Folded away by default.
  expect(await page.$eval('#profiler', (e) => (e as HTMLDetailsElement).open)).toBe(false);
  expect(pageErrors(), pageErrors().join('\n')).toEqual([]);
  mkdirSync(join(repo, 'artifacts'), { recursive: true });
  await page.screenshot({ path: join(repo, 'artifacts/demo.png'), fullPage: true });
});

test('the profiler lists every layer of both trained networks', async () => {
  const d = await demo();
  const names = await page.$$eval('#profile-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent ?? ''));
  // info.dispatches count the crop kernel of each stage too, which runs before the graph.
  expect(names.length).toBe(d.layers - 2);
  expect(names.filter((n) => n.startsWith('palm.')).length).toBeGreaterThan(40);
  expect(names.filter((n) => n.startsWith('landmark.')).length).toBeGreaterThan(40);
  expect(names.every((n) => n.startsWith('palm.') || n.startsWith('landmark.'))).toBe(true);
  const blocks = await page.$$eval('.block-row .block-label', (els) => els.map((e) => e.textContent ?? ''));
  expect(blocks.some((b) => b.startsWith('palm detector'))).toBe(true);
  expect(blocks.some((b) => b.startsWith('hand landmarks'))).toBe(true);
});

test('another bundled photo and the lite model', async () => {
  const runs = (await demo()).runs;
  await page.click('.photo-btn[data-photo="fullcurl.jpg"]');
  await page.waitForFunction((n: number) => (window as unknown as { __demo: Demo }).__demo.runs > n, { timeout: 120_000 }, runs);
  expect((await demo()).hands).toHaveLength(1);
  await page.select('#model-select', 'lite');
  await page.waitForFunction(
    (n: number) => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      return d.runs > n + 1 || d.state === 'error';
    },
    { timeout: 300_000, polling: 500 },
    runs,
  );
  const d = await demo();
  if (d.error) throw fail(d.error);
  expect(d.hands).toHaveLength(1);
  expect(d.last?.keypoints).toHaveLength(21);
});

test('the webcam (Chromium fake camera) is processed frame after frame in video mode', async () => {
  await page.click('#webcam-btn');
  await page.waitForFunction(
    () => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      return d.webcamFrames >= 3 || !!d.error;
    },
    { timeout: 300_000, polling: 500 },
  );
  const d = await demo();
  if (d.error) throw fail(d.error);
  expect(d.webcamFrames).toBeGreaterThanOrEqual(3);
  expect(await page.$eval('#webcam-btn', (e) => e.textContent)).toBe('Stop webcam');
  await page.click('#webcam-btn');
  expect(pageErrors(), pageErrors().join('\n')).toEqual([]);
});

test('HIU-DMTL mode: the bundled untrained network runs the drawing, labelled UNTRAINED', async () => {
  const runs = (await demo()).runs;
  await page.select('#model-select', 'hiu-dmtl');
  await page.waitForFunction(
    (n: number) => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      return (d.mode === 'hiu-dmtl' && d.state === 'ready' && d.runs > n) || d.state === 'error';
    },
    { timeout: 600_000, polling: 500 },
    runs,
  );
  const d = await demo();
  if (d.state !== 'ready' || d.error) throw fail(`demo state ${d.state}: ${d.error ?? ''}`);
  expect(d.last?.keypoints).toHaveLength(21);
  const banner = await page.$eval('#untrained', (e) => ({ text: e.textContent ?? '', hidden: e.classList.contains('hidden') }));
  expect(banner.hidden).toBe(false);
  expect(banner.text).toContain('UNTRAINED');
  // The button lives in the profiler's fold, closed by default: open it as a user would.
  await page.click('#profiler > summary');
  await page.click('#profile-btn');
  // profileRows is reset when profiling starts, so this waits for HIU-DMTL's table.
  await page.waitForFunction(
    () => (document.getElementById('status')?.textContent ?? '').startsWith('profiled') && (window as unknown as { __demo: Demo }).__demo.profileRows > 0,
    { timeout: 300_000, polling: 500 },
  );
}, 900_000);

test('overlay pixels change where the keypoints are drawn', async () => {
  // Clear the overlay, read the pixels under the last keypoints (transparent), run the sample
  // again from its button, read them again: they must now hold the keypoints' colours.
  const read = () =>
    page.evaluate(() => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      const ctx = (document.getElementById('overlay-canvas') as HTMLCanvasElement).getContext('2d')!;
      return d.last!.keypoints.map((k) => Array.from(ctx.getImageData(Math.round(k.x), Math.round(k.y), 1, 1).data));
    });
  await page.evaluate(() => {
    const c = document.getElementById('overlay-canvas') as HTMLCanvasElement;
    c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
  });
  const before = await read();
  expect(before.every((p) => p[3] === 0)).toBe(true);
  const runs = (await demo()).runs;
  await page.click('#sample-btn');
  await page.waitForFunction((n: number) => (window as unknown as { __demo: Demo }).__demo.runs > n, { timeout: 120_000 }, runs);
  const d = await demo();
  const after = await read();
  const palette = new Set(d.last!.keypoints.map((k) => k.color.join(',')));
  for (const [i, p] of after.entries()) {
    expect(p[3], `keypoint ${i} alpha`).toBe(255);
    expect(palette.has(p.slice(0, 3).join(',')), `keypoint ${i} colour ${p}`).toBe(true);
  }
  // Keypoints lie in the centred square crop of the 400 x 300 sample.
  for (const k of d.last!.keypoints) {
    expect(k.x).toBeGreaterThanOrEqual(50);
    expect(k.x).toBeLessThanOrEqual(350);
  }
});

test("the profiler table lists every layer of the hand graph", async () => {
  // The graph's layer count, built in Node from the same default files (no GPU needed).
  const w = await loadWeights(defaults.weights, { architecture: 'hiu-dmtl' });
  const g = new Graph();
  buildHandGraph(g, w.tensors, w.config as HiuConfig, await loadManoAsset(defaults.hand));
  const d = await demo();
  expect(d.layers).toBe(g.nodes.length);
  const names = await page.$$eval('#profile-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  expect(names).toEqual(g.nodes.map((n) => n.name));
  const blocks = await page.$$eval('.block-row .block-label', (els) => els.map((e) => e.textContent ?? ''));
  expect(blocks.some((b) => b.startsWith('stem'))).toBe(true);
  expect(blocks.some((b) => b.startsWith('MANO'))).toBe(true);
  expect(blocks.some((b) => b.startsWith('encoder 1'))).toBe(true);
  // The trace export parses as Chrome trace JSON with one complete event per layer.
  const trace = await page.evaluate(async () => (await fetch((document.getElementById('trace-link') as HTMLAnchorElement).href)).json());
  const layerEvents = (trace.traceEvents as { ph: string; name: string; tid: number }[]).filter((e) => e.ph === 'X' && e.tid === 1);
  expect(layerEvents.map((e) => e.name)).toEqual(g.nodes.map((n) => n.name));
});

test('the slider panel renders the hand model with WebGPU, and moves it', async () => {
  const coverage = () =>
    page.evaluate(async () => {
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const src = document.getElementById('mano-canvas') as HTMLCanvasElement;
      const c = new OffscreenCanvas(src.width, src.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(src, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0) (n++, (sum += i));
      return { n, centroid: n ? sum / n : 0 };
    });
  const a = await coverage();
  expect(a.n).toBeGreaterThan(500);
  await page.evaluate(() => {
    const s = document.querySelector('#sliders input[data-channel="58"]') as HTMLInputElement; // camera s
    s.value = String(Number(s.max));
    s.dispatchEvent(new Event('input'));
  });
  await new Promise((r) => setTimeout(r, 500));
  const b = await coverage();
  expect(b.n).toBeGreaterThan(a.n * 1.5);
  await page.evaluate(() => {
    const reset = [...document.querySelectorAll('#sliders button')].find((e) => e.textContent?.startsWith('Reset')) as HTMLButtonElement;
    reset.click();
  });
  await new Promise((r) => setTimeout(r, 300));
});

test('screenshot of HIU-DMTL mode saved as artifacts/demo-hiu.png', async () => {
  mkdirSync(join(repo, 'artifacts'), { recursive: true });
  const path = join(repo, 'artifacts/demo-hiu.png');
  await page.screenshot({ path, fullPage: true });
  expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
});

test('a wrong weights file gives a clear message and the defaults come back', async () => {
  const input = await page.$('#weights-file');
  await (input as import('puppeteer-core').ElementHandle<HTMLInputElement>).uploadFile(defaults.hand);
  await page.waitForFunction(
    () => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      return d.state === 'error' || (d.state === 'ready' && (document.getElementById('error')!.textContent ?? '').includes('Reloaded'));
    },
    { timeout: 300_000, polling: 500 },
  );
  const text = await page.$eval('#error', (e) => e.textContent ?? '');
  expect(text).toMatch(/WeightsError/);
  expect(text).toMatch(/hiu convert/);
  expect(text).toMatch(/Reloaded the bundled defaults/);
  expect((await demo()).state).toBe('ready');
});
