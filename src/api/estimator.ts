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
import { Engine, EngineError, Graph, type Executable, type Profile } from '../engine/index.ts';
import type { ProfileOptions } from '../engine/executor.ts';
import { checkSourceTexture, ImageToTensor } from '../kernels/imageToTensor.ts';
import { buildDetectorGraph, decodeDetections, inputBoxToImage, letterbox, type DecodeOptions, type DetectorGraph } from '../model/detector.ts';
import { buildHandGraph, readHandResults, type HandGraph, type HandResult } from '../model/pipeline.ts';
import type { ManoAsset } from '../model/manoAsset.ts';
import { loadWeights, type DetectorConfig, type HiuConfig, type LoadedWeights } from '../weights/index.ts';
import { loadManoAsset } from '../weights/mano.ts';
import { DetachedBufferError, EstimateOptionsError, EstimatorDisposedError, HandAssetError, InvalidImageError, WeightsError } from './errors.ts';
import { isA, isDetached, prepareSource, type HandImageSource, type PreparedSource } from './sources.ts';
import { checkAllOptions, checkOptions, cropFor, handAt } from './options.ts';
import type {
  BinarySource, Box, CropSquare, DetectedBox, EstimateAllOptions, EstimateOptions, EstimatorInfo, EstimatorStats,
  GpuHandEstimate, HandEstimate, HandEstimatorOptions, ImageKeypoint, LoadProgressEvent,
} from './types.ts';

export * from './types.ts';
export { cropFor } from './options.ts';

const err = (e: unknown) => (e instanceof Error ? e.message : String(e));

function checkBinary(what: string, s: BinarySource | undefined): void {
  if (s === undefined || s === null) throw new EstimateOptionsError(`createHandEstimator: '${what}' is required (URL, File/Blob, ArrayBuffer or Uint8Array)`);
  if (s instanceof ArrayBuffer && isDetached(s)) throw new DetachedBufferError(`${what}: the ArrayBuffer was transferred (detached); pass a copy or keep it attached`);
  if (s instanceof Uint8Array && isDetached(s.buffer)) throw new DetachedBufferError(`${what}: the Uint8Array's buffer was transferred (detached)`);
  const ok = typeof s === 'string' || s instanceof URL || s instanceof ArrayBuffer || s instanceof Uint8Array || (typeof Blob !== 'undefined' && s instanceof Blob);
  if (!ok) throw new EstimateOptionsError(`createHandEstimator: '${what}' must be a URL, File/Blob, ArrayBuffer or Uint8Array`);
}

/** Loads, checks and compiles; resolves to a ready estimator. Errors are typed (see ./errors.ts). */
export async function createHandEstimator(opts: HandEstimatorOptions): Promise<HandEstimator> {
  if (!opts || typeof opts !== 'object') throw new EstimateOptionsError('createHandEstimator: pass { weights, hand }');
  checkBinary('weights', opts.weights);
  checkBinary('hand', opts.hand);
  if (opts.dtype !== undefined && opts.dtype !== 'f32' && opts.dtype !== 'f16') throw new EstimateOptionsError(`createHandEstimator: dtype must be 'f32' or 'f16', got ${JSON.stringify(opts.dtype)}`);
  const report: Reporter = (phase, loaded, total, from, span) =>
    opts.onProgress?.({ phase, loaded, total, fraction: from + span * (total ? Math.min(1, loaded / total) : 0) });

  const maxHands = opts.maxHands ?? 2;
  if (!Number.isInteger(maxHands) || maxHands < 1 || maxHands > 16) throw new EstimateOptionsError(`createHandEstimator: maxHands must be an integer in 1..16, got ${JSON.stringify(opts.maxHands)}`);
  if (opts.detector !== undefined) checkBinary('detector', opts.detector);
  // WebGPU first: without an adapter, downloading tens of megabytes of weights is wasted.
  const engine = await Engine.create({ device: opts.device });
  try {
    return await loadAndCompile(opts, engine, maxHands, report);
  } catch (e) {
    engine.dispose();
    throw e;
  }
}

/** Progress of one loading phase, mapped onto [from, from + span] of the overall fraction. */
type Reporter = (phase: LoadProgressEvent['phase'], loaded: number, total: number | undefined, from: number, span: number) => void;

/** The rest of createHandEstimator, on a device already found: load, check, build, compile. */
async function loadAndCompile(opts: HandEstimatorOptions, engine: Engine, maxHands: number, report: Reporter): Promise<HandEstimator> {
  let weights: LoadedWeights;
  try {
    weights = await loadWeights(opts.weights, { architecture: 'hiu-dmtl', signal: opts.signal, onProgress: (p) => report('weights', p.loaded, p.total, 0, 0.85) });
  } catch (e) {
    throw new WeightsError(`weights: ${err(e)}. Expected HIU-DMTL weights converted with \`hiu convert\`.`, { cause: e });
  }
  const fileDtype = weights.metadata.dtype === 'f16' ? 'f16' : [...weights.tensors.values()].some((t) => t.dtype === 'f16') ? 'f16' : 'f32';
  if (opts.dtype && opts.dtype !== fileDtype) throw new WeightsError(`weights: the file stores ${fileDtype} weights but dtype '${opts.dtype}' was asked for`);
  let asset: ManoAsset;
  try {
    asset = await loadManoAsset(opts.hand, { signal: opts.signal, onProgress: (p) => report('hand', p.loaded, p.total, 0.85, 0.1) });
  } catch (e) {
    throw new HandAssetError(`hand: ${err(e)}. Expected a hand asset from \`hiu convert-mano\` or assets/hand-left.safetensors.`, { cause: e });
  }
  if (asset.side !== 'left')
    throw new HandAssetError(`hand: this is a ${asset.side} hand asset; pass the LEFT one (the network predicts left hands; right hands are mirrored in and out)`);
  let detWeights: LoadedWeights | null = null;
  if (opts.detector !== undefined) {
    try {
      detWeights = await loadWeights(opts.detector, { architecture: 'hand-detector', signal: opts.signal });
    } catch (e) {
      throw new WeightsError(`detector: ${err(e)}. Expected hand-detector weights (hand_det.pth) converted with \`hiu convert\`.`, { cause: e });
    }
  }
  opts.onProgress?.({ phase: 'compile', loaded: 0, fraction: 0.95 });
  const config = weights.config as HiuConfig;
  const g = new Graph();
  const h = buildHandGraph(g, weights.tensors, config, asset);
  const [exe, prep] = await Promise.all([engine.compile(g), ImageToTensor.create(engine.device, h.inputSize)]);
  let detector: DetectorParts | null = null;
  if (detWeights) {
    const dg = new Graph();
    const det = buildDetectorGraph(dg, detWeights.tensors, detWeights.config as DetectorConfig);
    let batch: BatchParts = { exe, h, prep };
    const pending: Promise<unknown>[] = [];
    if (maxHands > 1) {
      const bg = new Graph();
      const bh = buildHandGraph(bg, weights.tensors, config, asset, { batch: maxHands });
      pending.push(Promise.all([engine.compile(bg), ImageToTensor.create(engine.device, bh.inputSize)]).then(([e, p]) => (batch = { exe: e, h: bh, prep: p })));
    }
    const [dexe, dprep] = await Promise.all([engine.compile(dg), ImageToTensor.create(engine.device, det.inputSize), ...pending]);
    detector = { exe: dexe as Executable, det, prep: dprep as ImageToTensor, batch, decode: opts.detection ?? {} };
  }
  opts.onProgress?.({ phase: 'ready', loaded: 1, total: 1, fraction: 1 });
  return new HandEstimator(engine, g, exe, h, prep, asset, config, fileDtype, detector, maxHands);
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

export class HandEstimator {
  private chain: Promise<unknown> = Promise.resolve();
  private upload: GPUTexture | null = null;
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
  ) {
    this.layers = graph.nodes.map((n) => n.name);
    const a = engine.ctx.adapterInfo;
    this.info = {
      config, inputSize: h.inputSize, mapSize: h.inputSize / 4, weightsDtype, dispatches: exe.dispatchCount,
      adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description },
      timestampQuery: engine.ctx.features.timestampQuery,
      detector: detector ? { inputSize: detector.det.inputSize, dispatches: detector.exe.dispatchCount } : null,
      maxHands,
    };
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
      checkOptions(options);
      prepareSource(source); // fail fast on bad input, before waiting in the queue
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(() => this.runOne(source, options));
  }

  /** Per-layer GPU times of the hand graph (Executable.profile), queued like estimate(). */
  profile(opts?: ProfileOptions): Promise<Profile> {
    if (this.disposed) return Promise.reject(new EstimatorDisposedError('profile(): this estimator was disposed'));
    return this.serial(() => this.exe.profile(opts));
  }

  /** GPU objects held now; all zero after dispose() resolves. */
  stats(): EstimatorStats {
    const d = this.detector;
    const preps = d ? d.prep.buffers + (d.batch.prep !== this.prep ? d.batch.prep.buffers : 0) : 0;
    return { ...this.engine.stats(), textures: this.upload ? 1 : 0, prepBuffers: this.prep.buffers + preps };
  }

  /**
   * Stops accepting calls: calls made after dispose() reject with EstimatorDisposedError. Calls
   * made before it (running or still queued) complete normally. Resolves once they have and
   * every GPU object this estimator made is freed (a caller-provided device stays alive).
   */
  dispose(): Promise<void> {
    if (!this.released) {
      this.disposed = true;
      this.released = this.chain.then(() => {
        this.upload?.destroy();
        this.upload = null;
        this.prep.dispose();
        this.detector?.prep.dispose();
        this.detector?.batch.prep.dispose();
        this.engine.dispose();
      });
    }
    return this.released;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private uploadTexture(width: number, height: number): GPUTexture {
    const max = this.device.limits.maxTextureDimension2D;
    if (width > max || height > max) throw new InvalidImageError(`image ${width}x${height} exceeds this device's texture limit of ${max} pixels per side; downscale it first`);
    const t = this.upload;
    if (t && t.width >= width && t.height >= height) return t;
    t?.destroy();
    // Grow-only, so a video of one size uploads into one texture for good.
    this.upload = this.device.createTexture({
      label: 'estimator.upload',
      size: [Math.max(width, t?.width ?? 0), Math.max(height, t?.height ?? 0)],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT,
    });
    return this.upload;
  }

  private async copyExternal(p: Extract<PreparedSource, { kind: 'external' }>, texture: GPUTexture): Promise<void> {
    try {
      this.device.queue.copyExternalImageToTexture({ source: p.source }, { texture }, [p.width, p.height]);
      return;
    } catch (e) {
      // Some implementations cannot import a VideoFrame (e.g. a GPU-backed frame on a software
      // adapter): read its pixels as RGBA instead, still without any per-pixel JavaScript.
      if (!isA(p.source, 'VideoFrame')) throw new InvalidImageError(`${p.what}: cannot copy it to the GPU: ${err(e)}`, { cause: e });
      const frame = p.source as VideoFrame;
      const rect = { x: 0, y: 0, width: frame.codedWidth, height: frame.codedHeight, ...(frame.visibleRect ? { x: frame.visibleRect.x, y: frame.visibleRect.y, width: frame.visibleRect.width, height: frame.visibleRect.height } : {}) };
      if (rect.width !== p.width || rect.height !== p.height) throw new InvalidImageError(`VideoFrame: cannot copy it to the GPU (${err(e)}), and its display size differs from its visible rectangle`, { cause: e });
      const layout = { format: 'RGBA' as VideoPixelFormat, rect };
      const bytes = new Uint8Array(frame.allocationSize(layout));
      try {
        await frame.copyTo(bytes, layout);
      } catch (e2) {
        throw new InvalidImageError(`VideoFrame: cannot copy it to the GPU (${err(e)}) nor read it as RGBA (${err(e2)})`, { cause: e2 });
      }
      this.device.queue.writeTexture({ texture }, bytes, { bytesPerRow: p.width * 4, rowsPerImage: p.height }, [p.width, p.height]);
    }
  }

  /**
   * Uploads the source (unless it is a GPUTexture) and runs `work` on its texture inside one
   * validation error scope; WebGPU rejections become EngineErrors naming the image type.
   */
  private async withSource<T>(p: PreparedSource, call: string, work: (texture: GPUTexture) => Promise<T>): Promise<T> {
    const device = this.device;
    let texture: GPUTexture;
    if (p.kind === 'texture') {
      checkSourceTexture(p.texture);
      texture = p.texture;
    } else texture = this.uploadTexture(p.width, p.height);
    device.pushErrorScope('validation');
    let failure: unknown = null;
    let result: T | undefined;
    try {
      // Queue operations: ordered before the inference's submit, and no other call of this
      // estimator runs in between (the promise chain).
      if (p.kind === 'external') await this.copyExternal(p, texture);
      else if (p.kind === 'pixels')
        device.queue.writeTexture({ texture }, p.data as Uint8ClampedArray<ArrayBuffer>, { bytesPerRow: p.width * 4, rowsPerImage: p.height }, [p.width, p.height]);
      result = await work(texture);
    } catch (e) {
      failure = e;
    }
    const gpuError = await device.popErrorScope();
    if (failure) throw failure;
    if (gpuError) throw new EngineError(`${call}: WebGPU rejected the work for this ${p.what}: ${gpuError.message}`);
    return result as T;
  }

  private async runOne(source: HandImageSource, options: EstimateOptions): Promise<HandEstimate | GpuHandEstimate> {
    const p: PreparedSource = prepareSource(source);
    const right = options.hand === 'right';
    const crop = cropFor(p.width, p.height, options.box);
    const { exe, h } = { exe: this.exe, h: this.h };
    const input = exe.gpuBuffer(h.net.input);
    await this.withSource(p, 'estimate()', (texture) =>
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
      this.needDetector('detect()');
      prepareSource(source);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(() => {
      const p = prepareSource(source);
      return this.withSource(p, 'detect()', (texture) => this.runDetector(p, texture));
    });
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
      this.needDetector('estimateAll()');
      checkAllOptions(options, this.info.maxHands);
      prepareSource(source);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(() => this.runAll(source, options));
  }

  private async runAll(source: HandImageSource, options: EstimateAllOptions): Promise<HandEstimate[] | GpuHandEstimate[]> {
    const p = prepareSource(source);
    const d = this.needDetector('estimateAll()');
    const { exe, h, prep } = d.batch;
    const batch = h.net.input.shape[0];
    return this.withSource(p, 'estimateAll()', async (texture) => {
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
