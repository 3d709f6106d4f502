// Embedding API checks in this page's WebGPU; results are left on window for test/api/api.test.ts.
// One estimator is compiled and reused by every check (SwiftShader compiles slowly).
import {
  createHandEstimator, createHandTracker, cropFor, OneEuroFilter, DetachedBufferError, EstimateOptionsError, EstimatorDisposedError, HandAssetError, InvalidImageError,
  formatCreation, WeightsError, type CreationTimings, type HandEstimate, type HandEstimator,
} from '../../src/index.ts';
import { Engine, Graph } from '../../src/engine/index.ts';
import { ImageToTensor } from '../../src/kernels/imageToTensor.ts';
import { buildDetectorGraph, decodeDetections, findPeaks, inputBoxToImage, letterbox } from '../../src/model/detector.ts';
import { loadWeights, type DetectorConfig } from '../../src/weights/index.ts';
import { imageToInput } from '../../src/model/preprocess.ts';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';
import { assert, fetchBytes, fetchSmallModel, log, makeChecks, maxDiff, Skip, type CheckResult } from './pageSetup.ts';

export type { CheckResult as ApiCheck } from './pageSetup.ts';

declare global {
  interface Window {
    __apiResults?: CheckResult[];
    __apiFatal?: string;
    __apiInfo?: Record<string, unknown>;
  }
}

const { results, check } = makeChecks();

async function rejects(p: Promise<unknown> | (() => Promise<unknown>), cls: abstract new (...a: never[]) => Error, pattern: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert(e instanceof cls, `expected ${cls.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert(pattern.test((e as Error).message), `message '${(e as Error).message}' does not match ${pattern}`);
    return;
  }
  throw new Error(`expected ${cls.name}, but it resolved`);
}

/** Deterministic opaque test image: gradients, a blob and noise, so every crop differs. */
function testImage(w: number, h: number, seed: number): ImageData {
  const d = new Uint8ClampedArray(w * h * 4);
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const blob = Math.exp(-((x - w * 0.4) ** 2 + (y - h * 0.55) ** 2) / (0.05 * w * h));
      d[i] = 255 * (x / w) * 0.6 + 100 * blob + 40 * rnd();
      d[i + 1] = 255 * (y / h) * 0.5 + 60 * rnd();
      d[i + 2] = 200 * blob + 50 * rnd();
      d[i + 3] = 255;
    }
  return new ImageData(d, w, h);
}

function sameResult(a: HandEstimate, b: HandEstimate, tol: number, what: string): void {
  const d = Math.max(maxDiff(a.heatmaps, b.heatmaps), maxDiff(a.maskProb, b.maskProb), maxDiff(a.vertices!, b.vertices!), maxDiff(a.camera, b.camera));
  assert(d <= tol, `${what}: results differ by ${d} (tolerance ${tol})`);
}

function toCanvas(img: ImageData): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  c.getContext('2d')!.putImageData(img, 0, 0);
  return c;
}

function mirrorImage(img: ImageData): ImageData {
  const out = new Uint8ClampedArray(img.data.length);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      out.set(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4), (y * img.width + (img.width - 1 - x)) * 4);
  return new ImageData(out, img.width, img.height);
}

/** CPU reference of the GPU crop: bilinear, clamped inside the image, black beyond half a pixel outside. */
function cpuCrop(img: ImageData, x0: number, y0: number, side: number, S: number, mirror: boolean): Float32Array {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(3 * S * S);
  for (let oy = 0; oy < S; oy++)
    for (let ox = 0; ox < S; ox++) {
      const dx = mirror ? S - 1 - ox : ox;
      const sx = x0 + ((dx + 0.5) * side) / S - 0.5;
      const sy = y0 + ((oy + 0.5) * side) / S - 0.5;
      const rgb = [0, 0, 0];
      if (sx >= -0.5 && sy >= -0.5 && sx <= w - 0.5 && sy <= h - 0.5) {
        const cx = Math.min(Math.max(sx, 0), w - 1);
        const cy = Math.min(Math.max(sy, 0), h - 1);
        const xa = Math.floor(cx), ya = Math.floor(cy);
        const xb = Math.min(xa + 1, w - 1), yb = Math.min(ya + 1, h - 1);
        const lx = cx - xa, ly = cy - ya;
        const p = (x: number, y: number, c: number) => data[(y * w + x) * 4 + c];
        for (let c = 0; c < 3; c++) rgb[c] = (1 - ly) * ((1 - lx) * p(xa, ya, c) + lx * p(xb, ya, c)) + ly * ((1 - lx) * p(xa, yb, c) + lx * p(xb, yb, c));
      }
      for (let c = 0; c < 3; c++) out[((2 - c) * S + oy) * S + ox] = rgb[c] / 127.5 - 1;
    }
  return out;
}

async function gpuCrop(device: GPUDevice, prep: ImageToTensor, img: ImageData, crop: { x: number; y: number; side: number; mirror: boolean }): Promise<Float32Array> {
  const S = prep.size;
  const tex = device.createTexture({ size: [img.width, img.height], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
  device.queue.writeTexture({ texture: tex }, img.data, { bytesPerRow: img.width * 4 }, [img.width, img.height]);
  const out = device.createBuffer({ size: S * S * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: S * S * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  prep.encode(enc, tex, out, [crop]);
  enc.copyBufferToBuffer(out, 0, read, 0, S * S * 16);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const nhwc = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [out, read]) b.destroy();
  tex.destroy();
  const nchw = new Float32Array(3 * S * S);
  for (let p = 0; p < S * S; p++) {
    for (let c = 0; c < 3; c++) nchw[c * S * S + p] = nhwc[p * 4 + c];
    assert(nhwc[p * 4 + 3] === 0, `padded lane of pixel ${p} is ${nhwc[p * 4 + 3]}, not 0`);
  }
  return nchw;
}

async function main(): Promise<void> {
  const { weights, hand } = await fetchSmallModel();
  const handRight = await fetchBytes('/assets/hand-right.safetensors');

  // --- bad weights and assets: fail before compiling anything ---
  await check('wrong weights: a hand asset given as weights is a WeightsError', () =>
    rejects(createHandEstimator({ weights: hand, hand }), WeightsError, /weights:.*hiu convert/));
  await check('wrong weights: a truncated weights file is a WeightsError', () =>
    rejects(createHandEstimator({ weights: weights.slice(0, 5000), hand }), WeightsError, /truncated/));
  await check('wrong weights: dtype f16 asked, file stores f32', () =>
    rejects(createHandEstimator({ weights, hand, dtype: 'f16' }), WeightsError, /stores f32/));
  await check('wrong hand asset: weights given as the hand is a HandAssetError', () =>
    rejects(createHandEstimator({ weights, hand: weights }), HandAssetError, /hand:/));
  await check('wrong hand asset: the right hand asset is refused (network predicts left hands)', () =>
    rejects(createHandEstimator({ weights, hand: handRight }), HandAssetError, /LEFT/));
  await check('detached ArrayBuffer as weights is a DetachedBufferError', async () => {
    const buf = weights.slice().buffer;
    structuredClone(buf, { transfer: [buf] });
    await rejects(createHandEstimator({ weights: buf, hand }), DetachedBufferError, /detached/);
  });

  let progress = 0;
  const phases = new Set<string>();
  let timings: CreationTimings | undefined;
  const t0 = performance.now();
  const est: HandEstimator = await createHandEstimator({
    weights: new Blob([weights]), hand: hand.slice().buffer, onProgress: (p) => ((progress = p.fraction), phases.add(p.phase), (timings ??= p.timings)),
  });
  const compileMs = performance.now() - t0;
  window.__apiInfo = { compileMs, dispatches: est.info.dispatches, adapter: est.info.adapter, timestampQuery: est.info.timestampQuery };
  log(`estimator ready in ${compileMs.toFixed(0)} ms, ${est.info.dispatches} dispatches`);
  await check('progress reaches 1 through weights, hand, compile, ready', () => {
    assert(progress === 1, `last progress ${progress}`);
    assert(['weights', 'hand', 'compile', 'ready'].every((p) => phases.has(p)), `phases ${[...phases]}`);
  });

  await check('creation split on the ready event: phases add up, one pipeline per kernel variant (not per layer), first run filled by the first call', async () => {
    assert(timings === est.creation, 'ready event timings are estimator.creation');
    const t = timings!;
    const parts = t.deviceMs + t.fetchMs + t.parseMs + t.uploadMs + t.compileMs;
    assert(parts <= t.totalMs + 1 && t.compileMs > 0, `phases ${JSON.stringify(t)}`);
    assert(t.pipelines.hiu >= 5 && t.pipelines.hiu <= 25, `hiu pipelines ${t.pipelines.hiu} (53 when every layer shape had its own)`);
    assert(t.firstRunMs === null, 'firstRunMs before any call');
    await est.estimate(testImage(64, 64, 3), { hand: 'left' });
    assert(t.firstRunMs !== null && t.firstRunMs > 0, `firstRunMs ${t.firstRunMs}`);
    log(formatCreation(t));
  });

  // --- the GPU preparation kernel against a CPU reference ---
  await check('imageToTensor kernel: centre crop equals the CPU path (imageToInput), plain and mirrored', async () => {
    const prep = await ImageToTensor.create(est.device, 64);
    try {
      const img = testImage(50, 37, 1);
      for (const mirror of [false, true]) {
        const side = 37;
        const gpu = await gpuCrop(est.device, prep, img, { x: (50 - side) / 2, y: 0, side, mirror });
        const cpu = imageToInput({ width: 50, height: 37, data: img.data }, 64, mirror);
        const d = maxDiff(gpu, cpu);
        assert(d < 1e-5, `mirror=${mirror}: max |gpu - cpu| = ${d}`);
      }
    } finally {
      prep.dispose();
    }
  });
  await check('imageToTensor kernel: a box crop reaching past the image (black border) equals the CPU reference', async () => {
    const prep = await ImageToTensor.create(est.device, 64);
    try {
      const img = testImage(70, 45, 2);
      for (const crop of [{ x: -20, y: -10, side: 90, mirror: false }, { x: 40.5, y: 20.25, side: 33.3, mirror: true }, { x: 5, y: 5, side: 10, mirror: false }]) {
        const d = maxDiff(await gpuCrop(est.device, prep, img, crop), cpuCrop(img, crop.x, crop.y, crop.side, 64, crop.mirror));
        assert(d < 1e-5, `${JSON.stringify(crop)}: max |gpu - cpu| = ${d}`);
      }
    } finally {
      prep.dispose();
    }
  });

  // --- every input type gives the ImageData result ---
  const img = testImage(96, 80, 3);
  const ref = await est.estimate(img, { hand: 'left' });
  await check('ImageData: results are finite, keypoints in image pixels inside the crop', () => {
    assert(ref.keypoints.length === 21, `${ref.keypoints.length} keypoints`);
    assert(ref.crop.size === 80 && ref.crop.x === 8 && ref.crop.y === 0, `crop ${JSON.stringify(ref.crop)}`);
    for (const k of ref.keypoints) {
      assert(Number.isFinite(k.x) && Number.isFinite(k.y), `keypoint ${JSON.stringify(k)}`);
      assert(k.x >= 8 && k.x <= 88 && k.y >= 0 && k.y <= 80, `keypoint outside the crop: ${JSON.stringify(k)}`);
      assert(Math.abs(k.x - (8 + k.cropX * 80 / 64)) < 1e-4, 'image x is not crop x mapped');
    }
    assert(ref.vertices!.length === 778 * 3 && ref.vertices!.every(Number.isFinite), 'vertices');
    assert(ref.joints2dImage!.length === 42, 'joints2dImage');
  });
  const types: [string, () => Promise<unknown> | unknown][] = [
    ['ImageBitmap', () => createImageBitmap(img)],
    ['HTMLCanvasElement', () => toCanvas(img)],
    ['OffscreenCanvas', () => {
      const c = new OffscreenCanvas(img.width, img.height);
      c.getContext('2d')!.putImageData(img, 0, 0);
      return c;
    }],
    ['HTMLImageElement', async () => {
      const blob = await new Promise<Blob>((r) => toCanvas(img).toBlob((b) => r(b!), 'image/png'));
      const el = new Image();
      el.src = URL.createObjectURL(blob);
      await el.decode();
      return el;
    }],
    ['VideoFrame', async () => {
      if (typeof VideoFrame === 'undefined') throw new Skip('this browser has no VideoFrame');
      return new VideoFrame(await createImageBitmap(img), { timestamp: 0 });
    }],
    ['GPUTexture', () => {
      const t = est.device.createTexture({ size: [img.width, img.height], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
      est.device.queue.writeTexture({ texture: t }, img.data, { bytesPerRow: img.width * 4 }, [img.width, img.height]);
      return t;
    }],
  ];
  for (const [name, make] of types)
    await check(`input type ${name} gives the ImageData result`, async () => {
      const src = (await make()) as Parameters<HandEstimator['estimate']>[0];
      const r = await est.estimate(src, { hand: 'left' });
      sameResult(r, ref, 1e-5, name);
      (src as { close?: () => void }).close?.();
      (src as { destroy?: () => void }).destroy?.();
    });

  await check('right hand: estimate(I, right) is the mirror of estimate(mirror(I), left)', async () => {
    const r = await est.estimate(img, { hand: 'right' });
    const l = await est.estimate(mirrorImage(img), { hand: 'left' });
    const m = r.mapSize;
    const flipped = l.heatmaps.slice();
    for (let p = 0; p < flipped.length / m; p++) flipped.subarray(p * m, (p + 1) * m).reverse();
    assert(maxDiff(r.heatmaps, flipped) < 1e-5, 'heat maps');
    for (let k = 0; k < 21; k++) assert(Math.abs(r.keypoints[k].x - (96 - l.keypoints[k].x)) < 1e-3 && Math.abs(r.keypoints[k].y - l.keypoints[k].y) < 1e-3, `keypoint ${k}`);
    for (let v = 0; v < r.vertices!.length; v += 3) assert(Math.abs(r.vertices![v] + l.vertices![v]) < 1e-5, `vertex ${v / 3} x`);
  });

  await check('box: crop is the 1.5x square around the box; keypoints map into it', async () => {
    const box = { x: 60, y: 50, w: 30, h: 20 };
    const r = await est.estimate(img, { hand: 'left', box });
    assert(r.crop.size === 45 && r.crop.x === 52.5 && r.crop.y === 37.5, `crop ${JSON.stringify(r.crop)}`);
    for (const k of r.keypoints) assert(k.x >= 52.5 && k.x <= 97.5 && k.y >= 37.5 && k.y <= 82.5, `keypoint ${JSON.stringify(k)}`);
    const d = maxDiff(r.heatmaps, ref.heatmaps);
    assert(d > 1e-3, 'a different crop should give different heat maps');
  });

  await check('queuing: two estimate() calls in flight equal sequential calls', async () => {
    const a = testImage(64, 64, 10);
    const b = testImage(120, 90, 11);
    const sa = await est.estimate(a, { hand: 'left' });
    const sb = await est.estimate(b, { hand: 'right' });
    const [pa, pb] = await Promise.all([est.estimate(a, { hand: 'left' }), est.estimate(b, { hand: 'right' })]);
    sameResult(pa, sa, 0, 'first');
    sameResult(pb, sb, 0, 'second');
    assert(maxDiff(sa.heatmaps, sb.heatmaps) > 1e-4, 'the two images should differ');
    // A failing call in the queue does not break the ones after it.
    const [x, y] = await Promise.allSettled([est.estimate(new OffscreenCanvas(0, 4), { hand: 'left' }), est.estimate(a, { hand: 'left' })]);
    assert(x.status === 'rejected' && y.status === 'fulfilled', 'a rejected call must not poison the queue');
    sameResult(y.value, sa, 0, 'after a failure');
  });

  await check("output 'gpu': buffers hold the same mesh the CPU path reads", async () => {
    const g = await est.estimate(img, { hand: 'left', output: 'gpu' });
    assert(g.buffers.vertices && g.faces && g.numVertices === 778, 'vertices buffer and faces');
    const dev = est.device;
    const n = g.numVertices * 16;
    const read = dev.createBuffer({ size: n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(g.buffers.vertices, 0, read, 0, n);
    dev.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const v4 = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    read.destroy();
    const v3 = new Float32Array(778 * 3);
    for (let i = 0; i < 778; i++) v3.set(v4.subarray(i * 4, i * 4 + 3), i * 3);
    assert(maxDiff(v3, ref.vertices!) < 1e-6, 'vertices');
  });

  await check('profile(): one entry per graph layer', async () => {
    const p = await est.profile();
    assert(p.layers.length === est.layers.length && p.layers.length === est.info.dispatches, `${p.layers.length} timed, ${est.layers.length} layers`);
    assert(p.layers.every((l, i) => l.name === est.layers[i] && l.ms >= 0), 'names and times');
  });

  // --- bad input ---
  await check('zero-size image is an InvalidImageError', async () => {
    await rejects(est.estimate(new OffscreenCanvas(0, 10), { hand: 'left' }), InvalidImageError, /0x10.*at least 1x1/);
    const c = document.createElement('canvas');
    c.width = 0;
    await rejects(est.estimate(c, { hand: 'left' }), InvalidImageError, /HTMLCanvasElement is 0x/);
  });
  await check('ImageData whose buffer was transferred is a DetachedBufferError', async () => {
    const d = testImage(8, 8, 5);
    structuredClone(d.data.buffer, { transfer: [d.data.buffer] });
    await rejects(est.estimate(d, { hand: 'left' }), DetachedBufferError, /detached/);
  });
  await check('closed ImageBitmap, unloaded <img>, unsupported objects: InvalidImageError', async () => {
    const b = await createImageBitmap(img);
    b.close();
    await rejects(est.estimate(b, { hand: 'left' }), InvalidImageError, /closed/);
    const el = new Image();
    el.src = 'data:image/png;base64,AAAA';
    await el.decode().catch(() => undefined);
    await rejects(est.estimate(el, { hand: 'left' }), InvalidImageError, /HTMLImageElement/);
    await rejects(est.estimate({} as ImageBitmap, { hand: 'left' }), InvalidImageError, /not a supported image type/);
  });
  await check('bad options: hand, box, output are EstimateOptionsErrors', async () => {
    await rejects(est.estimate(img, { hand: 'both' as 'left' }), EstimateOptionsError, /hand must be/);
    await rejects(est.estimate(img, { hand: 'left', box: { x: 0, y: 0, w: 0, h: 5 } }), EstimateOptionsError, /box/);
    await rejects(est.estimate(img, { hand: 'left', output: 'disk' as 'cpu' }), EstimateOptionsError, /output/);
  });
  await check('detect(), estimateAll(), createHandTracker() without a detector: clear EstimateOptionsErrors', async () => {
    await rejects(est.detect(img), EstimateOptionsError, /no hand detector/);
    await rejects(est.estimateAll(img), EstimateOptionsError, /no hand detector/);
    try {
      createHandTracker(est);
      throw new Error('createHandTracker accepted an estimator without a detector');
    } catch (e) {
      assert(e instanceof EstimateOptionsError && /no hand detector/.test(e.message), String(e));
    }
  });
  await check('texture without TEXTURE_BINDING usage: a clear error', async () => {
    const t = est.device.createTexture({ size: [8, 8], format: 'rgba8unorm', usage: GPUTextureUsage.COPY_DST });
    await rejects(est.estimate(t, { hand: 'left' }), Error, /TEXTURE_BINDING/);
    t.destroy();
  });

  // --- resources and disposal ---
  await check('repeated estimates create no GPU objects', async () => {
    const before = JSON.stringify(est.stats());
    for (let i = 0; i < 3; i++) await est.estimate(img, { hand: i % 2 ? 'right' : 'left' });
    const after = JSON.stringify(est.stats());
    assert(before === after, `stats ${before} -> ${after}`);
  });
  await check('dispose(): calls made before it complete, every GPU object is freed, later calls reject', async () => {
    const running = est.estimate(img, { hand: 'left' });
    const queued = est.estimate(img, { hand: 'right' });
    const done = est.dispose();
    await rejects(est.estimate(img, { hand: 'left' }), EstimatorDisposedError, /disposed/);
    sameResult(await running, ref, 0, 'running call');
    assert((await queued).hand === 'right', 'queued call');
    await done;
    const s = est.stats();
    assert(s.buffers === 0 && s.bufferBytes === 0 && s.bindGroups === 0 && s.querySets === 0 && s.pipelines === 0 && s.textures === 0 && s.prepBuffers === 0, `stats after dispose ${JSON.stringify(s)}`);
    await rejects(est.estimate(img, { hand: 'left' }), EstimatorDisposedError, /disposed/);
    await rejects(est.profile(), EstimatorDisposedError, /disposed/);
  });
  await check('a caller-provided device survives dispose()', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    // Weights for a quick estimator: the same small network (compiles again; pipelines are per engine).
    const e2 = await createHandEstimator({ weights, hand, device });
    assert(e2.device === device, 'device not used');
    await e2.dispose();
    const b = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST });
    b.destroy();
    let lost = false;
    void device.lost.then(() => (lost = true));
    await new Promise((r) => setTimeout(r, 50));
    assert(!lost, 'device was destroyed');
    device.destroy();
  });

  // --- the README example, inside a Web Worker on an OffscreenCanvas ---
  const wurl = URL.createObjectURL(new Blob([weights]));
  await check('README embedding example runs in a Web Worker on an OffscreenCanvas', async () => {
    const worker = new Worker(new URL('./apiWorker.ts', import.meta.url), { type: 'module' });
    const msg = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data as Record<string, unknown>);
      worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      worker.postMessage({ weights: wurl, hand: new URL('/assets/hand-left.safetensors', location.href).href });
    });
    worker.terminate();
    assert(msg.ok, `worker failed: ${msg.error}`);
    assert(msg.hasDom === false, 'the worker had a DOM?');
    assert(msg.keypoints === 21 && msg.vertices === 778 * 3 && msg.finite && msg.imageWidth === 80, JSON.stringify(msg));
    assert((msg.layers as number) === est.info.dispatches, `profile listed ${msg.layers} layers, graph has ${est.info.dispatches}`);
  });

  // --- the hand detector: detect(), estimateAll() (one batched pass), the tracker ---
  await detectorChecks(weights, hand, await fetchBytes('/test/fixtures/detector-small/module.zip.pth'));
  window.__apiResults = results;
}

main().catch((e) => {
  window.__apiFatal = String((e as Error)?.stack ?? e);
  window.__apiResults = results;
});

/** Boxes in image pixels from the detector run on a CPU-letterboxed input (an engine of its own). */
async function referenceDetections(detBytes: Uint8Array, img: ImageData, threshold: number | null) {
  const w = await loadWeights(detBytes, { architecture: 'hand-detector' });
  const engine = await Engine.create();
  try {
    const g = new Graph();
    const det = buildDetectorGraph(g, w.tensors, w.config as DetectorConfig);
    const exe = await engine.compile(g);
    const S = det.inputSize;
    const lb = letterbox(img.width, img.height, S);
    exe.writeNCHW(det.input, cpuCrop(img, -lb.padX, -lb.padY, lb.side, S, false));
    await exe.run();
    const [, h, wd, c] = det.output.shape;
    const map = await exe.readNCHW(det.output);
    const peaks = findPeaks(map.subarray(0, h * wd), h, wd, -Infinity).map((p) => p.score).sort((x, y) => y - x);
    void c;
    const thr = threshold ?? Math.min(0.5, (peaks[Math.min(3, peaks.length - 1)] ?? 0) - 1e-3);
    const [dets] = await decodeDetections(exe, det, { threshold: thr });
    const boxes = dets.map((d) => ({ ...inputBoxToImage(d, lb), score: d.score }))
      .map((b) => ({ x: Math.min(b.x0, b.x1), y: Math.min(b.y0, b.y1), w: Math.abs(b.x1 - b.x0), h: Math.abs(b.y1 - b.y0), score: b.score }));
    return { threshold: thr, boxes: boxes.filter((b) => b.w > 0 && b.h > 0), peaks: peaks.slice(0, 6) };
  } finally {
    engine.dispose();
  }
}

async function detectorChecks(weights: Uint8Array<ArrayBuffer>, hand: Uint8Array, ckpt: Uint8Array): Promise<void> {
  const detBytes = (await convertCheckpointBytes(ckpt, 'module.zip.pth', { inputSize: 64 })).bytes as Uint8Array<ArrayBuffer>;
  const img = testImage(96, 80, 3);
  // A threshold that keeps a few peaks of this (untrained) detector on this image.
  const ref = await referenceDetections(detBytes, img, null);
  log(`detector reference: threshold ${ref.threshold.toFixed(4)}, top peaks ${ref.peaks.map((p) => p.toFixed(3))}, ${ref.boxes.length} boxes`);
  const t0 = performance.now();
  const est = await createHandEstimator({ weights, hand, detector: detBytes, maxHands: 2, detection: { threshold: ref.threshold } });
  log(`estimator with detector ready in ${(performance.now() - t0).toFixed(0)} ms`);
  try {
    await check('detect(): boxes equal decodeDetections of the detector on the same (CPU) letterboxed input', async () => {
      assert(est.info.detector && est.info.detector.inputSize === 64 && est.info.maxHands === 2, `info ${JSON.stringify(est.info.detector)}`);
      const runs = est.detectorRuns;
      const boxes = await est.detect(img);
      assert(est.detectorRuns === runs + 1, 'detectorRuns');
      assert(boxes.length === ref.boxes.length && boxes.length > 0, `${boxes.length} boxes vs ${ref.boxes.length} reference`);
      boxes.forEach((b, i) => {
        const r = ref.boxes[i];
        const d = Math.max(Math.abs(b.x - r.x), Math.abs(b.y - r.y), Math.abs(b.w - r.w), Math.abs(b.h - r.h));
        assert(d < 0.02 && Math.abs(b.score - r.score) < 1e-3, `box ${i}: ${JSON.stringify(b)} vs ${JSON.stringify(r)}`);
      });
    });
    await check('estimateAll(): bad hands, too many boxes, bad boxes are EstimateOptionsErrors', async () => {
      await rejects(est.estimateAll(img, { hands: 'both' as 'left' }), EstimateOptionsError, /hands must be/);
      await rejects(est.estimateAll(img, { boxes: [{ x: 0, y: 0, w: 5, h: 5 }, { x: 0, y: 0, w: 5, h: 5 }, { x: 0, y: 0, w: 5, h: 5 }] }), EstimateOptionsError, /at most maxHands = 2/);
      await rejects(est.estimateAll(img, { boxes: [{ x: 0, y: 0, w: -1, h: 5 }] }), EstimateOptionsError, /box/);
    });

    const boxA = { x: 10, y: 12, w: 30, h: 24 };
    const boxB = { x: 55, y: 30, w: 20, h: 36 };
    await check('estimateAll: 2 crops in one batched pass equal two estimate() calls with those boxes (1e-4), left and right', async () => {
      const [a, b] = await est.estimateAll(img, { boxes: [boxA, boxB], hands: ['left', 'right'] });
      const sa = await est.estimate(img, { hand: 'left', box: boxA });
      const sb = await est.estimate(img, { hand: 'right', box: boxB });
      for (const [x, y, n] of [[a, sa, 'first'], [b, sb, 'second']] as const) {
        sameResult(x, y, 1e-4, `${n} hand`);
        assert(x.hand === y.hand && JSON.stringify(x.crop) === JSON.stringify(y.crop), `${n}: hand/crop ${x.hand} ${JSON.stringify(x.crop)} vs ${JSON.stringify(y.crop)}`);
        x.keypoints.forEach((k, i) => assert(Math.abs(k.x - y.keypoints[i].x) < 1e-3 && Math.abs(k.y - y.keypoints[i].y) < 1e-3, `${n}: keypoint ${i}`));
        assert(maxDiff(x.joints2dImage!, y.joints2dImage!) < 1e-3, `${n}: joints2dImage`);
      }
      assert(maxDiff(a.heatmaps, b.heatmaps) > 1e-3, 'the two crops should differ');
      // One box: the unused batch slot does not disturb it.
      const [one] = await est.estimateAll(img, { boxes: [boxB], hands: 'right' });
      sameResult(one, sb, 1e-4, 'single box');
    });
    await check('estimateAll with the detector: the best 2 boxes, left to right, crops and results as given those boxes', async () => {
      const boxes = (await est.detect(img)).slice(0, 2).sort((p, q) => p.x + p.w / 2 - (q.x + q.w / 2));
      const runs = est.detectorRuns;
      const all = await est.estimateAll(img, { hands: ['right', 'left'] });
      assert(est.detectorRuns === runs + 1, 'one detector pass');
      assert(all.length === boxes.length, `${all.length} hands, ${boxes.length} boxes`);
      const given = await est.estimateAll(img, { boxes, hands: ['right', 'left'] });
      assert(est.detectorRuns === runs + 1, 'no detector pass with boxes');
      all.forEach((r, i) => {
        const c = cropFor(96, 80, boxes[i]);
        assert(Math.abs(r.crop.x - c.x) < 1e-9 && Math.abs(r.crop.size - c.size) < 1e-9, `crop ${i}`);
        assert(r.hand === (i === 0 ? 'right' : 'left'), `hand ${i}`);
        sameResult(r, given[i], 0, `hand ${i}`);
      });
    });

    await check("estimateAll output 'gpu': one batch item per hand, the same mesh the CPU path reads", async () => {
      const gs = await est.estimateAll(img, { boxes: [boxA, boxB], hands: 'left', output: 'gpu' });
      const cs = await est.estimateAll(img, { boxes: [boxA, boxB], hands: 'left' });
      assert(gs.length === 2 && gs[0].batchIndex === 0 && gs[1].batchIndex === 1 && gs[1].buffers.vertices, 'batch indices');
      const n = gs[1].numVertices * 16;
      const read = est.device.createBuffer({ size: n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = est.device.createCommandEncoder();
      enc.copyBufferToBuffer(gs[1].buffers.vertices!, n, read, 0, n);
      est.device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const v4 = new Float32Array(read.getMappedRange().slice(0));
      read.unmap();
      read.destroy();
      const v3 = new Float32Array(gs[1].numVertices * 3);
      for (let i = 0; i < gs[1].numVertices; i++) v3.set(v4.subarray(i * 4, i * 4 + 3), i * 3);
      assert(maxDiff(v3, cs[1].vertices!) < 1e-6, 'item 1 vertices');
    });
    await check('repeated detect()/estimateAll() create no GPU objects', async () => {
      await est.estimateAll(img);
      const before = JSON.stringify(est.stats());
      for (let i = 0; i < 2; i++) {
        await est.detect(img);
        await est.estimateAll(img, { hands: 'right' });
        await est.estimateAll(img, { boxes: [boxA] });
      }
      const after = JSON.stringify(est.stats());
      assert(before === after, `stats ${before} -> ${after}`);
    });

    const frame0 = img;
    const frame1 = testImage(96, 80, 4);
    await check('tracker: the second frame reuses the box from the keypoints (no detector pass) and keypoints are One-Euro smoothed', async () => {
      const filter = { minCutoff: 1, beta: 0.05, dCutoff: 1 };
      const tracker = createHandTracker(est, { hands: 'left', minConfidence: -Infinity, redetectEvery: 0, filter });
      const runs = est.detectorRuns;
      const r0 = await tracker.track(frame0, { timestamp: 1000 });
      assert(est.detectorRuns === runs + 1 && r0.length > 0 && r0.every((h) => h.detected), `frame 0: ${r0.length} hands, detector runs ${est.detectorRuns - runs}`);
      for (const h of r0) h.keypoints.forEach((k, i) => assert(k.x === h.raw.keypoints[i].x && k.y === h.raw.keypoints[i].y, 'first frame passes through'));
      const r1 = await tracker.track(frame1, { timestamp: 1033 });
      assert(est.detectorRuns === runs + 1, `frame 1 ran the detector (${est.detectorRuns - runs} runs)`);
      assert(r1.length === r0.length && r1.every((h, i) => !h.detected && h.id === r0[i].id), 'frame 1: same hands, boxes reused');
      let moved = 0;
      r1.forEach((h, i) => {
        // The box: the bounding box of frame 0's keypoints (x 1.1, side within [0.5, 2] x).
        const kx = r0[i].raw.keypoints.map((k) => k.x), ky = r0[i].raw.keypoints.map((k) => k.y);
        const cx = (Math.min(...kx) + Math.max(...kx)) / 2, cy = (Math.min(...ky) + Math.max(...ky)) / 2;
        assert(Math.abs(h.box.x + h.box.w / 2 - cx) < 1e-6 && Math.abs(h.box.y + h.box.h / 2 - cy) < 1e-6, `box ${JSON.stringify(h.box)} not centred on the keypoints (${cx}, ${cy})`);
        const c = cropFor(96, 80, h.box);
        assert(Math.abs(h.raw.crop.x - c.x) < 1e-9 && Math.abs(h.raw.crop.size - c.size) < 1e-9, 'crop from the box');
        const f = new OneEuroFilter(42, filter);
        f.filter(r0[i].raw.keypoints.flatMap((k) => [k.x, k.y]), 1000);
        const want = f.filter(h.raw.keypoints.flatMap((k) => [k.x, k.y]), 1033);
        h.keypoints.forEach((k, j) => {
          assert(Math.abs(k.x - want[2 * j]) < 1e-9 && Math.abs(k.y - want[2 * j + 1]) < 1e-9, `keypoint ${j} is not the One Euro output`);
          const raw = h.raw.keypoints[j];
          const prev = r0[i].raw.keypoints[j];
          if (Math.abs(raw.x - prev.x) > 1) {
            moved++;
            assert(Math.abs(k.x - prev.x) < Math.abs(raw.x - prev.x) && Math.sign(k.x - prev.x) === Math.sign(raw.x - prev.x), `keypoint ${j} x is not between the previous and the raw value`);
          }
        });
      });
      assert(moved > 0, 'no keypoint moved between the frames: the smoothing check tests nothing');
      assert(tracker.stats.frames === 2 && tracker.stats.detections === 1, JSON.stringify(tracker.stats));
    });
    await check('tracker: low confidence and redetectEvery bring the detector back', async () => {
      const unsure = createHandTracker(est, { minConfidence: Infinity, redetectEvery: 0 });
      const runs = est.detectorRuns;
      await unsure.track(frame0);
      const r = await unsure.track(frame1);
      assert(est.detectorRuns === runs + 2 && r.every((h) => h.detected), `low confidence: ${est.detectorRuns - runs} detector runs`);
      const periodic = createHandTracker(est, { minConfidence: -Infinity, redetectEvery: 2 });
      const before = est.detectorRuns;
      const flags: boolean[] = [];
      for (let i = 0; i < 4; i++) flags.push((await periodic.track(i % 2 ? frame1 : frame0, { timestamp: i * 33 }))[0]?.detected ?? true);
      assert(est.detectorRuns === before + 2 && flags.join() === 'true,false,true,false', `every 2 frames: runs ${est.detectorRuns - before}, detected ${flags}`);
    });
  } finally {
    await check('estimator with a detector: dispose() frees every GPU object', async () => {
      await est.dispose();
      const s = est.stats();
      assert(s.buffers === 0 && s.bufferBytes === 0 && s.bindGroups === 0 && s.pipelines === 0 && s.textures === 0 && s.prepBuffers === 0, `stats after dispose ${JSON.stringify(s)}`);
      await rejects(est.detect(img), EstimatorDisposedError, /disposed/);
    });
  }
}
