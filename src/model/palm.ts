/**
 * MediaPipe's palm detector, the CPU side: SSD anchors, box/keypoint decoding, weighted NMS and
 * letterbox removal. Pure math (no GPU, no I/O). Values and formulas follow MediaPipe
 * (github.com/google-ai-edge/mediapipe), restated in our words; each names its file:
 * - mediapipe/modules/palm_detection/palm_detection_cpu.pbtxt (the graph's options) and
 *   mediapipe/tasks/cc/vision/hand_detector/hand_detector_graph.cc (HandLandmarker: the same values);
 * - mediapipe/calculators/tflite/ssd_anchors_calculator.cc (+ .proto for defaults);
 * - mediapipe/calculators/tensor/tensors_to_detections_calculator.cc;
 * - mediapipe/calculators/util/non_max_suppression_calculator.cc;
 * - mediapipe/calculators/tensor/image_to_tensor_utils.cc (PadRoi) and
 *   mediapipe/calculators/util/detection_letterbox_removal_calculator.cc.
 * The model (palm_detection_full/lite.tflite): input [1, 192, 192, 3] RGB in [0, 1], letterboxed;
 * outputs `Identity` [1, 2016, 18] raw regressors, `Identity_1` [1, 2016, 1] score logits.
 */

/** Normalised box: top-left corner and size, fractions of the frame it lives in. */
export interface PalmBox {
  xmin: number;
  ymin: number;
  w: number;
  h: number;
}

export interface Point2 {
  x: number;
  y: number;
}

/** One palm: its score, box, and 7 keypoints (0 wrist centre, 2 middle-finger MCP; normalised). */
export interface PalmDetection {
  score: number;
  box: PalmBox;
  keypoints: Point2[];
}

/** SsdAnchorsCalculator options (the subset the palm model uses; the rest at their defaults). */
export interface SsdAnchorOptions {
  numLayers: number;
  minScale: number;
  maxScale: number;
  inputW: number;
  inputH: number;
  anchorOffsetX: number;
  anchorOffsetY: number;
  strides: readonly number[];
  aspectRatios: readonly number[];
  /** 0 adds no interpolated anchor; the proto default is 1.0 and the palm graph leaves it there. */
  interpolatedScaleAspectRatio: number;
  reduceBoxesInLowestLayer: boolean;
  fixedAnchorSize: boolean;
}

/** palm_detection_cpu.pbtxt, SsdAnchorsCalculator (interpolated_scale_aspect_ratio and
 * reduce_boxes_in_lowest_layer unset: ssd_anchors_calculator.proto defaults 1.0 and false). */
export const PALM_ANCHOR_OPTIONS: SsdAnchorOptions = {
  numLayers: 4,
  minScale: 0.1484375,
  maxScale: 0.75,
  inputW: 192,
  inputH: 192,
  anchorOffsetX: 0.5,
  anchorOffsetY: 0.5,
  strides: [8, 16, 16, 16],
  aspectRatios: [1.0],
  interpolatedScaleAspectRatio: 1.0,
  reduceBoxesInLowestLayer: false,
  fixedAnchorSize: true,
};

export const PALM_INPUT_SIZE = 192;
export const PALM_NUM_BOXES = 2016;
/** Values per box in `Identity`: 4 box + 7 keypoints x 2. */
export const PALM_NUM_COORDS = 18;
export const PALM_NUM_KEYPOINTS = 7;

function anchorScale(min: number, max: number, index: number, count: number): number {
  return count === 1 ? (min + max) * 0.5 : min + ((max - min) * index) / (count - 1);
}

/**
 * SsdAnchorsCalculator's default (non-multiscale) generation: consecutive layers with the same
 * stride share one feature map and their anchors are interleaved per cell, in layer order; each
 * layer adds one anchor per aspect ratio plus the interpolated one (scale sqrt(s_i * s_{i+1}),
 * 1.0 after the last layer). Order: layer group, row y, column x, anchor. Returns N x [cx, cy, w, h].
 */
export function ssdAnchors(o: SsdAnchorOptions): Float32Array {
  const n = o.strides.length;
  if (n !== o.numLayers) throw new Error(`ssdAnchors: ${n} strides for ${o.numLayers} layers`);
  const out: number[] = [];
  let layer = 0;
  while (layer < o.numLayers) {
    const sizes: [number, number][] = []; // [w, h] per anchor of a cell
    let last = layer;
    for (; last < n && o.strides[last] === o.strides[layer]; last++) {
      const scale = anchorScale(o.minScale, o.maxScale, last, n);
      const add = (s: number, ratio: number) => sizes.push([s * Math.sqrt(ratio), s / Math.sqrt(ratio)]);
      if (last === 0 && o.reduceBoxesInLowestLayer) {
        add(0.1, 1.0);
        add(scale, 2.0);
        add(scale, 0.5);
        continue;
      }
      for (const ratio of o.aspectRatios) add(scale, ratio);
      if (o.interpolatedScaleAspectRatio > 0) {
        const next = last === n - 1 ? 1.0 : anchorScale(o.minScale, o.maxScale, last + 1, n);
        add(Math.sqrt(scale * next), o.interpolatedScaleAspectRatio);
      }
    }
    const stride = o.strides[layer];
    const fh = Math.ceil(o.inputH / stride);
    const fw = Math.ceil(o.inputW / stride);
    for (let y = 0; y < fh; y++)
      for (let x = 0; x < fw; x++)
        for (const [w, h] of sizes) {
          out.push((x + o.anchorOffsetX) / fw, (y + o.anchorOffsetY) / fh);
          if (o.fixedAnchorSize) out.push(1, 1);
          else out.push(w, h);
        }
    layer = last;
  }
  return Float32Array.from(out);
}

/** The palm model's 2016 anchors: 24 x 24 cells x 2 (stride 8), then 12 x 12 x 6 (three stride-16 layers merged). */
export function palmAnchors(): Float32Array {
  return ssdAnchors(PALM_ANCHOR_OPTIONS);
}

export interface PalmDecodeOptions {
  /** min_score_thresh (palm_detection_cpu.pbtxt 0.5; HandLandmarker: min_hand_detection_confidence, default 0.5). */
  minScore?: number;
  /** Defaults to palmAnchors(). */
  anchors?: Float32Array;
}

/** score_clipping_thresh: logits are clamped to +-100 before the sigmoid. */
export const PALM_SCORE_CLIP = 100;

/** sigmoid_score with score_clipping_thresh (tensors_to_detections_calculator.cc). */
export function palmScore(logit: number): number {
  const clipped = Math.min(PALM_SCORE_CLIP, Math.max(-PALM_SCORE_CLIP, logit));
  return 1 / (1 + Math.exp(-clipped));
}

/**
 * TensorsToDetectionsCalculator for the palm model: reverse_output_order means x-first order
 * (x, y, w, h, then kx, ky per keypoint); all scales 192. Centre and keypoints = raw / 192 *
 * anchor size + anchor centre; size = raw / 192 * anchor size (no exp). Keeps scores >= minScore
 * and drops boxes with negative or NaN size, in anchor order. Coordinates are fractions of the
 * 192 x 192 letterboxed input.
 */
export function decodePalms(raw: Float32Array, scores: Float32Array, o: PalmDecodeOptions = {}): PalmDetection[] {
  const anchors = o.anchors ?? palmAnchors();
  const minScore = o.minScore ?? 0.5;
  const n = anchors.length / 4;
  if (raw.length !== n * PALM_NUM_COORDS || scores.length !== n)
    throw new Error(`decodePalms: ${raw.length} box values and ${scores.length} scores for ${n} anchors (want ${n} x ${PALM_NUM_COORDS} and ${n})`);
  const s = PALM_INPUT_SIZE;
  const out: PalmDetection[] = [];
  for (let i = 0; i < n; i++) {
    const score = palmScore(scores[i]);
    if (score < minScore) continue;
    const [acx, acy, aw, ah] = [anchors[4 * i], anchors[4 * i + 1], anchors[4 * i + 2], anchors[4 * i + 3]];
    const r = i * PALM_NUM_COORDS;
    const cx = (raw[r] / s) * aw + acx;
    const cy = (raw[r + 1] / s) * ah + acy;
    const w = (raw[r + 2] / s) * aw;
    const h = (raw[r + 3] / s) * ah;
    if (!(w >= 0 && h >= 0)) continue;
    const keypoints: Point2[] = [];
    for (let k = 0; k < PALM_NUM_KEYPOINTS; k++)
      keypoints.push({ x: (raw[r + 4 + 2 * k] / s) * aw + acx, y: (raw[r + 5 + 2 * k] / s) * ah + acy });
    const xmin = cx - w / 2;
    const ymin = cy - h / 2;
    out.push({ score, box: { xmin, ymin, w: cx + w / 2 - xmin, h: cy + h / 2 - ymin }, keypoints });
  }
  return out;
}

/** Intersection over union of two normalised boxes (0 when they do not intersect or have no area). */
export function boxIoU(a: PalmBox, b: PalmBox): number {
  if (!(a.w >= 0 && a.h >= 0 && b.w >= 0 && b.h >= 0)) return 0;
  const iw = Math.min(a.xmin + a.w, b.xmin + b.w) - Math.max(a.xmin, b.xmin);
  const ih = Math.min(a.ymin + a.h, b.ymin + b.h) - Math.max(a.ymin, b.ymin);
  if (iw < 0 || ih < 0) return 0;
  const inter = iw * ih;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

export interface WeightedNmsOptions {
  /** min_suppression_threshold: 0.3 in palm_detection_cpu.pbtxt and hand_detector_graph.cc. */
  iouThreshold?: number;
}

/**
 * NonMaxSuppressionCalculator, algorithm WEIGHTED, overlap INTERSECTION_OVER_UNION. By score
 * (descending; stable for ties): the best remaining detection gathers every remaining one with
 * IoU > threshold (itself included); the output keeps its score and takes the score-weighted mean
 * of the candidates' corners (xmin, ymin, xmax, ymax) and keypoints. The candidates leave the
 * pool. As in MediaPipe, a round that removes nothing (a zero-area best box) ends the loop.
 */
export function weightedNms(dets: readonly PalmDetection[], o: WeightedNmsOptions = {}): PalmDetection[] {
  const threshold = o.iouThreshold ?? 0.3;
  let pool = [...dets].sort((a, b) => b.score - a.score);
  const out: PalmDetection[] = [];
  while (pool.length > 0) {
    const best = pool[0];
    const candidates: PalmDetection[] = [];
    const rest: PalmDetection[] = [];
    for (const d of pool) (boxIoU(d.box, best.box) > threshold ? candidates : rest).push(d);
    out.push(candidates.length > 0 ? weightedMean(best, candidates) : best);
    if (rest.length === pool.length) break;
    pool = rest;
  }
  return out;
}

function weightedMean(best: PalmDetection, candidates: readonly PalmDetection[]): PalmDetection {
  let total = 0;
  let [x0, y0, x1, y1] = [0, 0, 0, 0];
  const kp = best.keypoints.map(() => ({ x: 0, y: 0 }));
  for (const c of candidates) {
    const s = c.score;
    total += s;
    x0 += c.box.xmin * s;
    y0 += c.box.ymin * s;
    x1 += (c.box.xmin + c.box.w) * s;
    y1 += (c.box.ymin + c.box.h) * s;
    kp.forEach((p, i) => {
      p.x += c.keypoints[i].x * s;
      p.y += c.keypoints[i].y * s;
    });
  }
  const xmin = x0 / total;
  const ymin = y0 / total;
  return {
    score: best.score,
    box: { xmin, ymin, w: x1 / total - xmin, h: y1 / total - ymin },
    keypoints: kp.map((p) => ({ x: p.x / total, y: p.y / total })),
  };
}

/** Letterbox padding as fractions of the tensor side: what ImageToTensorCalculator's PadRoi reports. */
export interface LetterboxPadding {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * keep_aspect_ratio: the whole image is fitted into the tensor, centred, the short dimension
 * padded by equal fractions on both sides (image_to_tensor_utils.cc, PadRoi).
 */
export function letterboxPadding(imageW: number, imageH: number, tensorW = PALM_INPUT_SIZE, tensorH = PALM_INPUT_SIZE): LetterboxPadding {
  if (!(imageW > 0 && imageH > 0 && tensorW > 0 && tensorH > 0)) throw new Error(`letterboxPadding: bad sizes ${imageW}x${imageH} -> ${tensorW}x${tensorH}`);
  const tensorAspect = tensorH / tensorW;
  const imageAspect = imageH / imageW;
  if (tensorAspect > imageAspect) {
    const v = (1 - imageAspect / tensorAspect) / 2;
    return { left: 0, top: v, right: 0, bottom: v };
  }
  const hp = (1 - tensorAspect / imageAspect) / 2;
  return { left: hp, top: 0, right: hp, bottom: 0 };
}

/**
 * DetectionLetterboxRemovalCalculator: coordinates normalised to the letterboxed 192 input ->
 * normalised to the original image (x' = (x - left) / (1 - left - right), likewise y; sizes scale).
 */
export function removeLetterbox(det: PalmDetection, imageW: number, imageH: number): PalmDetection {
  const p = letterboxPadding(imageW, imageH);
  const sx = 1 - p.left - p.right;
  const sy = 1 - p.top - p.bottom;
  return {
    score: det.score,
    box: { xmin: (det.box.xmin - p.left) / sx, ymin: (det.box.ymin - p.top) / sy, w: det.box.w / sx, h: det.box.h / sy },
    keypoints: det.keypoints.map((k) => ({ x: (k.x - p.left) / sx, y: (k.y - p.top) / sy })),
  };
}
