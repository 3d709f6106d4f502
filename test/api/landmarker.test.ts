// The trained default of the embedding API in Node (Dawn): createHandEstimator() with the shipped
// MediaPipe models and hand assets, on the three real photos (GPUTexture input), against MediaPipe's
// own HandLandmarker (test/fixtures/mediapipe-hands); the fitted mesh against the fit (GPU skinning
// vs CPU), video mode, option and lifecycle errors. The Chromium side is test/api/hands.test.ts.
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createHandEstimator, EstimateOptionsError, formatCreation, type LoadProgressEvent, EstimatorDisposedError, HAND_KEYPOINT_NAMES, TASKS_PALM_TARGET_ANGLE, WeightsError, type Hand, type MediaPipeHandEstimator,
} from '../../src/index.ts';
import { MANO_JOINT_ORDER } from '../../src/model/manoAsset.ts';
import { movedImage as moved } from '../imageOps.ts';

const FIX = new URL('../fixtures/mediapipe-hands/', import.meta.url);
const PHOTOS = ['fullcurl.jpg', 'halfcurl.jpg', 'nocurl.jpg'];
interface Golden { photos: Record<string, { hands: { handedness: { categoryName: string }[] | { categoryName: string }; landmarks: number[][] }[] }> }
const golden = (v: string) => JSON.parse(readFileSync(new URL(`${v}.json`, FIX), 'utf8')) as Golden;
const decode = (name: string) => jpeg.decode(readFileSync(new URL(`../../node_modules/fingerpose/assets/${name}`, import.meta.url)), { useTArray: true, formatAsRGBA: true });
type Img = { width: number; height: number; data: Uint8Array };

function texture(device: GPUDevice, img: Img): GPUTexture {
  const t = device.createTexture({ size: [img.width, img.height], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
  device.queue.writeTexture({ texture: t }, img.data as Uint8Array<ArrayBuffer>, { bytesPerRow: img.width * 4 }, [img.width, img.height]);
  return t;
}

/** Mean keypoint distance over the box size (the larger extent of `ref`). */
function agreement(h: Hand, ref: number[][]): number {
  const xs = ref.map((p) => p[0]);
  const ys = ref.map((p) => p[1]);
  const box = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  return h.keypoints.reduce((a, k, i) => a + Math.hypot(k.x - ref[i][0], k.y - ref[i][1]), 0) / 21 / box;
}

let full: MediaPipeHandEstimator;
const progress: string[] = [];
let ready: LoadProgressEvent | undefined;
let firstRunBefore: number | null | undefined;
beforeAll(async () => {
  full = await createHandEstimator({ palmTargetAngle: TASKS_PALM_TARGET_ANGLE, onProgress: (p) => (progress.push(p.phase), p.phase === 'ready' && (ready = p)) });
  firstRunBefore = full.creation.firstRunMs;
});
afterAll(() => full?.dispose());

describe('createHandEstimator() with the shipped models', () => {
  test('creation split: the ready event and estimator.creation give each phase and the pipelines per graph; the first call fills firstRunMs', async () => {
    const t = ready?.timings;
    expect(t).toBeDefined();
    expect(t).toBe(full.creation);
    for (const k of ['deviceMs', 'fetchMs', 'parseMs', 'uploadMs', 'compileMs'] as const) expect(t![k], k).toBeGreaterThanOrEqual(0);
    expect(t!.compileMs).toBeGreaterThan(0);
    expect(t!.deviceMs + t!.fetchMs + t!.parseMs + t!.uploadMs + t!.compileMs).toBeLessThanOrEqual(t!.totalMs + 1);
    // Shapes are params: a network needs a handful of pipelines, not one per layer (palm had 30, landmark 34).
    expect(Object.keys(t!.pipelines).sort()).toEqual(['landmark', 'mesh.left', 'mesh.right', 'palm']);
    expect(t!.pipelines.palm).toBeGreaterThan(2);
    expect(t!.pipelines.palm).toBeLessThanOrEqual(12);
    expect(t!.pipelines.landmark).toBeLessThanOrEqual(15);
    expect(firstRunBefore).toBeNull();
    await full.estimateHands(texture(full.device, decode(PHOTOS[0])));
    expect(full.creation.firstRunMs).toBeGreaterThan(0);
    expect(formatCreation(full.creation)).toMatch(/^created in [\d.]+ s: device .*; pipelines palm \d+, landmark \d+.*; first run [\d.]+ s$/);
  });

  test('real photos: one hand each, MediaPipe agreement < 3 % of the box, handedness, world landmarks, a fitted mesh', async () => {
    expect(full.family).toBe('mediapipe');
    expect(progress).toContain('models');
    expect(progress.at(-1)).toBe('ready');
    expect(full.info.model).toBe('full');
    expect(full.info.mesh).toEqual({ left: true, right: true });
    // The shipped models' filters are float16: held as f16 pairs on the GPU, values unchanged.
    expect(full.info.weightPrecision).toEqual({ palm: 'f16', landmark: 'f16' });
    expect(full.stats().memory.weights).toBeGreaterThan(1_000_000);
    const ref = golden('full');
    const lines: string[] = [];
    for (const name of PHOTOS) {
      const img = decode(name);
      const tex = texture(full.device, img);
      const hands = await full.estimateHands(tex);
      tex.destroy();
      expect(hands.length, name).toBe(1);
      const h = hands[0];
      const g = ref.photos[name].hands[0];
      const want = g.landmarks.map(([x, y]) => [x * img.width, y * img.height]);
      const mean = agreement(h, want);
      expect(mean, name).toBeLessThan(0.03);
      const label = Array.isArray(g.handedness) ? g.handedness[0].categoryName : g.handedness.categoryName;
      expect(h.handedness.label, name).toBe(label);
      expect(h.keypoints.map((k) => k.name)).toEqual([...HAND_KEYPOINT_NAMES]);
      h.keypoints.forEach((k, i) => {
        expect(h.normalized[i].x).toBeCloseTo(k.x / img.width, 6);
        expect(h.normalized[i].y).toBeCloseTo(k.y / img.height, 6);
      });
      const [w0, w9] = [h.world[0], h.world[9]];
      const palm = Math.hypot(w0.x - w9.x, w0.y - w9.y, w0.z - w9.z);
      expect(palm).toBeGreaterThan(0.05);
      expect(palm).toBeLessThan(0.12);
      expect(h.presence).toBeGreaterThan(0.5);
      expect(h.box.width).toBeGreaterThan(0);

      // The mesh: skinned on the GPU with the fitted pose; its fingertip vertices are the fit's tips (CPU, float64).
      const m = h.mesh!;
      expect(m, name).not.toBeNull();
      expect(m.side).toBe(h.handedness.label.toLowerCase());
      expect(m.vertices.length).toBe(778 * 3);
      expect(m.faces.length % 3).toBe(0);
      expect(m.vertices.every(Number.isFinite) && m.vertices2d.every(Number.isFinite)).toBe(true);
      const tipsMp = [4, 8, 12, 16, 20];
      const tipVertex = (f: number) => (m.side === 'left' ? [745, 317, 445, 556, 673] : [745, 317, 444, 556, 673])[f];
      for (const [f, mp] of tipsMp.entries()) {
        const v = tipVertex(f);
        const d = Math.hypot(m.vertices[v * 3] - m.joints[mp * 3], m.vertices[v * 3 + 1] - m.joints[mp * 3 + 1], m.vertices[v * 3 + 2] - m.joints[mp * 3 + 2]);
        expect(d, `${name} tip ${f}: GPU vertex vs fitted joint (m)`).toBeLessThan(2e-5);
      }
      expect(MANO_JOINT_ORDER.length).toBe(21);
      expect(m.fitErrorMm.mean).toBeGreaterThan(0);
      expect(m.fitErrorMm.mean, `${name} fit error`).toBeLessThan(15);
      // Over the photo: the fitted joints projected land near the 2-D keypoints.
      const p = m.projection;
      const proj = h.keypoints.reduce((a, k, i) => a + Math.hypot(p.scale * m.joints[i * 3] + p.x - k.x, p.scale * m.joints[i * 3 + 1] + p.y - k.y), 0) / 21;
      expect(proj / h.box.width, `${name} projection`).toBeLessThan(0.1);
      const t = full.lastTimings;
      expect(t.palm).toBeGreaterThan(0);
      expect(t.total).toBeGreaterThanOrEqual(t.landmark + (t.palm ?? 0) + t.mesh - 1e-6);
      lines.push(`${name}: ${h.handedness.label} ${h.handedness.score.toFixed(2)}, mean ${(100 * mean).toFixed(2)} % of box, fit ${m.fitErrorMm.mean.toFixed(1)} mm (max ${m.fitErrorMm.max.toFixed(1)}), projection ${proj.toFixed(1)} px; ${t.total.toFixed(0)} ms (palm ${t.palm!.toFixed(0)}, landmarks ${t.landmark.toFixed(0)}, mesh ${t.mesh.toFixed(0)})`);
    }
    console.log(`[trained API, full]\n  ${lines.join('\n  ')}`);
  });

  test('image mode refuses timestamps; unknown options are named', async () => {
    const img = decode('nocurl.jpg');
    const tex = texture(full.device, img);
    await expect(full.estimateHands(tex, { timestamp: 5 })).rejects.toThrow(EstimateOptionsError);
    await expect(full.estimateHands(tex, { timestampp: 5 } as never)).rejects.toThrow(/unknown option 'timestampp'/);
    await expect(full.estimateHands(null as never)).rejects.toThrow(/expected an image/);
    tex.destroy();
    await expect(createHandEstimator({ numHand: 2 } as never)).rejects.toThrow(/unknown option 'numHand'/);
    await expect(createHandEstimator({ model: 'medium' as never })).rejects.toThrow(/model must be 'full' or 'lite'/);
    await expect(createHandEstimator({ numHands: 0 })).rejects.toThrow(/numHands must be an integer in 1..16/);
    await expect(createHandEstimator({ minTrackingConfidence: 2 })).rejects.toThrow(/minTrackingConfidence must be a number in \[0, 1\]/);
    await expect(createHandEstimator({ weightPrecision: 'half' as never })).rejects.toThrow(/weightPrecision must be 'f32' or 'f16', got 'half'/);
    await expect(createHandEstimator({ models: { palm: 'models/palm_detection_lite.tflite' } as never })).rejects.toThrow(/models.landmark/);
    await expect(createHandEstimator({ models: { palm: 'models/nope.tflite', landmark: 'models/hand_landmark_lite.tflite' } })).rejects.toThrow(WeightsError);
    await expect(createHandEstimator({ models: { palm: 'assets/hand-left.safetensors', landmark: 'models/hand_landmark_lite.tflite' } })).rejects.toThrow(/palm model: .*hand-left.safetensors/);
  });
});

describe('video mode (lite, one hand)', () => {
  test('tracks without re-running the palm detector, smooths keypoints, checks timestamps; dispose frees everything', async () => {
    const video = await createHandEstimator({ model: 'lite', runningMode: 'video', numHands: 1, mesh: false, weightPrecision: 'f32' });
    try {
      expect(video.info.runningMode).toBe('video');
      expect(video.info.weightPrecision).toEqual({ palm: 'f32', landmark: 'f32' });
      const img = decode('nocurl.jpg');
      let tex: GPUTexture | null = null;
      for (let f = 0; f < 5; f++) {
        tex?.destroy();
        tex = texture(video.device, moved(img, 5 * f, -3 * f, 2 * f));
        const hands = await video.estimateHands(tex, { timestamp: 33 * f });
        expect(hands.length, `frame ${f}`).toBe(1);
        expect(hands[0].mesh).toBeNull();
        expect(hands[0].raw?.length).toBe(21);
        if (f > 0) {
          expect(video.lastTimings.palm, `frame ${f}: no palm detection`).toBeNull();
          // Smoothed keypoints lag the raw ones while the hand moves.
          const lag = hands[0].keypoints.reduce((a, k, i) => a + Math.hypot(k.x - hands[0].raw![i].x, k.y - hands[0].raw![i].y), 0);
          expect(lag).toBeGreaterThan(0);
        }
      }
      expect(video.palmDetections).toBe(1);
      await expect(video.estimateHands(tex!, { timestamp: 10 })).rejects.toThrow(/timestamp 10 ms must be .*greater than the previous one/);
      tex!.destroy();
      expect(video.stats().buffers).toBeGreaterThan(0);
    } finally {
      await video.dispose();
    }
    const s = video.stats();
    expect({ buffers: s.buffers, pipelines: s.pipelines, textures: s.textures, prepBuffers: s.prepBuffers, bindGroups: s.bindGroups }).toEqual({ buffers: 0, pipelines: 0, textures: 0, prepBuffers: 0, bindGroups: 0 });
    await expect(video.estimateHands({} as never)).rejects.toThrow(EstimatorDisposedError);
  });
});
