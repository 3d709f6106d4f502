/**
 * The trained default of the embedding API: MediaPipe's palm detector and hand landmark models
 * (shipped with the package, from npm @mediapipe/hands, Apache-2.0) on our kernels, plus our
 * hand model fitted to the landmarks. `createHandEstimator()` with no weights builds this:
 *
 *   image --(copy / upload / caller's GPUTexture)--> texture
 *         --(letterbox crop 192 + palm network: one submit)--> palms --(CPU: anchors, NMS, regions)
 *         --(rotated crops 224 + landmark network, all hands batched: one submit)--> landmarks
 *         --(CPU fit; manoPose + manoSkin: one submit per side)--> mesh
 *
 * Video mode (runningMode 'video') tracks hands from their landmarks and runs the palm detector
 * only when a hand is missing (HandLandmarker.detectForVideo), and smooths the keypoints with a
 * One Euro filter per hand.
 */
import { Engine, type Profile, type VariantPolicy } from '../engine/index.ts';
import { CreationClock, type CreationTimings } from './creation.ts';
import type { ProfileOptions } from '../engine/executor.ts';
import { HandLandmarker, type LandmarkedHand } from '../model/handLandmarker.ts';
import { HandMesher } from '../model/handMesh.ts';
import type { HandSide, ManoAsset } from '../model/manoAsset.ts';
import { loadManoAsset } from '../weights/mano.ts';
import { readAllBytes } from '../weights/source.ts';
import { readTflite, type TfliteModel } from '../weights/tflite.ts';
import { EstimateOptionsError, EstimatorDisposedError, f16RangeError, HandAssetError, WeightsError } from './errors.ts';
import { HAND_KEYPOINT_NAMES, type EstimateHandsOptions, type Hand, type HandKeypoint, type HandsEstimator, type HandTimings } from './hands.ts';
import { OneEuroFilter, type OneEuroOptions } from './oneEuro.ts';
import { defaultHandUrls, defaultModelUrls, type HandModelVariant } from './packageFiles.ts';
import { checkBinary } from './checks.ts';
import { checkCommon, checkKnownKeys, checkOneEuro, shown } from './options.ts';
import { checkNotLost, lossAware } from './deviceLoss.ts';
import { nonFiniteReport } from '../util/finite.ts';
import { prepareSource, type HandImageSource } from './sources.ts';
import type { BinarySource, EstimatorStats, LoadProgressEvent } from './types.ts';
import { SourceUploader } from './upload.ts';
import { CallQueue } from './callQueue.ts';

export interface MediaPipeEstimatorOptions {
  /** Which shipped models: 'full' (default) or 'lite' (about half the work, a little less accurate). */
  model?: HandModelVariant;
  /** Your own files instead (URL, File/Blob, bytes; .tflite): MediaPipe's palm detector and hand landmark model. */
  models?: { palm: BinarySource; landmark: BinarySource };
  /** Most hands found (MediaPipe's numHands, default 2); the landmark network runs this batch. */
  numHands?: number;
  /** Palm detector score threshold (default 0.5). */
  minHandDetectionConfidence?: number;
  /** Hand presence threshold of the landmark model (default 0.5). */
  minHandPresenceConfidence?: number;
  /** Video mode: a tracked hand at or below this presence is dropped and found again by the palm detector (default 0.5). */
  minTrackingConfidence?: number;
  /** 'image' (default): every call detects palms. 'video': hands are tracked between calls (pass timestamps). */
  runningMode?: 'image' | 'video';
  /**
   * Fit a hand mesh to every hand (default true, with our licence-free hand model shipped in
   * assets/). `{ left, right }`: your own hand assets (`hiu convert-mano` output); a side left
   * out gets no mesh. false: no meshes, no fit cost.
   */
  mesh?: boolean | { left?: BinarySource; right?: BinarySource };
  /** Video mode: One Euro smoothing of the keypoints (image pixels, default on); false turns it off. */
  smoothing?: false | OneEuroOptions;
  /** MediaPipe Tasks rotates the first crop to 90 radians, not degrees (see README); pass TASKS_PALM_TARGET_ANGLE to match it exactly. */
  palmTargetAngle?: number;
  /**
   * How the GPU holds the networks' weights: 'f16' (pairs packed in u32, half the bytes) or 'f32'.
   * Default: as the files store them (the shipped models are float16, so f16, bit-identical).
   */
  weightPrecision?: 'f32' | 'f16';
  /** How kernel variants are picked per layer (see HandEstimatorOptions.kernelVariants). */
  kernelVariants?: VariantPolicy;
  device?: GPUDevice;
  onProgress?: (p: LoadProgressEvent) => void;
  signal?: AbortSignal;
}

const KNOWN = [
  'model', 'models', 'numHands', 'minHandDetectionConfidence', 'minHandPresenceConfidence', 'minTrackingConfidence', 'runningMode', 'mesh', 'smoothing',
  'palmTargetAngle', 'weightPrecision', 'kernelVariants', 'device', 'onProgress', 'signal',
] as const;

const err = (e: unknown) => (e instanceof Error ? e.message : String(e));

function checkOptions(o: MediaPipeEstimatorOptions): void {
  checkKnownKeys('createHandEstimator', 'options', o, KNOWN, "; HIU-DMTL takes 'weights' and 'hand'");
  checkCommon('createHandEstimator', o);
  if (o.model !== undefined && o.model !== 'full' && o.model !== 'lite') throw new EstimateOptionsError(`createHandEstimator: model must be 'full' or 'lite', got ${shown(o.model)}`);
  if (o.models !== undefined) {
    if (o.model !== undefined) throw new EstimateOptionsError("createHandEstimator: pass either 'model' (the shipped files) or 'models' (your files), not both");
    checkKnownKeys('createHandEstimator', 'models', o.models, ['palm', 'landmark']);
    checkBinary('models.palm', o.models.palm);
    checkBinary('models.landmark', o.models.landmark);
  }
  if (o.runningMode !== undefined && o.runningMode !== 'image' && o.runningMode !== 'video')
    throw new EstimateOptionsError(`createHandEstimator: runningMode must be 'image' or 'video', got ${shown(o.runningMode)}`);
  if (o.numHands !== undefined && !(Number.isInteger(o.numHands) && o.numHands >= 1 && o.numHands <= 16))
    throw new EstimateOptionsError(`createHandEstimator: numHands must be an integer in 1..16, got ${shown(o.numHands)}`);
  for (const k of ['minHandDetectionConfidence', 'minHandPresenceConfidence', 'minTrackingConfidence'] as const)
    if (o[k] !== undefined && !(typeof o[k] === 'number' && o[k] >= 0 && o[k] <= 1)) throw new EstimateOptionsError(`createHandEstimator: ${k} must be a number in [0, 1], got ${shown(o[k])}`);
  if (o.mesh !== undefined && typeof o.mesh !== 'boolean') {
    if (!o.mesh || typeof o.mesh !== 'object') throw new EstimateOptionsError(`createHandEstimator: mesh must be true, false or { left, right }, got ${shown(o.mesh)}`);
    checkKnownKeys('createHandEstimator', 'mesh', o.mesh, ['left', 'right']);
    if (o.mesh.left !== undefined) checkBinary('mesh.left', o.mesh.left);
    if (o.mesh.right !== undefined) checkBinary('mesh.right', o.mesh.right);
  }
  if (o.smoothing !== false) checkOneEuro('createHandEstimator', 'smoothing', o.smoothing);
  if (o.palmTargetAngle !== undefined && !Number.isFinite(o.palmTargetAngle)) throw new EstimateOptionsError(`createHandEstimator: palmTargetAngle must be a finite number of radians`);
}

/** The model and where it came from (URL, path, file name or '<buffer>'). */
async function loadModel(what: string, source: BinarySource, o: MediaPipeEstimatorOptions, onBytes: (loaded: number, total?: number) => void): Promise<{ model: TfliteModel; from: string; parseMs: number }> {
  let bytes: Uint8Array;
  let name: string;
  // A bundler that moved this module makes the shipped model's URL point elsewhere: a 404, or a
  // dev server's index.html in its place.
  const hint =
    o.models === undefined
      ? ". The shipped model was not found next to the package's code: with a bundler that moves it (Vite's dependency pre-bundling), pass models: { palm, landmark } URLs (README) or exclude hiu-webgpu from pre-bundling"
      : '';
  try {
    ({ bytes, name } = await readAllBytes(source, { signal: o.signal, onProgress: (p) => onBytes(p.loaded, p.total) }));
  } catch (e) {
    throw new WeightsError(`${what}: cannot read ${String(source instanceof Blob ? '<blob>' : source instanceof URL || typeof source === 'string' ? source : '<bytes>')}: ${err(e)}${hint}`, { cause: e });
  }
  try {
    const t0 = performance.now();
    const model = readTflite(bytes, name.split('/').pop() || name);
    return { model, from: name, parseMs: performance.now() - t0 };
  } catch (e) {
    throw new WeightsError(`${what}: ${err(e)}${hint}`, { cause: e });
  }
}

/** Builds the trained estimator; see createHandEstimator. */
export async function createMediaPipeEstimator(opts: MediaPipeEstimatorOptions = {}): Promise<MediaPipeHandEstimator> {
  if (opts === null || typeof opts !== 'object') throw new EstimateOptionsError('createHandEstimator: options must be an object');
  checkOptions(opts);
  const clock = new CreationClock();
  const engine = await Engine.create({ device: opts.device, variants: opts.kernelVariants });
  clock.timings.deviceMs = clock.lap();
  try {
    const files = opts.models ?? defaultModelUrls(opts.model ?? 'full');
    const progress = (phase: LoadProgressEvent['phase'], from: number, span: number) => (loaded: number, total?: number) =>
      opts.onProgress?.({ phase, loaded, total, fraction: from + span * (total ? Math.min(1, loaded / total) : 0) });
    const [palm, landmark] = await Promise.all([
      loadModel('palm model', files.palm, opts, progress('models', 0, 0.3)),
      loadModel('landmark model', files.landmark, opts, progress('models', 0.3, 0.4)),
    ]);
    clock.timings.fetchMs = clock.lap() - palm.parseMs - landmark.parseMs;
    clock.timings.parseMs = palm.parseMs + landmark.parseMs;
    const assets: Partial<Record<HandSide, ManoAsset>> = {};
    if (opts.mesh !== false) {
      const src = opts.mesh === undefined || opts.mesh === true ? defaultHandUrls() : opts.mesh;
      for (const side of ['left', 'right'] as const) {
        const s = src[side];
        if (s === undefined) continue;
        let a: ManoAsset;
        try {
          a = await loadManoAsset(s, { signal: opts.signal, onProgress: (p) => progress('hand', side === 'left' ? 0.7 : 0.75, 0.05)(p.loaded, p.total) });
        } catch (e) {
          throw new HandAssetError(`mesh.${side}: ${err(e)}`, { cause: e });
        }
        if (a.side !== side) throw new HandAssetError(`mesh.${side}: this is a ${a.side} hand asset; pass the ${side} one`);
        assets[side] = a;
      }
      clock.timings.parseMs += clock.lap(); // hand assets: read and decoded together
    }
    opts.onProgress?.({ phase: 'compile', loaded: 0, fraction: 0.8 });
    const numHands = opts.numHands ?? 2;
    let landmarker: HandLandmarker;
    try {
      landmarker = HandLandmarker.create(engine, { palm: palm.model, landmark: landmark.model }, {
        numHands, minHandDetectionConfidence: opts.minHandDetectionConfidence, minHandPresenceConfidence: opts.minHandPresenceConfidence,
        minTrackingConfidence: opts.minTrackingConfidence, palmTargetAngle: opts.palmTargetAngle, weightPrecision: opts.weightPrecision,
      });
    } catch (e) {
      throw new EstimateOptionsError(`createHandEstimator: ${err(e)}`, { cause: e });
    }
    const [mesher] = await Promise.all([
      Object.keys(assets).length ? HandMesher.create(engine, assets, numHands) : null,
      landmarker.ready().catch((e) => Promise.reject(f16RangeError(e, 'models'))),
    ]);
    const stages = await landmarker.buildStats();
    clock.compiled(clock.lap(), 0, { ...stages, ...Object.fromEntries(Object.entries(mesher?.buildStats ?? {}).map(([side, b]) => [`mesh.${side}`, b])) });
    const a = engine.ctx.adapterInfo;
    const info: MediaPipeEstimatorInfo = {
      family: 'mediapipe', model: opts.models ? 'custom' : (opts.model ?? 'full'), files: { palm: palm.from, landmark: landmark.from },
      runningMode: opts.runningMode ?? 'image', numHands, dispatches: await landmarker.dispatches(), mesh: { left: !!assets.left, right: !!assets.right },
      adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description }, timestampQuery: engine.ctx.features.timestampQuery,
      weightPrecision: await landmarker.weightPrecisions(),
    };
    opts.onProgress?.({ phase: 'ready', loaded: 1, total: 1, fraction: 1, timings: clock.done() });
    return new MediaPipeHandEstimator(engine, landmarker, mesher, info, opts.smoothing === false ? null : (opts.smoothing ?? {}), clock);
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

interface Smoother {
  filter: OneEuroFilter;
  cx: number;
  cy: number;
  size: number;
}

export interface MediaPipeEstimatorInfo {
  family: 'mediapipe';
  model: HandModelVariant | 'custom';
  /** Where each model was read from: URL, path (Node), file name, or "<buffer>". */
  files: { palm: string; landmark: string };
  runningMode: 'image' | 'video';
  numHands: number;
  /** Dispatches per call: palm stage, landmark stage (crop kernel included). */
  dispatches: { palm: number; landmark: number };
  mesh: { left: boolean; right: boolean };
  adapter: { vendor: string; architecture: string; description: string };
  timestampQuery: boolean;
  /** How the GPU holds each network's weights (see the weightPrecision option). */
  weightPrecision: { palm: 'f32' | 'f16'; landmark: 'f32' | 'f16' };
}

export class MediaPipeHandEstimator implements HandsEstimator {
  readonly family = 'mediapipe' as const;
  private readonly queue = new CallQueue();
  private disposed = false;
  private released: Promise<void> | null = null;
  private readonly uploader: SourceUploader;
  private smoothers: Smoother[] = [];
  private lastTimestamp = -Infinity;
  lastTimings: HandTimings = { upload: 0, palm: null, landmark: 0, mesh: 0, total: 0 };
  private video: boolean;

  /** @internal use createHandEstimator() */
  constructor(
    private readonly engine: Engine,
    private readonly landmarker: HandLandmarker,
    private readonly mesher: HandMesher | null,
    public info: MediaPipeEstimatorInfo,
    private readonly smoothing: OneEuroOptions | null,
    private readonly clock = new CreationClock(),
  ) {
    this.uploader = new SourceUploader(engine.device);
    this.video = info.runningMode === 'video';
  }

  /** Where creation spent its time, pipelines per graph, and the first inference's time once it ran. */
  get creation(): CreationTimings {
    return this.clock.timings;
  }

  get device(): GPUDevice {
    return this.engine.device;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Palm detector runs so far (video mode runs it only when a hand is missing). */
  get palmDetections(): number {
    return this.landmarker.palmDetections;
  }

  estimateHands(source: HandImageSource, options: EstimateHandsOptions = {}): Promise<Hand[]> {
    let timestamp: number;
    try {
      if (this.disposed) throw new EstimatorDisposedError('estimateHands(): this estimator was disposed; create a new one');
      checkNotLost('estimateHands()', this.engine.ctx);
      checkKnownKeys('estimateHands()', 'options', options, ['timestamp'], ' (the MediaPipe models take only timestamp)');
      if (!this.video && options.timestamp !== undefined)
        throw new EstimateOptionsError("estimateHands(): timestamp is for runningMode 'video'; this estimator was created in image mode");
      timestamp = options.timestamp ?? performance.now();
      if (this.video && !(Number.isFinite(timestamp) && timestamp > this.lastTimestamp))
        throw new EstimateOptionsError(`estimateHands(): timestamp ${timestamp} ms must be finite and greater than the previous one (${this.lastTimestamp} ms)`);
      if (this.video) this.lastTimestamp = timestamp;
      prepareSource(source); // fail fast on bad input, before waiting in the queue
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() => lossAware('estimateHands()', this.engine.ctx, () => this.clock.firstRun(() => this.runHands(source, timestamp))));
  }

  private async runHands(source: HandImageSource, timestamp: number): Promise<Hand[]> {
    const t0 = performance.now();
    const p = prepareSource(source);
    const found = await this.uploader.with(p, 'estimateHands()', (texture) =>
      this.video ? this.landmarker.detectForVideo(texture, timestamp) : this.landmarker.detect(texture),
    );
    const lt = this.landmarker.lastTimings;
    const t1 = performance.now();
    const hands = found.map((h) => toHand(h));
    if (this.video && this.smoothing) this.smooth(hands, timestamp);
    const t2 = performance.now();
    if (this.mesher && hands.length) {
      const meshes = await this.mesher.mesh(
        found.map((f, i) => ({
          side: f.handedness.label === 'Left' ? 'left' : 'right',
          world: f.world.flatMap((q) => [q.x, q.y, q.z]),
          image: hands[i].keypoints.flatMap((k) => [k.x, k.y]),
        })),
      );
      meshes.forEach((m, i) => (hands[i].mesh = m));
    }
    const t3 = performance.now();
    for (const h of hands)
      h.nonFinite = nonFiniteReport({ keypoints: h.keypoints.flatMap((k) => [k.x, k.y, k.z]), world: h.world.flatMap((k) => [k.x, k.y, k.z]), mesh: h.mesh?.vertices });
    this.lastTimings = { upload: Math.max(0, t1 - t0 - (lt.palm ?? 0) - lt.landmark), palm: lt.palm, landmark: lt.landmark, mesh: t3 - t2, total: t3 - t0 };
    return hands;
  }

  /** Per hand, a One Euro filter over its 21 keypoints, matched to the nearest hand of the last frame. */
  private smooth(hands: Hand[], t: number): void {
    const free = [...this.smoothers];
    const next: Smoother[] = [];
    for (const h of hands) {
      const { cx, cy, width } = h.box;
      let best = -1;
      let bestD = Infinity;
      free.forEach((s, i) => {
        const d = Math.hypot(s.cx - cx, s.cy - cy);
        if (d < Math.max(s.size, width) / 2 && d < bestD) (best = i), (bestD = d);
      });
      const s = best >= 0 ? free.splice(best, 1)[0] : { filter: new OneEuroFilter(63, this.smoothing!), cx, cy, size: width };
      Object.assign(s, { cx, cy, size: width });
      const f = s.filter.filter(h.keypoints.flatMap((k) => [k.x, k.y, k.z]), t);
      h.raw = h.keypoints;
      h.keypoints = h.keypoints.map((k, i) => ({ name: k.name, x: f[i * 3], y: f[i * 3 + 1], z: f[i * 3 + 2] }));
      const [W, H] = [h.keypoints[0].x / h.normalized[0].x, h.keypoints[0].y / h.normalized[0].y];
      if (Number.isFinite(W) && Number.isFinite(H)) h.normalized = h.keypoints.map((k) => ({ x: k.x / W, y: k.y / H, z: k.z / W }));
      next.push(s);
    }
    this.smoothers = next;
  }

  /**
   * Switches between 'image' and 'video' mode without recompiling (MediaPipe's setOptions({
   * runningMode })): e.g. photos, then the webcam. Tracking and timestamps start afresh.
   */
  setRunningMode(mode: 'image' | 'video'): void {
    if (mode !== 'image' && mode !== 'video') throw new EstimateOptionsError(`setRunningMode: mode must be 'image' or 'video', got ${shown(mode)}`);
    if (this.disposed) throw new EstimatorDisposedError('setRunningMode(): this estimator was disposed');
    this.video = mode === 'video';
    this.info = { ...this.info, runningMode: mode };
    this.lastTimestamp = -Infinity;
    this.landmarker.resetTracking();
    this.smoothers = [];
  }

  /** Forgets tracked hands and smoothing history (e.g. after a cut in the video). */
  resetTracking(): void {
    this.landmarker.resetTracking();
    this.smoothers = [];
  }

  /** Per-layer GPU times of the palm and landmark networks on the last image, palm layers first. */
  profile(opts?: ProfileOptions): Promise<Profile> {
    if (this.disposed) return Promise.reject(new EstimatorDisposedError('profile(): this estimator was disposed'));
    return this.queue.run(() => lossAware('profile()', this.engine.ctx, async () => {
      const { palm, landmark } = await this.landmarker.profile(opts);
      const both: Profile = { method: palm.method, layers: [...palm.layers, ...landmark.layers], totalMs: palm.totalMs + landmark.totalMs };
      if (palm.endToEndMs !== undefined && landmark.endToEndMs !== undefined) both.endToEndMs = palm.endToEndMs + landmark.endToEndMs;
      if (palm.note) both.note = palm.note;
      return both;
    }));
  }

  /** GPU objects held now; all zero after dispose() resolves. */
  stats(): EstimatorStats {
    return { ...this.engine.stats(), textures: this.uploader.textures, prepBuffers: this.landmarker.cropBuffers };
  }

  dispose(): Promise<void> {
    if (!this.released) {
      this.disposed = true;
      this.released = this.queue.run(async () => {
        this.uploader.dispose();
        this.mesher?.dispose();
        await this.landmarker.dispose();
        this.engine.dispose();
      });
    }
    return this.released;
  }

}

function toHand(h: LandmarkedHand): Hand {
  const keypoints: HandKeypoint[] = h.keypoints.map((k, i) => ({ name: HAND_KEYPOINT_NAMES[i], x: k.x, y: k.y, z: k.z }));
  return {
    keypoints, normalized: h.normalized.map((k) => ({ x: k.x, y: k.y, z: k.z })), world: h.world.map((k) => ({ x: k.x, y: k.y, z: k.z })),
    handedness: { ...h.handedness }, presence: h.presence,
    box: { cx: h.region.cx, cy: h.region.cy, width: h.region.w, height: h.region.h, rotation: h.region.rotation },
    mesh: null, nonFinite: null,
  };
}
