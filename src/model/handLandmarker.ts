/**
 * MediaPipe's hand pipeline on the engine, image and video mode: the palm detector on the letterboxed
 * image, SSD decoding and weighted NMS, palm -> rotated hand region, a rotated 224 x 224 crop
 * per hand, the landmark model for all hands in one batched pass, and landmarks mapped back to
 * the image. Each GPU stage (crop + network) is one graph, so one command buffer and one submit.
 * The CPU math (anchors, NMS, regions, projection) is in palm.ts and handRegion.ts, which name
 * the MediaPipe sources of each setting.
 */
import { Graph, type Engine, type Executable, type Tensor } from '../engine/index.ts';
import { importTflite, readTfliteOutput, type ImportedModel } from '../import/index.ts';
import { affineCrop, affineCropParams, type AffineCropItem } from '../kernels/index.ts';
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
  image: Tensor;
  params: Tensor;
  net: ImportedModel;
}

export class HandLandmarker {
  private readonly stages = new Map<string, { palm: Stage; landmark: Stage }>();
  private readonly numHands: number;
  private readonly minDetection: number;
  private readonly minPresence: number;
  private readonly targetAngle: number;
  private readonly minTracking: number;
  private tracked: HandRegion[] = [];
  private trackedSize = '';
  private lastTimestamp = -Infinity;
  private palmRuns = 0;

  private readonly engine: Engine;
  private readonly models: HandLandmarkerModels;

  private constructor(engine: Engine, models: HandLandmarkerModels, o: HandLandmarkerOptions) {
    this.engine = engine;
    this.models = models;
    this.numHands = o.numHands ?? 2;
    this.minDetection = o.minHandDetectionConfidence ?? 0.5;
    this.minPresence = o.minHandPresenceConfidence ?? 0.5;
    this.targetAngle = o.palmTargetAngle ?? PALM_TARGET_ANGLE;
    this.minTracking = o.minTrackingConfidence ?? 0.5;
    if (!Number.isInteger(this.numHands) || this.numHands < 1 || this.numHands > 16) throw new RangeError(`numHands ${this.numHands} must be an integer in [1, 16]`);
    for (const [k, v] of [['minHandDetectionConfidence', this.minDetection], ['minHandPresenceConfidence', this.minPresence], ['minTrackingConfidence', this.minTracking]] as const)
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} ${v} must be in [0, 1]`);
  }

  static create(engine: Engine, models: HandLandmarkerModels, o: HandLandmarkerOptions = {}): HandLandmarker {
    return new HandLandmarker(engine, models, o);
  }

  /** A crop stage for images of this size: image [1, H, W, 4] -> affineCrop -> network. */
  private async stage(model: TfliteModel, w: number, h: number, size: number, batch: number, name: string): Promise<Stage> {
    const g = new Graph();
    const image = g.input('image', [1, h, w, 4]);
    const params = g.input('crop.params', [batch, 1, 1, 8]);
    const x = affineCrop(g, `${name}.crop`, image, { height: size, width: size, params });
    const net = importTflite(model, { batch, graph: g, inputs: { [model.tensors[model.inputs[0]].name]: x } });
    return { exe: await this.engine.compile(g), image, params, net };
  }

  private async stagesFor(w: number, h: number) {
    const key = `${w}x${h}`;
    let s = this.stages.get(key);
    if (!s) {
      s = {
        palm: await this.stage(this.models.palm, w, h, PALM_INPUT_SIZE, 1, 'palm'),
        landmark: await this.stage(this.models.landmark, w, h, LANDMARK_INPUT_SIZE, this.numHands, 'landmark'),
      };
      this.stages.set(key, s);
    }
    return s;
  }

  private async run(s: Stage, rgba: Float32Array, crops: AffineCropItem[]): Promise<Float32Array[]> {
    s.exe.write(s.image, rgba);
    s.exe.write(s.params, affineCropParams(crops));
    await s.exe.run();
    return Promise.all(s.net.outputs.map((io) => readTfliteOutput(s.exe, io, s.net.batch, s.net.file)));
  }

  /** Image mode: finds up to numHands hands with the palm detector; best palm score first. */
  async detect(img: RgbaPixels): Promise<LandmarkedHand[]> {
    const s = await this.stagesFor(...checkImage(img));
    const rgba = Float32Array.from(img.data);
    return this.landmarks(s, rgba, img, await this.palmRegions(s, rgba, img));
  }

  /**
   * Video mode (MediaPipe's VIDEO running mode): each hand's next region comes from its current
   * landmarks, and the palm detector runs only while fewer than numHands hands are tracked.
   * A tracked hand whose presence falls to minTrackingConfidence or below is dropped (and
   * found again by the detector). Timestamps must increase.
   */
  async detectForVideo(img: RgbaPixels, timestampMs: number): Promise<LandmarkedHand[]> {
    if (!Number.isFinite(timestampMs) || timestampMs <= this.lastTimestamp)
      throw new RangeError(`timestamp ${timestampMs} ms must be finite and greater than the previous one (${this.lastTimestamp} ms)`);
    this.lastTimestamp = timestampMs;
    const [W, H] = checkImage(img);
    if (this.trackedSize !== `${W}x${H}`) this.tracked = [];
    this.trackedSize = `${W}x${H}`;
    const s = await this.stagesFor(W, H);
    const rgba = Float32Array.from(img.data);
    let regions = this.tracked.map((t) => ({ region: t, palmScore: NaN }));
    if (regions.length < this.numHands) {
      // New palms that overlap a tracked hand are that hand (AssociationNormRectCalculator keeps the tracked one).
      const found = (await this.palmRegions(s, rgba, img)).filter((p) => !regions.some((t) => regionIoU(t.region, p.region) > 0.5));
      regions = [...regions, ...found].slice(0, this.numHands);
    }
    const hands = await this.landmarks(s, rgba, img, regions, this.minTracking);
    this.tracked = hands.map((h) => landmarksToRegion(h.keypoints));
    return hands;
  }

  /** Palm detector runs so far (video mode runs it only when a hand is missing). */
  get palmDetections(): number {
    return this.palmRuns;
  }

  private async palmRegions(s: { palm: Stage }, rgba: Float32Array, img: RgbaPixels): Promise<{ region: HandRegion; palmScore: number }[]> {
    const { width: W, height: H } = img;
    this.palmRuns++;
    // Letterbox: the whole image as a square region of side max(W, H), centred, unrotated.
    const letterbox = regionTransform({ cx: W / 2, cy: H / 2, w: W, h: H, rotation: 0 }, PALM_INPUT_SIZE).toImage;
    const [raw, scores] = await this.run(s.palm, rgba, [{ toImage: letterbox }]);
    const palms = weightedNms(decodePalms(raw, scores, { minScore: this.minDetection })).slice(0, this.numHands);
    return palms.map((p) => ({ region: palmToHandRegion(removeLetterbox(p, W, H), W, H, { targetAngle: this.targetAngle }), palmScore: p.score }));
  }

  private async landmarks(s: { landmark: Stage }, rgba: Float32Array, img: RgbaPixels, found: { region: HandRegion; palmScore: number }[], minPresence = this.minPresence): Promise<LandmarkedHand[]> {
    if (!found.length) return [];
    const { width: W, height: H } = img;
    const crops = found.map((f) => ({ toImage: regionTransform(f.region, LANDMARK_INPUT_SIZE).toImage }));
    while (crops.length < this.numHands) crops.push(crops[0]); // unused batch slots
    const [lm, presence, handedness, world] = await this.run(s.landmark, rgba, crops);
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

  dispose(): void {
    for (const s of this.stages.values()) for (const st of [s.palm, s.landmark]) this.engine.release(st.exe);
    this.stages.clear();
  }
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
