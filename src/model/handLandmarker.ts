/**
 * MediaPipe's hand pipeline on the engine, image and video mode: the palm detector on the letterboxed
 * image, SSD decoding and weighted NMS, palm -> rotated hand region, a rotated 224 x 224 crop
 * per hand, the landmark model for all hands in one batched pass, and landmarks mapped back to
 * the image. The image is one texture read by both stages; each stage (the rotated crop kernel,
 * then the network) is one command buffer and one submit.
 * The CPU math (anchors, NMS, regions, projection) is in palm.ts and handRegion.ts, which name
 * the MediaPipe sources of each setting.
 */
import { EngineError, Graph, type BuildStats, type Engine, type Executable, type Profile, type Tensor, type WeightPrecision } from '../engine/index.ts';
import type { ProfileOptions } from '../engine/executor.ts';
import { importTflite, readTfliteOutputs, weightPrecisionOf, type ImportedModel } from '../import/index.ts';
import { AffineCropTexture, type AffineCropItem } from '../kernels/affineCrop.ts';
import { checkSourceTexture } from '../kernels/imageToTensor.ts';
import type { TfliteModel } from '../weights/tflite.ts';
import {
  handednessLabel, LANDMARK_INPUT_SIZE, landmarksToRegion, PALM_TARGET_ANGLE, palmToHandRegion, projectLandmarks, projectWorldLandmarks, regionTransform,
  type HandRegion, type Point3,
} from './handRegion.ts';
import { decodePalms, PALM_INPUT_SIZE, removeLetterbox, weightedNms } from './palm.ts';

export interface HandLandmarkerModels {
  palm: TfliteModel;
  landmark: TfliteModel;
}

export interface HandLandmarkerOptions {
  /** Most hands reported (MediaPipe's numHands; default 2). The landmark model runs this batch. */
  numHands?: number;
  /** Palm score threshold (default 0.5, as MediaPipe). */
  minHandDetectionConfidence?: number;
  /** Hand presence threshold (default 0.5). */
  minHandPresenceConfidence?: number;
  /** Video mode: a tracked hand whose presence is at or below this is dropped and re-detected (default 0.5). */
  minTrackingConfidence?: number;
  /**
   * Palm -> region rotation target, radians (default pi/2: wrist -> middle MCP points up, as the
   * legacy MediaPipe Hands graph). MediaPipe Tasks' hand_detector_graph.cc sets 90 in a radians
   * field (TASKS_PALM_TARGET_ANGLE); pass that to reproduce HandLandmarker exactly.
   */
  palmTargetAngle?: number;
  /**
   * How the GPU holds each network's weights (default: as the file stores its filters, so
   * MediaPipe's float16 models stay f16 and compute exactly as if expanded).
   */
  weightPrecision?: WeightPrecision;
}

/** An image in CPU memory: RGBA bytes, row-major. */
export interface RgbaPixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export interface LandmarkedHand {
  /** 21 points in image pixels (z in pixels, relative to the wrist, as x is scaled). */
  keypoints: Point3[];
  /** The same, normalised as MediaPipe reports them: x / width, y / height, z / width. */
  normalized: Point3[];
  /** 21 points in metres, origin near the hand's centre, camera-aligned axes. */
  world: Point3[];
  /** For the image as given (not mirrored): a right hand in the photo is 'Right'. */
  handedness: { label: 'Left' | 'Right'; score: number };
  presence: number;
  palmScore: number;
  /** The rotated square the landmark model saw, in image pixels. */
  region: HandRegion;
}

interface Stage {
  exe: Executable;
  input: Tensor;
  crop: AffineCropTexture;
  net: ImportedModel;
}

/** What the pipeline reads: RGBA bytes in CPU memory, or a float-colour GPUTexture (TEXTURE_BINDING). */
export type LandmarkerImage = RgbaPixels | GPUTexture;

/** Milliseconds of the last detect()/detectForVideo(), CPU wall-clock (GPU work awaited): upload, each stage (palm null when video tracking skipped it), total. */
export interface LandmarkerTimings {
  upload: number;
  palm: number | null;
  landmark: number;
  total: number;
}

export class HandLandmarker {
  private stages: Promise<{ palm: Stage; landmark: Stage }> | null = null;
  private stagesDone: { palm: Stage; landmark: Stage } | null = null;
  private readonly numHands: number;
  private readonly minDetection: number;
  private readonly minPresence: number;
  private readonly targetAngle: number;
  private readonly minTracking: number;
  private tracked: HandRegion[] = [];
  private trackedSize = '';
  private lastTimestamp = -Infinity;
  private palmRuns = 0;
  private upload: GPUTexture | null = null;
  private disposed = false;
  /** Stage times of the last call (see LandmarkerTimings). */
  lastTimings: LandmarkerTimings = { upload: 0, palm: null, landmark: 0, total: 0 };

  private readonly engine: Engine;
  private readonly models: HandLandmarkerModels;
  private readonly weightPrecision: WeightPrecision | undefined;

  private constructor(engine: Engine, models: HandLandmarkerModels, o: HandLandmarkerOptions) {
    this.engine = engine;
    this.models = models;
    this.numHands = o.numHands ?? 2;
    this.minDetection = o.minHandDetectionConfidence ?? 0.5;
    this.minPresence = o.minHandPresenceConfidence ?? 0.5;
    this.targetAngle = o.palmTargetAngle ?? PALM_TARGET_ANGLE;
    this.minTracking = o.minTrackingConfidence ?? 0.5;
    this.weightPrecision = o.weightPrecision; // checked by the stages' Graph
    if (!Number.isInteger(this.numHands) || this.numHands < 1 || this.numHands > 16) throw new RangeError(`numHands ${this.numHands} must be an integer in [1, 16]`);
    for (const [k, v] of [['minHandDetectionConfidence', this.minDetection], ['minHandPresenceConfidence', this.minPresence], ['minTrackingConfidence', this.minTracking]] as const)
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} ${v} must be in [0, 1]`);
  }

  /** Checks the options; the GPU stages compile on the first call (or `await ready()`). */
  static create(engine: Engine, models: HandLandmarkerModels, o: HandLandmarkerOptions = {}): HandLandmarker {
    return new HandLandmarker(engine, models, o);
  }

  /** Compiles both stages now (otherwise the first call does). */
  async ready(): Promise<void> {
    await this.stagesReady();
  }

  /** Dispatches per call of each stage (crop + network). */
  async dispatches(): Promise<{ palm: number; landmark: number }> {
    const s = await this.stagesReady();
    return { palm: s.palm.exe.dispatchCount + 1, landmark: s.landmark.exe.dispatchCount + 1 };
  }

  /** How each stage's graph holds its weights on the GPU. */
  async weightPrecisions(): Promise<{ palm: WeightPrecision; landmark: WeightPrecision }> {
    const s = await this.stagesReady();
    return { palm: s.palm.exe.graph.weightPrecision, landmark: s.landmark.exe.graph.weightPrecision };
  }

  /** What compiling each stage took (see Executable.buildStats). */
  async buildStats(): Promise<{ palm: BuildStats; landmark: BuildStats }> {
    const s = await this.stagesReady();
    return { palm: s.palm.exe.buildStats, landmark: s.landmark.exe.buildStats };
  }

  /** Per-layer GPU times of both stages on the last image (Executable.profile), palm first. */
  async profile(opts?: ProfileOptions): Promise<{ palm: Profile; landmark: Profile }> {
    const s = await this.stagesReady();
    return { palm: await s.palm.exe.profile(opts), landmark: await s.landmark.exe.profile(opts) };
  }

  /**
   * A stage: the network on a graph input [batch, size, size, 3], filled by the rotated crop
   * kernel from the image texture in the same command buffer. Nothing depends on the image
   * size, so two pipelines sets serve every image and video.
   */
  private async stage(model: TfliteModel, size: number, batch: number, name: string): Promise<Stage> {
    const g = new Graph({ weightPrecision: this.weightPrecision ?? weightPrecisionOf(model) });
    const input = g.input(`${name}.input`, [batch, size, size, 3]);
    // Layer names 'palm.<tflite tensor>' / 'landmark.<...>': the two models share tensor names.
    const net = g.scope(name, () => importTflite(model, { batch, graph: g, inputs: { [model.tensors[model.inputs[0]].name]: input } }));
    // The models take RGB in [0, 1] (MediaPipe's ImageToTensorCalculator, output range 0..1).
    const [exe, crop] = await Promise.all([this.engine.compile(g), AffineCropTexture.create(this.engine.device, { height: size, width: size })]);
    return { exe, input, crop, net };
  }

  private stagesReady() {
    if (this.disposed) return Promise.reject(new EngineError('HandLandmarker: used after dispose()'));
    this.stages ??= Promise.all([
      this.stage(this.models.palm, PALM_INPUT_SIZE, 1, 'palm'),
      this.stage(this.models.landmark, LANDMARK_INPUT_SIZE, this.numHands, 'landmark'),
    ]).then(([palm, landmark]) => (this.stagesDone = { palm, landmark }));
    return this.stages;
  }

  private async run(s: Stage, texture: GPUTexture, crops: AffineCropItem[]): Promise<Float32Array[]> {
    const input = s.exe.gpuBuffer(s.input);
    await s.exe.run({ before: (enc) => s.crop.encode(enc, texture, input, crops) });
    return readTfliteOutputs(s.exe, s.net.outputs, s.net.batch, s.net.file);
  }

  /** The image as a texture: a caller's GPUTexture as is, RGBA bytes written into one of exactly their size. */
  private toTexture(img: LandmarkerImage): { texture: GPUTexture; W: number; H: number } {
    if (isTexture(img)) {
      checkSourceTexture(img);
      return { texture: img, W: img.width, H: img.height };
    }
    const [W, H] = checkImage(img);
    // Exactly the image's size: the crop kernel reads 0 outside the texture, as outside the image.
    if (!this.upload || this.upload.width !== W || this.upload.height !== H) {
      this.upload?.destroy();
      this.upload = this.engine.device.createTexture({
        label: 'HandLandmarker.image', size: [W, H], format: 'rgba8unorm',
        usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
      });
    }
    const data = img.data as Uint8Array<ArrayBuffer>;
    this.engine.device.queue.writeTexture({ texture: this.upload }, data, { bytesPerRow: W * 4, rowsPerImage: H }, [W, H]);
    return { texture: this.upload, W, H };
  }

  /** Image mode: finds up to numHands hands with the palm detector; best palm score first. */
  async detect(img: LandmarkerImage): Promise<LandmarkedHand[]> {
    const t0 = performance.now();
    const s = await this.stagesReady();
    const t1 = performance.now();
    const { texture, W, H } = this.toTexture(img);
    const t2 = performance.now();
    const regions = await this.palmRegions(s, texture, W, H);
    const t3 = performance.now();
    const hands = await this.landmarks(s, texture, W, H, regions);
    const t4 = performance.now();
    this.lastTimings = { upload: t2 - t1, palm: t3 - t2, landmark: t4 - t3, total: t4 - t0 };
    return hands;
  }

  /**
   * Video mode (MediaPipe's VIDEO running mode): each hand's next region comes from its current
   * landmarks, and the palm detector runs only while fewer than numHands hands are tracked.
   * A tracked hand whose presence falls to minTrackingConfidence or below is dropped (and
   * found again by the detector). Timestamps must increase.
   */
  async detectForVideo(img: LandmarkerImage, timestampMs: number): Promise<LandmarkedHand[]> {
    if (!Number.isFinite(timestampMs) || timestampMs <= this.lastTimestamp)
      throw new RangeError(`timestamp ${timestampMs} ms must be finite and greater than the previous one (${this.lastTimestamp} ms)`);
    this.lastTimestamp = timestampMs;
    const t0 = performance.now();
    const s = await this.stagesReady();
    const t1 = performance.now();
    const { texture, W, H } = this.toTexture(img);
    const t2 = performance.now();
    if (this.trackedSize !== `${W}x${H}`) this.tracked = [];
    this.trackedSize = `${W}x${H}`;
    let regions = this.tracked.map((t) => ({ region: t, palmScore: NaN }));
    let palm: number | null = null;
    if (regions.length < this.numHands) {
      // New palms that overlap a tracked hand are that hand (AssociationNormRectCalculator keeps the tracked one).
      const found = (await this.palmRegions(s, texture, W, H)).filter((p) => !regions.some((t) => regionIoU(t.region, p.region) > 0.5));
      regions = [...regions, ...found].slice(0, this.numHands);
      palm = performance.now() - t2;
    }
    const t3 = performance.now();
    const hands = await this.landmarks(s, texture, W, H, regions, this.minTracking);
    const t4 = performance.now();
    this.tracked = hands.map((h) => landmarksToRegion(h.keypoints));
    this.lastTimings = { upload: t2 - t1, palm, landmark: t4 - t3, total: t4 - t0 };
    return hands;
  }

  /** GPU buffers of the crop kernels' parameters (one per compiled stage once used). */
  get cropBuffers(): number {
    const s = this.stagesDone;
    return s ? s.palm.crop.buffers + s.landmark.crop.buffers : 0;
  }

  /** Forgets the tracked hands and the last timestamp: the next detectForVideo() runs the palm detector. */
  resetTracking(): void {
    this.tracked = [];
    this.lastTimestamp = -Infinity;
  }

  /** Palm detector runs so far (video mode runs it only when a hand is missing). */
  get palmDetections(): number {
    return this.palmRuns;
  }

  private async palmRegions(s: { palm: Stage }, texture: GPUTexture, W: number, H: number): Promise<{ region: HandRegion; palmScore: number }[]> {
    this.palmRuns++;
    // Letterbox: the whole image as a square region of side max(W, H), centred, unrotated.
    const letterbox = regionTransform({ cx: W / 2, cy: H / 2, w: W, h: H, rotation: 0 }, PALM_INPUT_SIZE).toImage;
    const [raw, scores] = await this.run(s.palm, texture, [{ toImage: letterbox }]);
    const palms = weightedNms(decodePalms(raw, scores, { minScore: this.minDetection })).slice(0, this.numHands);
    return palms.map((p) => ({ region: palmToHandRegion(removeLetterbox(p, W, H), W, H, { targetAngle: this.targetAngle }), palmScore: p.score }));
  }

  private async landmarks(
    s: { landmark: Stage }, texture: GPUTexture, W: number, H: number, found: { region: HandRegion; palmScore: number }[], minPresence = this.minPresence,
  ): Promise<LandmarkedHand[]> {
    if (!found.length) return [];
    const crops = found.map((f) => ({ toImage: regionTransform(f.region, LANDMARK_INPUT_SIZE).toImage }));
    while (crops.length < this.numHands) crops.push(crops[0]); // unused batch slots
    const [lm, presence, handedness, world] = await this.run(s.landmark, texture, crops);
    const hands: LandmarkedHand[] = [];
    found.forEach(({ region, palmScore }, i) => {
      if (!(presence[i] > minPresence)) return;
      const p = projectLandmarks(lm.subarray(63 * i, 63 * i + 63), region, W, H);
      hands.push({
        keypoints: p.image, normalized: p.normalized, world: projectWorldLandmarks(world.subarray(63 * i, 63 * i + 63), region),
        handedness: handednessLabel(handedness[i]), presence: presence[i], palmScore, region,
      });
    });
    return hands;
  }

  /** Frees this landmarker's GPU objects (the engine stays). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const stages = this.stages;
    this.stages = null;
    this.upload?.destroy();
    this.upload = null;
    this.stagesDone = null;
    const s = await stages?.catch(() => null);
    for (const st of s ? [s.palm, s.landmark] : []) {
      this.engine.release(st.exe);
      st.crop.dispose();
    }
  }
}

function isTexture(img: LandmarkerImage): img is GPUTexture {
  return typeof (img as GPUTexture).createView === 'function';
}

function checkImage(img: RgbaPixels): [number, number] {
  const { width: W, height: H } = img;
  if (!(Number.isInteger(W) && Number.isInteger(H) && W > 0 && H > 0 && img.data?.length === W * H * 4))
    throw new RangeError(`image: ${W}x${H} with ${img.data?.length} bytes is not RGBA of that size`);
  return [W, H];
}

/** IoU of two regions' axis-aligned bounds (enough to tell the same hand from another). */
function regionIoU(a: HandRegion, b: HandRegion): number {
  const box = (r: HandRegion) => {
    const c = Math.abs(Math.cos(r.rotation));
    const s = Math.abs(Math.sin(r.rotation));
    const hw = (r.w * c + r.h * s) / 2;
    const hh = (r.w * s + r.h * c) / 2;
    return [r.cx - hw, r.cy - hh, r.cx + hw, r.cy + hh];
  };
  const [a0, a1, a2, a3] = box(a);
  const [b0, b1, b2, b3] = box(b);
  const iw = Math.max(0, Math.min(a2, b2) - Math.max(a0, b0));
  const ih = Math.max(0, Math.min(a3, b3) - Math.max(a1, b1));
  const inter = iw * ih;
  return inter / ((a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter);
}
