/**
 * The page of bench/hands.ts: our hand pipeline and MediaPipe's own runtime
 * (@mediapipe/tasks-vision HandLandmarker, CPU and GPU delegates) in one page, on the same
 * ImageBitmaps. The Node side drives it one call per frame (window.handsBench), so it decides
 * the interleaving; every time here is performance.now() around one call, in the page.
 *
 * Served by bench/hands.ts from 127.0.0.1 (the page, this module bundled, the tasks-vision
 * bundle and wasm, the .task bundles, the .tflite models and the photos); nothing else loads.
 */
import type { FilesetResolver as MpFilesetResolver, HandLandmarker as MpHandLandmarker, HandLandmarkerResult } from '@mediapipe/tasks-vision';
import { createHandEstimator, type HandTimings } from '../src/index.ts';
import { TASKS_PALM_TARGET_ANGLE } from '../src/model/handRegion.ts';
import { describeWebGPUAdapter } from './webgpuAdapter.ts';

export type Mode = 'image' | 'video';
export type Model = 'full' | 'lite';

/** One runtime under test: ours on WebGPU, or MediaPipe Tasks with a delegate. */
export interface RuntimeSpec {
  id: string;
  kind: 'ours' | 'mediapipe';
  model: Model;
  /** MediaPipe only. */
  delegate?: 'CPU' | 'GPU';
  /** Ours only: also fit the hand mesh. */
  mesh?: boolean;
}

/** Our per-stage split of one frame, ms (estimator.lastTimings; palm null when video tracking skipped the detector). */
export type Stages = HandTimings;

export interface FrameResult {
  ms: number;
  hands: number;
  stages?: Stages;
  /** Normalised x, y of the first hand's 21 landmarks (verification frames only). */
  landmarks?: number[][];
}

export interface PageConfig {
  /** '/lib/vision_bundle.mjs' */
  tasksVision: string;
  /** '/wasm' */
  wasm: string;
  /** name -> URL of the .task bundle (MediaPipe) */
  bundles: Record<Model, string>;
  /** model -> { palm, landmark } .tflite URLs (ours) */
  models: Record<Model, { palm: string; landmark: string }>;
  /** Our hand assets (the mesh row) */
  hands: { left: string; right: string };
  /** JPEG URLs of the photos, in order */
  photos: string[];
  /** Frames per photo in the video sequence (the photo moved and turned a little each frame). */
  clip: number;
}

export interface PageInfo {
  userAgent: string;
  webgpu: string;
  webgl: string;
  hardwareConcurrency: number;
}

interface Frame {
  bitmap: ImageBitmap;
  /** Index of the photo it is made from. */
  photo: number;
}

interface Runner {
  detect(frame: Frame, timestamp: number, wantLandmarks: boolean): Promise<FrameResult>;
  close(): Promise<void>;
}

declare global {
  interface Window {
    handsBench: typeof api;
    handsBenchReady?: boolean;
  }
}

let cfg: PageConfig;
let imageFrames: Frame[] = [];
let videoFrames: Frame[] = [];
let tasks: { FilesetResolver: typeof MpFilesetResolver; HandLandmarker: typeof MpHandLandmarker } | undefined;
const runners = new Map<string, { runner: Runner; mode: Mode; next: number; timestamp: number }>();

const bytes = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

/** Frame k of a photo's clip: shifted by up to 24 px (x and y) and turned by up to 0.2 rad, one smooth loop per clip; grey where the photo left. */
async function moved(photo: ImageBitmap, k: number, clip: number): Promise<ImageBitmap> {
  const { width: w, height: h } = photo;
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  const t = (2 * Math.PI * k) / clip;
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, w, h);
  ctx.translate(w / 2 + 24 * Math.sin(t), h / 2 + 12 * (1 - Math.cos(t)));
  ctx.rotate(0.2 * Math.sin(t));
  ctx.drawImage(photo, -w / 2, -h / 2);
  return createImageBitmap(canvas);
}

// ---------------------------------------------------------------------------------------------
// Runtimes

/**
 * Ours: createHandEstimator on the .tflite files, fed the ImageBitmap; stage times from
 * lastTimings. The palm rotation target is MediaPipe Tasks' (same crops as the runtime it is
 * compared with; the cost is the same either way).
 */
async function createOurs(spec: RuntimeSpec, mode: Mode): Promise<Runner> {
  const est = await createHandEstimator({
    models: cfg.models[spec.model],
    runningMode: mode,
    numHands: 1,
    mesh: spec.mesh ? cfg.hands : false,
    palmTargetAngle: TASKS_PALM_TARGET_ANGLE,
  });
  return {
    async detect(frame, timestamp, wantLandmarks) {
      const t0 = performance.now();
      const hands = await est.estimateHands(frame.bitmap, mode === 'video' ? { timestamp } : {});
      const ms = performance.now() - t0;
      return {
        ms,
        hands: hands.length,
        stages: { ...est.lastTimings },
        landmarks: wantLandmarks && hands[0] ? hands[0].normalized.map((p) => [p.x, p.y]) : undefined,
      };
    },
    async close() {
      await est.dispose();
    },
  };
}

/** MediaPipe Tasks HandLandmarker, the same options as the goldens but numHands 1. */
async function createMediapipe(spec: RuntimeSpec, mode: Mode): Promise<Runner> {
  if (!tasks) tasks = (await import(/* @vite-ignore */ cfg.tasksVision)) as NonNullable<typeof tasks>;
  const fileset = await tasks.FilesetResolver.forVisionTasks(cfg.wasm);
  const bundle = await bytes(cfg.bundles[spec.model]);
  const lm = await tasks.HandLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetBuffer: bundle, delegate: spec.delegate },
    runningMode: mode === 'video' ? 'VIDEO' : 'IMAGE',
    numHands: 1,
    minHandDetectionConfidence: 0.5,
    minHandPresenceConfidence: 0.5,
    minTrackingConfidence: 0.5,
  });
  return {
    async detect(frame, timestamp, wantLandmarks) {
      const t0 = performance.now();
      const r: HandLandmarkerResult = mode === 'video' ? lm.detectForVideo(frame.bitmap, timestamp) : lm.detect(frame.bitmap);
      const ms = performance.now() - t0;
      return { ms, hands: r.landmarks.length, landmarks: wantLandmarks && r.landmarks[0] ? r.landmarks[0].map((p) => [p.x, p.y]) : undefined };
    },
    async close() {
      lm.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// What the Node side calls

const api = {
  async info(): Promise<PageInfo> {
    const webgpu = await describeWebGPUAdapter();
    let webgl = 'none';
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (gl) {
      const dbg = gl.getExtension('WEBGL_debug_renderer_info');
      webgl = `${gl.getParameter(gl.VERSION)}; ${dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)}`;
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
    return { userAgent: navigator.userAgent, webgpu, webgl, hardwareConcurrency: navigator.hardwareConcurrency };
  },

  /** Decodes the photos (createImageBitmap) and makes the video clips. */
  async prepare(c: PageConfig): Promise<{ width: number; height: number; imageFrames: number; videoFrames: number }> {
    cfg = c;
    const photos = await Promise.all(c.photos.map(async (u) => createImageBitmap(new Blob([await bytes(u)], { type: 'image/jpeg' }))));
    imageFrames = photos.map((bitmap, photo) => ({ bitmap, photo }));
    videoFrames = [];
    for (let p = 0; p < photos.length; p++) for (let k = 0; k < c.clip; k++) videoFrames.push({ bitmap: await moved(photos[p], k, c.clip), photo: p });
    return { width: photos[0].width, height: photos[0].height, imageFrames: imageFrames.length, videoFrames: videoFrames.length };
  },

  /** Creates a runtime in a mode; returns the creation time (fetching, compiling, graph set-up). */
  async create(spec: RuntimeSpec, mode: Mode): Promise<{ ms: number }> {
    const key = `${spec.id}/${mode}`;
    if (runners.has(key)) throw new Error(`${key} exists`);
    const t0 = performance.now();
    const runner = spec.kind === 'ours' ? await createOurs(spec, mode) : await createMediapipe(spec, mode);
    const ms = performance.now() - t0;
    runners.set(key, { runner, mode, next: 0, timestamp: 0 });
    return { ms };
  },

  /**
   * One frame. Image mode: `photo` picks the photo. Video mode: the runtime's next frame of the
   * video sequence (photo ignored), timestamps 33 ms apart.
   */
  async frame(id: string, mode: Mode, photo: number, wantLandmarks = false): Promise<FrameResult & { photo: number; frame: number }> {
    const r = runners.get(`${id}/${mode}`);
    if (!r) throw new Error(`${id}/${mode} not created`);
    const index = mode === 'video' ? r.next++ % videoFrames.length : photo % imageFrames.length;
    const f = mode === 'video' ? videoFrames[index] : imageFrames[index];
    r.timestamp += 33;
    const res = await r.runner.detect(f, r.timestamp, wantLandmarks);
    return { ...res, photo: f.photo, frame: index };
  },

  async dispose(id: string, mode: Mode): Promise<void> {
    const r = runners.get(`${id}/${mode}`);
    runners.delete(`${id}/${mode}`);
    await r?.runner.close();
  },
};

window.handsBench = api;
window.handsBenchReady = true;
