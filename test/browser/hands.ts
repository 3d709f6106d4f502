// The trained default of the embedding API (createHandEstimator() with no weights: MediaPipe's
// palm and landmark models shipped in models/, our hand assets in assets/) in this page's WebGPU,
// found through packageFiles.ts's import.meta.url under Vite. The photos against MediaPipe's own
// HandLandmarker (test/fixtures/mediapipe-hands/full.json, as test/model/handLandmarker.test.ts
// does in Node), every image type, video mode and the errors; results are left on window for
// test/api/hands.test.ts. Estimators are compiled once and reused (SwiftShader compiles slowly).
import {
  createHandEstimator, EstimateOptionsError, EstimatorDisposedError, WeightsError, type Hand, type HandImageSource, type MediaPipeHandEstimator,
} from '../../src/index.ts';
import { TASKS_PALM_TARGET_ANGLE } from '../../src/model/handRegion.ts';
import { assert, fetchBytes, log, makeChecks, type CheckResult } from './pageSetup.ts';

export type { CheckResult as HandsCheck } from './pageSetup.ts';

declare global {
  interface Window {
    __handsResults?: CheckResult[];
    __handsFatal?: string;
    __handsInfo?: Record<string, unknown>;
  }
}

const { results, check } = makeChecks();
const info: Record<string, unknown> = {};
const timings: Record<string, number> = {};
info.timings = timings;

const PHOTOS = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'];
const photoUrl = (name: string) => `/node_modules/fingerpose/assets/${name}`;

interface Golden {
  photos: Record<string, { width: number; height: number; hands: { landmarks: number[][]; worldLandmarks: number[][]; handedness: { categoryName: string }[] }[] }>;
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[what] = Math.round(performance.now() - t0);
    log(`time: ${what} ${timings[what]} ms`);
  }
}

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

/** Largest keypoint difference between two hands, image pixels. */
function keypointDiff(a: Hand, b: Hand): number {
  return Math.max(...a.keypoints.map((k, i) => Math.hypot(k.x - b.keypoints[i].x, k.y - b.keypoints[i].y)));
}

/** The photo moved by (dx, dy) and rotated by `deg` (clockwise on screen) about its centre, on black (test/model/handLandmarker.test.ts's moved()). */
function moved(img: ImageBitmap, dx: number, dy: number, deg: number): OffscreenCanvas {
  const { width: W, height: H } = img;
  const c = new OffscreenCanvas(W, H);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, W, H);
  ctx.translate(W / 2 + dx, H / 2 + dy);
  ctx.rotate((deg * Math.PI) / 180);
  ctx.drawImage(img, -W / 2, -H / 2);
  return c;
}

/** onProgress that records when each load phase starts (ms from the call): where creation spends its time. */
function phases(what: string): (p: { phase: string }) => void {
  const t0 = performance.now();
  const seen: Record<string, number> = {};
  return (p) => {
    if (p.phase in seen) return;
    seen[p.phase] = Math.round(performance.now() - t0);
    timings[`${what}: ${p.phase} phase from`] = seen[p.phase];
  };
}

async function main(): Promise<void> {
  info.userAgent = navigator.userAgent;
  const golden = JSON.parse(new TextDecoder().decode(await fetchBytes('/test/fixtures/mediapipe-hands/full.json'))) as Golden;
  const jpegs = Object.fromEntries(await Promise.all(PHOTOS.map(async (n) => [n, await fetchBytes(photoUrl(n))] as const)));
  const bitmaps: Record<string, ImageBitmap> = {};
  for (const n of PHOTOS) bitmaps[n] = await createImageBitmap(new Blob([jpegs[n]], { type: 'image/jpeg' }));

  // 1. The shipped full models, found by packageFiles.ts under Vite, against MediaPipe's goldens.
  const est = await timed('createHandEstimator(full, mesh)', () => createHandEstimator({ palmTargetAngle: TASKS_PALM_TARGET_ANGLE, onProgress: phases('full') }));
  info.files = est.info?.files;
  info.dispatches = est.info?.dispatches;
  info.adapter = est.info?.adapter;
  log(`full estimator: ${JSON.stringify(est.info)}`);
  const byPhoto: Record<string, Hand[]> = {};
  const report: string[] = [];
  for (const name of PHOTOS)
    await check(`${name} (ImageBitmap): one hand, keypoints within a mean of 3 % of the box of MediaPipe's, its handedness, world in metres, a mesh`, async () => {
      const img = bitmaps[name];
      const hands = await timed(`estimateHands(full) ${name}`, () => est.estimateHands(img));
      log(`  timings ${name}: ${JSON.stringify(est.lastTimings)}`);
      byPhoto[name] = hands;
      assert(hands.length === 1, `${hands.length} hands`);
      const h = hands[0];
      const ref = golden.photos[name].hands[0];
      assert(img.width === golden.photos[name].width && img.height === golden.photos[name].height, `photo ${img.width}x${img.height}, golden ${golden.photos[name].width}x${golden.photos[name].height}`);
      const want = ref.landmarks.map(([x, y]) => [x * img.width, y * img.height]);
      const xs = want.map((p) => p[0]);
      const ys = want.map((p) => p[1]);
      const box = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      assert(h.keypoints.length === 21, `${h.keypoints.length} keypoints`);
      const d = h.keypoints.map((k, i) => Math.hypot(k.x - want[i][0], k.y - want[i][1]) / box);
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      const wd = h.world.map((p, i) => Math.hypot(p.x - ref.worldLandmarks[i][0], p.y - ref.worldLandmarks[i][1], p.z - ref.worldLandmarks[i][2]));
      report.push(
        `${name}: mean ${(100 * mean).toFixed(2)} %, max ${(100 * Math.max(...d)).toFixed(2)} % of ${box.toFixed(0)} px; world mean ${((1000 * wd.reduce((a, b) => a + b, 0)) / 21).toFixed(1)} mm; ` +
          `presence ${h.presence.toFixed(3)}; ${h.handedness.label} ${h.handedness.score.toFixed(3)}; fit ${h.mesh?.fitErrorMm.mean.toFixed(1)} mm`,
      );
      log(report.at(-1)!);
      assert(mean < 0.03, `mean keypoint distance ${(100 * mean).toFixed(2)} % of the box (limit 3 %)`);
      assert(h.handedness.label === ref.handedness[0].categoryName, `handedness ${h.handedness.label}, MediaPipe ${ref.handedness[0].categoryName}`);
      const w = Math.hypot(h.world[0].x - h.world[9].x, h.world[0].y - h.world[9].y, h.world[0].z - h.world[9].z);
      assert(w > 0.05 && w < 0.12, `world wrist to middle MCP ${(100 * w).toFixed(1)} cm (5..12)`);
      assert(h.mesh, 'no mesh');
      assert(h.mesh.vertices.length > 0 && h.mesh.vertices.every(Number.isFinite), 'mesh vertices not finite');
      assert(h.mesh.vertices2d.every(Number.isFinite), 'mesh vertices2d not finite');
      assert(h.mesh.fitErrorMm.mean < 20, `fit error ${h.mesh.fitErrorMm.mean.toFixed(1)} mm (limit 20)`);
    });
  info.report = report;

  // 2. Every other image type of one photo gives the ImageBitmap's keypoints.
  const NAME = 'nocurl.jpg';
  const bitmap = bitmaps[NAME];
  const sources: [string, () => Promise<{ src: HandImageSource; free(): void }>][] = [
    ['HTMLImageElement', async () => {
      const i = new Image();
      i.src = photoUrl(NAME);
      await i.decode();
      return { src: i, free: () => undefined };
    }],
    ['HTMLCanvasElement', async () => {
      const c = document.createElement('canvas');
      c.width = bitmap.width;
      c.height = bitmap.height;
      c.getContext('2d')!.drawImage(bitmap, 0, 0);
      return { src: c, free: () => undefined };
    }],
    ['OffscreenCanvas', async () => {
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      c.getContext('2d')!.drawImage(bitmap, 0, 0);
      return { src: c, free: () => undefined };
    }],
    ['ImageData', async () => {
      const c = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      return { src: ctx.getImageData(0, 0, c.width, c.height), free: () => undefined };
    }],
    ['VideoFrame', async () => {
      const f = new VideoFrame(bitmap, { timestamp: 0 });
      return { src: f, free: () => f.close() };
    }],
  ];
  for (const [kind, make] of sources)
    await check(`${NAME} as ${kind} gives the ImageBitmap's keypoints (0.5 px)`, async () => {
      const ref = byPhoto[NAME];
      assert(ref?.length === 1, 'no ImageBitmap result (see the photo check)');
      const s = await make();
      try {
        const hands = await timed(`estimateHands(full) ${kind}`, () => est.estimateHands(s.src));
        assert(hands.length === 1, `${hands.length} hands`);
        const d = keypointDiff(hands[0], ref[0]);
        log(`  ${kind}: max keypoint difference ${d.toFixed(3)} px`);
        assert(d <= 0.5, `keypoints differ by up to ${d.toFixed(3)} px`);
      } finally {
        s.free();
      }
    });

  // 3. Video mode (lite): tracking from landmarks, one palm detection, smoothing.
  // On the first estimator's device: WebGPU implementations (Dawn) reuse a device's identical
  // pipelines, and compiling is nearly all of creation's time on SwiftShader (~30 s a device).
  const video = await timed('createHandEstimator(lite, video, mesh, same device)', () =>
    createHandEstimator({ model: 'lite', runningMode: 'video', numHands: 1, device: est.device, onProgress: phases('lite video') }),
  );
  const still = await timed('createHandEstimator(lite, image, no mesh, same device)', () =>
    createHandEstimator({ model: 'lite', numHands: 1, mesh: false, device: video.device, onProgress: phases('lite image') }),
  );
  await check('video mode (lite): a moving, turning hand tracked in every frame, one palm detection, within 8 % of image mode, smoothed with raw kept', async () => {
    const img = bitmaps[NAME];
    const frames = 6;
    const errs: string[] = [];
    const t0 = performance.now();
    for (let f = 0; f < frames; f++) {
      const frame = moved(img, 6 * f, -4 * f, 3 * f);
      const hands = await video.estimateHands(frame, { timestamp: 33 * f });
      assert(hands.length === 1, `frame ${f}: ${hands.length} hands`);
      const h = hands[0];
      assert(h.raw?.length === 21, `frame ${f}: no raw keypoints (smoothing is on by default)`);
      assert(h.mesh && h.mesh.vertices.every(Number.isFinite), `frame ${f}: no finite mesh`);
      const ref = await still.estimateHands(frame);
      assert(ref.length === 1, `frame ${f}: image mode found ${ref.length} hands`);
      const xs = ref[0].keypoints.map((k) => k.x);
      const box = Math.max(...xs) - Math.min(...xs);
      const mean = (ks: Hand['keypoints']) => ks.reduce((a, k, i) => a + Math.hypot(k.x - ref[0].keypoints[i].x, k.y - ref[0].keypoints[i].y), 0) / 21 / box;
      const [smoothed, raw] = [mean(h.keypoints), mean(h.raw)];
      errs.push(`${(100 * smoothed).toFixed(1)}/${(100 * raw).toFixed(1)}`);
      assert(smoothed < 0.08 && raw < 0.08, `frame ${f}: ${(100 * smoothed).toFixed(1)} % smoothed, ${(100 * raw).toFixed(1)} % raw of ${box.toFixed(0)} px from image mode (limit 8 %)`);
    }
    timings[`video mode ${frames} frames (video + image estimator)`] = Math.round(performance.now() - t0);
    info.videoVsImage = errs;
    log(`video mode vs image mode per frame, mean % of box (smoothed/raw): ${errs.join(' ')}`);
    assert(video.palmDetections === 1, `palm detector ran ${video.palmDetections} times (tracking should need it once)`);
    assert(still.palmDetections === frames, `image mode ran the palm detector ${still.palmDetections} times, expected ${frames}`);
    await rejects(video.estimateHands(img, { timestamp: 33 * (frames - 1) }), EstimateOptionsError, /timestamp .* greater than the previous one/);
    await rejects(video.estimateHands(img, { timestamp: 0 }), EstimateOptionsError, /timestamp 0 ms must be .* greater than the previous one/);
  });
  await still.dispose();
  await video.dispose();

  // 4. Clear errors.
  await check('createHandEstimator: an unknown option is an EstimateOptionsError naming it', async () => {
    await rejects(() => createHandEstimator({ palmTargetAngel: 1 } as never), EstimateOptionsError, /unknown option 'palmTargetAngel'/);
    await rejects(est.estimateHands(bitmap, { hand: 'left' }), EstimateOptionsError, /unknown option 'hand'/);
    await rejects(est.estimateHands(bitmap, { timestamp: 5 }), EstimateOptionsError, /timestamp is for runningMode 'video'/);
  });
  await check('createHandEstimator: a model URL that is not there is a WeightsError naming the URL', async () => {
    await rejects(() => createHandEstimator({ models: { palm: '/nope.tflite', landmark: '/models/hand_landmark_lite.tflite' } }), WeightsError, /palm model: cannot read \/nope\.tflite/);
  });
  await check('dispose(): estimateHands rejects with EstimatorDisposedError, stats() all zero', async () => {
    const before = est.stats();
    assert(before.pipelines > 0 && before.buffers > 0, `stats before dispose: ${JSON.stringify(before)}`);
    await est.dispose();
    const after = est.stats();
    const { memory, ...counts } = after;
    const left = [...Object.entries(counts), ...Object.entries(memory).map(([k, v]) => [`memory.${k}`, v])].filter(([, v]) => v !== 0);
    assert(left.length === 0, `held after dispose(): ${JSON.stringify(after)}`);
    await rejects(est.estimateHands(bitmap), EstimatorDisposedError, /disposed/);
    await rejects(() => est.profile(), EstimatorDisposedError, /disposed/);
  });

  for (const b of Object.values(bitmaps)) b.close();
  window.__handsInfo = info;
  window.__handsResults = results;
}

const t0 = performance.now();
main()
  .catch((e) => {
    window.__handsFatal = String((e as Error)?.stack ?? e);
  })
  .finally(() => {
    timings.page = Math.round(performance.now() - t0);
    window.__handsInfo = info;
    window.__handsResults = results;
  });
