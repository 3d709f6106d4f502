/**
 * The embedding API: `createHandEstimator` loads converted weights and a hand asset, compiles
 * HIU-DMTL + MANO once, and `estimate()` runs one hand crop per call:
 *
 *   image --(copyExternalImageToTexture / writeTexture / caller's GPUTexture)--> texture
 *         --(imageToTensor kernel: crop, resize, BGR, x/127.5-1, mirror)--> network input buffer
 *         --(the compiled graph)--> heat maps, keypoints, mask, POF, 61 coefficients, MANO mesh
 *
 * The preparation kernel and the whole graph are encoded into one command buffer and submitted
 * once (Executable.run's `before` hook). Results are read back to the CPU (keypoints in image
 * pixels) or left on the GPU as buffers for rendering. Calls are queued on a promise chain and
 * never interleave. Nothing here touches the DOM: it runs in Web Workers (OffscreenCanvas,
 * ImageBitmap, VideoFrame, ImageData, GPUTexture) as in pages.
 */
import { Engine, EngineError, Graph, type BuildStats, type Executable, type Profile } from '../engine/index.ts';
import { CreationClock, type CreationTimings } from './creation.ts';
import type { ProfileOptions } from '../engine/executor.ts';
import { checkSourceTexture, ImageToTensor } from '../kernels/imageToTensor.ts';
import { buildDetectorGraph, decodeDetections, inputBoxToImage, letterbox, type DecodeOptions, type DetectorGraph } from '../model/detector.ts';
import { buildHandGraph, readHandResults, type HandGraph, type HandResult } from '../model/pipeline.ts';
import { networkHandProblem, type ManoAsset } from '../model/manoAsset.ts';
import { loadWeights, storedDtype, type DetectorConfig, type HiuConfig, type LoadedWeights } from '../weights/index.ts';
import { loadManoAsset } from '../weights/mano.ts';
import { DetachedBufferError, EstimateOptionsError, f16RangeError, EstimatorDisposedError, HandAssetError, InvalidImageError, WeightsError } from './errors.ts';
import { isDetached, prepareSource, type HandImageSource, type PreparedSource } from './sources.ts';
import { SourceUploader } from './upload.ts';
import { CallQueue } from './callQueue.ts';
import { weakPerspective } from '../model/handMesh.ts';
import { HAND_KEYPOINT_NAMES, type EstimateHandsOptions, type Hand, type HandKeypoint, type HandMesh, type HandsEstimator, type HandTimings } from './hands.ts';
import { checkBinary } from './checks.ts';
import { checkAllOptions, checkBox, checkCommon, checkKnownKeys, checkOptions, cropFor, handAt, shown } from './options.ts';
import { checkNotLost, lossAware } from './deviceLoss.ts';
import type {
  BinarySource, Box, CropSquare, DetectedBox, EstimateAllOptions, EstimateOptions, EstimatorInfo, EstimatorStats,
  GpuHandEstimate, HandEstimate, HandEstimatorOptions, ImageKeypoint, LoadProgressEvent,
} from './types.ts';

export * from './types.ts';
export { cropFor } from './options.ts';

const err = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * HIU-DMTL: loads, checks and compiles; resolves to a ready estimator. Errors are typed (see
 * ./errors.ts). `createHandEstimator({ weights, hand })` comes here.
 */
export async function createHiuEstimator(opts: HandEstimatorOptions): Promise<HandEstimator> {
  if (!opts || typeof opts !== 'object') throw new EstimateOptionsError('createHandEstimator: pass { weights, hand }');
  checkKnownKeys('createHandEstimator', 'the HIU-DMTL options', opts, HIU_OPTIONS, " (the MediaPipe models take no 'weights' or 'hand')");
  checkCommon('createHandEstimator', opts);
  checkBinary('weights', opts.weights);
  checkBinary('hand', opts.hand);
  if (opts.dtype !== undefined && opts.dtype !== 'f32' && opts.dtype !== 'f16') throw new EstimateOptionsError(`createHandEstimator: dtype must be 'f32' or 'f16', got ${shown(opts.dtype)}`);
  const report: Reporter = (phase, loaded, total, from, span) =>
    opts.onProgress?.({ phase, loaded, total, fraction: from + span * (total ? Math.min(1, loaded / total) : 0) });

  const maxHands = opts.maxHands ?? 2;
  if (!Number.isInteger(maxHands) || maxHands < 1 || maxHands > 16) throw new EstimateOptionsError(`createHandEstimator: maxHands must be an integer in 1..16, got ${shown(opts.maxHands)}`);
  if (opts.detector !== undefined) checkBinary('detector', opts.detector);
  if (opts.detection !== undefined) checkDetection(opts.detection);
  // WebGPU first: without an adapter, downloading tens of megabytes of weights is wasted.
  const clock = new CreationClock();
  const engine = await Engine.create({ device: opts.device, variants: opts.kernelVariants });
  clock.timings.deviceMs = clock.lap();
  try {
    return await loadAndCompile(opts, engine, maxHands, report, clock);
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

const HIU_OPTIONS = ['weights', 'hand', 'device', 'onProgress', 'dtype', 'weightPrecision', 'kernelVariants', 'signal', 'detector', 'maxHands', 'detection'] as const;

/** Detector decoding options: known keys, a score threshold and an IoU in [0, 1], a positive integer top-k. */
function checkDetection(d: DecodeOptions): void {
  checkKnownKeys('createHandEstimator', 'detection', d, ['threshold', 'topK', 'nmsIoU']);
  for (const k of ['threshold', 'nmsIoU'] as const)
    if (d[k] !== undefined && !(typeof d[k] === 'number' && d[k] >= 0 && d[k] <= 1)) throw new EstimateOptionsError(`createHandEstimator: detection.${k} must be a number in [0, 1], got ${shown(d[k])}`);
  if (d.topK !== undefined && !(Number.isInteger(d.topK) && d.topK >= 1)) throw new EstimateOptionsError(`createHandEstimator: detection.topK must be a positive integer, got ${shown(d.topK)}`);
}

/** Progress of one loading phase, mapped onto [from, from + span] of the overall fraction. */
type Reporter = (phase: LoadProgressEvent['phase'], loaded: number, total: number | undefined, from: number, span: number) => void;

/** The rest of createHandEstimator, on a device already found: load, check, build, compile. */
async function loadAndCompile(opts: HandEstimatorOptions, engine: Engine, maxHands: number, report: Reporter, clock: CreationClock): Promise<HandEstimator> {
  let weights: LoadedWeights;
  try {
    weights = await loadWeights(opts.weights, { architecture: 'hiu-dmtl', signal: opts.signal, onProgress: (p) => report('weights', p.loaded, p.total, 0, 0.85) });
  } catch (e) {
    throw new WeightsError(`weights: ${err(e)}. Expected HIU-DMTL weights converted with \`hiu convert\`.`, { cause: e });
  }
  const fileDtype = storedDtype(weights);
  if (opts.dtype && opts.dtype !== fileDtype) throw new WeightsError(`weights: the file stores ${fileDtype} weights but dtype '${opts.dtype}' was asked for`);
  let asset: ManoAsset;
  try {
    asset = await loadManoAsset(opts.hand, { signal: opts.signal, onProgress: (p) => report('hand', p.loaded, p.total, 0.85, 0.1) });
  } catch (e) {
    throw new HandAssetError(`hand: ${err(e)}. Expected a hand asset from \`hiu convert-mano\` or assets/hand-left.safetensors.`, { cause: e });
  }
  const sideProblem = networkHandProblem(asset);
  if (sideProblem) throw new HandAssetError(`hand: ${sideProblem}`);
  let detWeights: LoadedWeights | null = null;
  if (opts.detector !== undefined) {
    try {
      detWeights = await loadWeights(opts.detector, { architecture: 'hand-detector', signal: opts.signal });
    } catch (e) {
      throw new WeightsError(`detector: ${err(e)}. Expected hand-detector weights (hand_det.pth) converted with \`hiu convert\`.`, { cause: e });
    }
  }
  const loadMs = clock.lap();
  clock.timings.fetchMs = weights.timings.readMs + (detWeights?.timings.readMs ?? 0);
  clock.timings.parseMs = Math.max(0, loadMs - clock.timings.fetchMs);
  opts.onProgress?.({ phase: 'compile', loaded: 0, fraction: 0.95 });
  const config = weights.config as HiuConfig;
  // An f16 file stays f16 on the GPU unless f32 is asked for (the values are the same either way).
  const weightPrecision = opts.weightPrecision ?? fileDtype;
  const g = new Graph({ weightPrecision });
  const h = f16Checked(() => buildHandGraph(g, weights.tensors, config, asset));
  const buildMs = clock.lap();
  const [exe, prep] = await Promise.all([engine.compile(g), ImageToTensor.create(engine.device, h.inputSize)]);
  let detector: DetectorParts | null = null;
  if (detWeights) {
    const dg = new Graph({ weightPrecision: opts.weightPrecision ?? storedDtype(detWeights) });
    const det = f16Checked(() => buildDetectorGraph(dg, detWeights.tensors, detWeights.config as DetectorConfig), 'detector');
    let batch: BatchParts = { exe, h, prep };
    const pending: Promise<unknown>[] = [];
    if (maxHands > 1) {
      const bg = new Graph({ weightPrecision });
      const bh = buildHandGraph(bg, weights.tensors, config, asset, { batch: maxHands });
      pending.push(Promise.all([engine.compile(bg), ImageToTensor.create(engine.device, bh.inputSize)]).then(([e, p]) => (batch = { exe: e, h: bh, prep: p })));
    }
    const [dexe, dprep] = await Promise.all([engine.compile(dg), ImageToTensor.create(engine.device, det.inputSize), ...pending]);
    detector = { exe: dexe as Executable, det, prep: dprep as ImageToTensor, batch, decode: opts.detection ?? {} };
  }
  const stats: Record<string, BuildStats> = { hiu: exe.buildStats };
  if (detector) {
    stats.detector = detector.exe.buildStats;
    if (detector.batch.exe !== exe) stats.hiuBatch = detector.batch.exe.buildStats;
  }
  clock.compiled(clock.lap(), buildMs, stats);
  const timings = clock.done();
  opts.onProgress?.({ phase: 'ready', loaded: 1, total: 1, fraction: 1, timings });
  return new HandEstimator(engine, g, exe, h, prep, asset, config, fileDtype, detector, maxHands, clock);
}

/** Builds a graph; a weight too large for f16 storage (weightPrecision 'f16') is a WeightsError naming it. */
function f16Checked<T>(build: () => T, what = 'weights'): T {
  try {
    return build();
  } catch (e) {
    throw f16RangeError(e, what);
  }
}

/** @internal the HIU-DMTL graph estimateAll() runs (batch = maxHands) and its preparation kernel. */
interface BatchParts {
  exe: Executable;
  h: HandGraph;
  prep: ImageToTensor;
}

/** @internal the detector graph, its letterbox kernel and the batched hand graph. */
interface DetectorParts {
  exe: Executable;
  det: DetectorGraph;
  prep: ImageToTensor;
  batch: BatchParts;
  decode: DecodeOptions;
}

export class HandEstimator implements HandsEstimator {
  readonly family = 'hiu-dmtl' as const;
  lastTimings: HandTimings = { upload: 0, palm: null, landmark: 0, mesh: 0, total: 0 };
  private readonly queue = new CallQueue();
  private readonly uploader: SourceUploader;
  private disposed = false;
  private released: Promise<void> | null = null;
  /** Layer names of the compiled graph, in execution order (what profile() reports). */
  readonly layers: readonly string[];
  readonly info: EstimatorInfo;

  /** @internal use createHandEstimator() */
  constructor(
    private readonly engine: Engine,
    graph: Graph,
    private readonly exe: Executable,
    private readonly h: HandGraph,
    private readonly prep: ImageToTensor,
    /** The hand model (left): faces for rendering the mesh. */
    readonly hand: ManoAsset,
    config: HiuConfig,
    weightsDtype: 'f32' | 'f16',
    private readonly detector: DetectorParts | null = null,
    maxHands = 2,
    private readonly clock = new CreationClock(),
  ) {
    this.uploader = new SourceUploader(engine.device);
    this.layers = graph.nodes.map((n) => n.name);
    const a = engine.ctx.adapterInfo;
    this.info = {
      config, inputSize: h.inputSize, mapSize: h.inputSize / 4, weightsDtype, weightPrecision: graph.weightPrecision, dispatches: exe.dispatchCount,
      adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description },
      timestampQuery: engine.ctx.features.timestampQuery,
      detector: detector ? { inputSize: detector.det.inputSize, dispatches: detector.exe.dispatchCount } : null,
      maxHands,
    };
  }

  /** Where creation spent its time, pipelines per graph, and the first inference's time once it ran. */
  get creation(): CreationTimings {
    return this.clock.timings;
  }

  /** The GPU device in use (share it with your renderer to use `output: 'gpu'` buffers). */
  get device(): GPUDevice {
    return this.engine.device;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Estimates one hand. Calls made while another is running wait their turn (in call order);
   * the source is read when the call's turn comes, so keep it unchanged until it resolves.
   */
  estimate(source: HandImageSource, options: EstimateOptions & { output: 'gpu' }): Promise<GpuHandEstimate>;
  estimate(source: HandImageSource, options: EstimateOptions & { output?: 'cpu' }): Promise<HandEstimate>;
  estimate(source: HandImageSource, options: EstimateOptions): Promise<HandEstimate | GpuHandEstimate>;
  estimate(source: HandImageSource, options: EstimateOptions): Promise<HandEstimate | GpuHandEstimate> {
    try {
      if (this.disposed) throw new EstimatorDisposedError('estimate(): this estimator was disposed; create a new one');
      checkNotLost('estimate()', this.engine.ctx);
      checkOptions(options);
      const image = prepareSource(source); // fail fast on bad input, before waiting in the queue
      if (options.box) checkBox('estimate()', 'box', options.box, image);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() => lossAware('estimate()', this.engine.ctx, () => this.clock.firstRun(() => this.runOne(source, options))));
  }

  /**
   * The interface both families share (HandsEstimator): with a detector, estimateAll() (every
   * hand, `hand` for all of them); without, estimate() on the centred square, one hand. Maps,
   * POF and MANO come along in `hiu`; `world` is MANO's 21 joints (metres), `mesh` MANO's mesh
   * put over the image by the network's own camera. No video mode here: createHandTracker.
   */
  estimateHands(source: HandImageSource, options: EstimateHandsOptions = {}): Promise<Hand[]> {
    try {
      if (this.disposed) throw new EstimatorDisposedError('estimateHands(): this estimator was disposed; create a new one');
      checkNotLost('estimateHands()', this.engine.ctx);
      checkKnownKeys('estimateHands()', 'options', options, ['hand'], ' (HIU-DMTL takes only hand; for video use createHandTracker)');
    } catch (e) {
      return Promise.reject(e);
    }
    const hand = options.hand ?? 'left';
    const t0 = performance.now();
    const run = this.detector ? this.estimateAll(source, { hands: hand }) : this.estimate(source, { hand }).then((r) => [r]);
    return run.then((rs) => {
      const total = performance.now() - t0;
      this.lastTimings = { upload: 0, palm: null, landmark: total, mesh: 0, total };
      return rs.map((r) => hiuHand(r, this.hand));
    });
  }

  /** Per-layer GPU times of the hand graph (Executable.profile), queued like estimate(). */
  profile(opts?: ProfileOptions): Promise<Profile> {
    if (this.disposed) return Promise.reject(new EstimatorDisposedError('profile(): this estimator was disposed'));
    return this.queue.run(() => lossAware('profile()', this.engine.ctx, () => this.exe.profile(opts)));
  }

  /** GPU objects held now; all zero after dispose() resolves. */
  stats(): EstimatorStats {
    const d = this.detector;
    const preps = d ? d.prep.buffers + (d.batch.prep !== this.prep ? d.batch.prep.buffers : 0) : 0;
    return { ...this.engine.stats(), textures: this.uploader.textures, prepBuffers: this.prep.buffers + preps };
  }

  /**
   * Stops accepting calls: calls made after dispose() reject with EstimatorDisposedError. Calls
   * made before it (running or still queued) complete normally. Resolves once they have and
   * every GPU object this estimator made is freed (a caller-provided device stays alive).
   */
  dispose(): Promise<void> {
    if (!this.released) {
      this.disposed = true;
      this.released = this.queue.run(() => {
        this.uploader.dispose();
        this.prep.dispose();
        this.detector?.prep.dispose();
        this.detector?.batch.prep.dispose();
        this.engine.dispose();
      });
    }
    return this.released;
  }


  private async runOne(source: HandImageSource, options: EstimateOptions): Promise<HandEstimate | GpuHandEstimate> {
    const p: PreparedSource = prepareSource(source);
    const right = options.hand === 'right';
    const crop = cropFor(p.width, p.height, options.box);
    const { exe, h } = { exe: this.exe, h: this.h };
    const input = exe.gpuBuffer(h.net.input);
    await this.uploader.with(p, 'estimate()', (texture) =>
      // Crop, resize, BGR, normalise, mirror: encoded into the inference's command buffer.
      exe.run({
        before: (enc) => this.prep.encode(enc, texture, input, [{ x: crop.x, y: crop.y, side: crop.size, mirror: right, imageWidth: p.width, imageHeight: p.height }]),
      }),
    );
    if (options.output === 'gpu') return this.gpuResult({ exe, h }, options.hand, crop, p, 0);
    const [r] = await readHandResults(exe, h, [right]);
    return this.toImage(r, options.hand, crop, p);
  }

  /** Number of detector passes run so far (detect(), estimateAll() without boxes, trackers re-detecting). */
  get detectorRuns(): number {
    return this.detectorPasses;
  }

  private detectorPasses = 0;

  private needDetector(call: string): DetectorParts {
    if (!this.detector) throw new EstimateOptionsError(`${call}: this estimator has no hand detector; pass createHandEstimator({ ..., detector })`);
    return this.detector;
  }

  /**
   * Runs the hand detector on the whole image: the image is padded to a square (centred) and
   * resized to the detector input on the GPU, the detector runs, peaks are picked on the GPU and
   * decoded (top-k, threshold, NMS) on the CPU. Boxes are in image pixels, best first; a negative
   * predicted width or height is taken as its magnitude, boxes of zero size are dropped. Queued like estimate().
   */
  detect(source: HandImageSource): Promise<DetectedBox[]> {
    try {
      if (this.disposed) throw new EstimatorDisposedError('detect(): this estimator was disposed; create a new one');
      checkNotLost('detect()', this.engine.ctx);
      this.needDetector('detect()');
      prepareSource(source);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() =>
      lossAware('detect()', this.engine.ctx, () => {
        const p = prepareSource(source);
        return this.uploader.with(p, 'detect()', (texture) => this.runDetector(p, texture));
      }),
    );
  }

  private async runDetector(p: PreparedSource, texture: GPUTexture): Promise<DetectedBox[]> {
    const d = this.needDetector('detect()');
    const lb = letterbox(p.width, p.height, d.det.inputSize);
    const input = d.exe.gpuBuffer(d.det.input);
    // The padded square [-padX, side - padX) x [-padY, side - padY), black outside the image.
    await d.exe.run({
      before: (enc) => d.prep.encode(enc, texture, input, [{ x: -lb.padX, y: -lb.padY, side: lb.side, imageWidth: p.width, imageHeight: p.height }]),
    });
    this.detectorPasses++;
    const [dets] = await decodeDetections(d.exe, d.det, d.decode);
    const out: DetectedBox[] = [];
    for (const det of dets) {
      // A negative predicted extent is read as its magnitude (as handCrops' squareCrop does).
      const b = inputBoxToImage(det, lb);
      const w = Math.abs(b.x1 - b.x0);
      const h = Math.abs(b.y1 - b.y0);
      if (w > 0 && h > 0 && Number.isFinite(w + h + b.x0 + b.y0)) out.push({ x: Math.min(b.x0, b.x1), y: Math.min(b.y0, b.y1), w, h, score: det.score });
    }
    return out;
  }

  /**
   * Every hand in the image: runs the detector (unless `boxes` are given), keeps the best
   * maxHands boxes, orders them left to right, and runs all their 1.5x square crops through
   * HIU-DMTL in ONE batched pass (batch = maxHands; unused slots get a black crop). Results are
   * in image pixels, one per hand, in that order; right hands are mirrored in and out as in
   * estimate(). Queued like estimate().
   */
  estimateAll(source: HandImageSource, options: EstimateAllOptions & { output: 'gpu' }): Promise<GpuHandEstimate[]>;
  estimateAll(source: HandImageSource, options?: EstimateAllOptions & { output?: 'cpu' }): Promise<HandEstimate[]>;
  estimateAll(source: HandImageSource, options?: EstimateAllOptions): Promise<HandEstimate[] | GpuHandEstimate[]>;
  estimateAll(source: HandImageSource, options: EstimateAllOptions = {}): Promise<HandEstimate[] | GpuHandEstimate[]> {
    try {
      if (this.disposed) throw new EstimatorDisposedError('estimateAll(): this estimator was disposed; create a new one');
      checkNotLost('estimateAll()', this.engine.ctx);
      this.needDetector('estimateAll()');
      checkAllOptions(options, this.info.maxHands);
      const image = prepareSource(source);
      options.boxes?.forEach((b, i) => checkBox('estimateAll()', `boxes[${i}]`, b, image));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() => lossAware('estimateAll()', this.engine.ctx, () => this.clock.firstRun(() => this.runAll(source, options))));
  }

  private async runAll(source: HandImageSource, options: EstimateAllOptions): Promise<HandEstimate[] | GpuHandEstimate[]> {
    const p = prepareSource(source);
    const d = this.needDetector('estimateAll()');
    const { exe, h, prep } = d.batch;
    const batch = h.net.input.shape[0];
    return this.uploader.with(p, 'estimateAll()', async (texture) => {
      let boxes: Box[];
      if (options.boxes) boxes = options.boxes.map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h }));
      else boxes = (await this.runDetector(p, texture)).slice(0, batch).map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h }));
      if (!options.boxes) boxes.sort((a, b) => a.x + a.w / 2 - (b.x + b.w / 2));
      if (!boxes.length) return [];
      const hands = boxes.map((_, i) => handAt(options.hands, i));
      const crops = boxes.map((b) => cropFor(p.width, p.height, b));
      const specs = crops.map((c, i) => ({ x: c.x, y: c.y, side: c.size, mirror: hands[i] === 'right', imageWidth: p.width, imageHeight: p.height }));
      // Unused batch slots: a crop entirely outside the image (black), never read back.
      while (specs.length < batch) specs.push({ x: -4, y: -4, side: 1, mirror: false, imageWidth: p.width, imageHeight: p.height });
      const input = exe.gpuBuffer(h.net.input);
      await exe.run({ before: (enc) => prep.encode(enc, texture, input, specs) });
      if (options.output === 'gpu') return crops.map((c, i) => this.gpuResult({ exe, h }, hands[i], c, p, i));
      const rs = await readHandResults(exe, h, hands.map((x) => x === 'right'));
      return rs.map((r, i) => this.toImage(r, hands[i], crops[i], p));
    });
  }

  private gpuResult(g: { exe: Executable; h: HandGraph }, hand: 'left' | 'right', crop: CropSquare, p: PreparedSource, batchIndex: number): GpuHandEstimate {
    const { exe, h } = g;
    const buf = (t: { id: number } | null | undefined) => (t ? exe.gpuBuffer(t as never) : null);
    return {
      hand, mirrored: hand === 'right', crop, imageWidth: p.width, imageHeight: p.height, inputSize: h.inputSize, mapSize: h.inputSize / 4, batchIndex,
      buffers: {
        vertices: buf(h.mano?.vertices), joints3d: buf(h.mano?.joints3d), joints2d: buf(h.mano?.joints2d),
        maskProb: exe.gpuBuffer(h.net.last.maskProb), keypoints: exe.gpuBuffer(h.net.last.keypoints), coeffs: buf(h.net.coeffs),
      },
      numVertices: this.hand.numVertices,
      faces: h.mano ? this.hand.faces : null,
    };
  }

  /** Crop results -> image pixels. */
  private toImage(r: HandResult, hand: 'left' | 'right', crop: CropSquare, p: PreparedSource): HandEstimate {
    const inputSize = this.h.inputSize;
    const k = crop.size / inputSize;
    const keypoints: ImageKeypoint[] = r.keypoints.map((kp) => ({ ...kp, cropX: kp.x, cropY: kp.y, x: crop.x + kp.x * k, y: crop.y + kp.y * k }));
    let joints2dImage: Float32Array | null = null;
    if (r.joints2d) {
      joints2dImage = new Float32Array(r.joints2d.length);
      for (let i = 0; i < r.joints2d.length; i += 2) {
        joints2dImage[i] = crop.x + r.joints2d[i] * crop.size;
        joints2dImage[i + 1] = crop.y + r.joints2d[i + 1] * crop.size;
      }
    }
    return { ...r, keypoints, joints2dImage, hand, crop, imageWidth: p.width, imageHeight: p.height, inputSize };
  }
}

/** A HIU-DMTL estimate in the shared Hand shape. */
function hiuHand(r: HandEstimate, asset: ManoAsset): Hand {
  const { imageWidth: W, imageHeight: H, crop } = r;
  const keypoints: HandKeypoint[] = r.keypoints.map((k, i) => ({ name: HAND_KEYPOINT_NAMES[i], x: k.x, y: k.y, z: 0 }));
  const j = r.joints3d;
  const world = Array.from({ length: 21 }, (_, i) => (j ? { x: j[i * 3], y: j[i * 3 + 1], z: j[i * 3 + 2] } : { x: NaN, y: NaN, z: NaN }));
  let mesh: HandMesh | null = null;
  if (r.vertices && j && r.joints2dImage) {
    // The network's own camera, as the scale and shift that take MANO's joints onto their projections (mirroring included).
    const projection = weakPerspective(j, r.joints2dImage);
    const V = r.vertices.length / 3;
    const vertices2d = new Float32Array(V * 2);
    for (let v = 0; v < V; v++) {
      vertices2d[v * 2] = projection.scale * r.vertices[v * 3] + projection.x;
      vertices2d[v * 2 + 1] = projection.scale * r.vertices[v * 3 + 1] + projection.y;
    }
    mesh = { side: r.hand, vertices: r.vertices, vertices2d, faces: asset.faces, joints: j, fitErrorMm: { mean: 0, max: 0 }, projection, fit: null };
  }
  return {
    keypoints, normalized: keypoints.map((k) => ({ x: k.x / W, y: k.y / H, z: 0 })), world,
    handedness: { label: r.hand === 'right' ? 'Right' : 'Left', score: 1 },
    presence: r.keypoints.reduce((a, k) => a + k.peak, 0) / r.keypoints.length,
    box: { cx: crop.x + crop.size / 2, cy: crop.y + crop.size / 2, width: crop.size, height: crop.size, rotation: 0 },
    mesh, hiu: r, nonFinite: r.nonFinite,
  };
}
