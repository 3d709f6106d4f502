/**
 * Hand-detector decoding and hand crops, on the CPU (no GPU imports: unit-testable in Node).
 *
 * Reading of the official decode (MandyMo/HIU-DMTL hand_detection: `_decode_box`, `_nms`, the live
 * demo), stated in our words:
 * - The score is channel 0 as the network outputs it (after its final BatchNorm; no sigmoid).
 * - A peak is a pixel whose score equals the max of its 5x5 window (stride 1, padding 2, so
 *   plateaus give several peaks; NMS removes the duplicates). The official code zeroes non-peaks,
 *   takes the top k (k = 10) of the whole map and keeps scores >= 0.5; with a positive threshold
 *   that is the same as: peaks >= threshold, sorted by score, first k. Ties are ordered by pixel
 *   index (row-major), which torch.topk leaves unspecified.
 * - Channels 1, 2 are the box width and height and channels 3, 4 the centre offset (x, y), all as
 *   fractions of the network input side S. Centre = (col / W + dx, row / H + dy) (no half-pixel
 *   shift: the official decode adds none), box = centre +- size / 2; we report it in input pixels
 *   (fractions x S).
 * - NMS: by score, greedy; a box is dropped when its IoU with a kept box is > 0.7. Areas are
 *   (x1 - x0) * (y1 - y0) with no +1. Unlike the official code we clamp negative extents to 0, so
 *   a degenerate box (negative predicted size) has no area and suppresses nothing.
 * - The network input is the image padded to a square (the shorter side centred, floor of half
 *   the difference before it), resized to S. Boxes map back as x_img = x_in * side / S - padX.
 *   (The official demo subtracts the unfloored half difference; the two differ by half a pixel
 *   for odd differences. We use the pad actually applied.)
 * Test-time crop (network page): a square centred on the box, side 1.5 x the box's longer edge,
 * in image pixels; it may extend past the image (zero padding), so it is never clamped.
 */

export interface DecodeOptions {
  /** Minimum score (default 0.5). */
  threshold?: number;
  /** Peaks kept before NMS (default 10, as the official demo). */
  topK?: number;
  /** NMS IoU above which the weaker box is dropped (default 0.7). */
  nmsIoU?: number;
}

export const DEFAULT_DECODE: Required<DecodeOptions> = { threshold: 0.5, topK: 10, nmsIoU: 0.7 };

/** A local maximum of the score map with the map's channels at that pixel. */
export interface Peak {
  row: number;
  col: number;
  /** Channel values at (row, col): score, w, h, dx, dy. */
  values: ArrayLike<number>;
}

/** Axis-aligned box, corners (x0, y0) top-left and (x1, y1) bottom-right. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Detection extends Box {
  score: number;
  /** The peak's map pixel. */
  row: number;
  col: number;
}

/** Peaks of a score plane (H x W, row-major): >= threshold and equal to the max of their k x k window. */
export function findPeaks(score: ArrayLike<number>, h: number, w: number, threshold: number, kernel = 5): { row: number; col: number; score: number }[] {
  const r = Math.floor(kernel / 2);
  const out: { row: number; col: number; score: number }[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const s = score[y * w + x];
      if (!(s >= threshold)) continue;
      let m = -Infinity;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++)
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) m = Math.max(m, score[yy * w + xx]);
      if (s === m) out.push({ row: y, col: x, score: s });
    }
  return out;
}

/** IoU with extents clamped at 0. */
export function iou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const ih = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = iw * ih;
  const area = (q: Box) => Math.max(0, q.x1 - q.x0) * Math.max(0, q.y1 - q.y0);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS: highest score first; drops boxes whose IoU with a kept one is > iouThreshold. */
export function nms<T extends Box & { score: number }>(boxes: readonly T[], iouThreshold: number): T[] {
  const order = [...boxes].sort((a, b) => b.score - a.score);
  const keep: T[] = [];
  for (const b of order) if (keep.every((k) => !(iou(k, b) > iouThreshold))) keep.push(b);
  return keep;
}

/** Top-k, threshold, boxes in input pixels (S = inputSize, map H x W), NMS; sorted by score. */
export function detectionsFromPeaks(peaks: readonly Peak[], mapH: number, mapW: number, inputSize: number, opts: DecodeOptions = {}): Detection[] {
  const o = { ...DEFAULT_DECODE, ...opts };
  const sorted = [...peaks].sort((a, b) => b.values[0] - a.values[0] || a.row - b.row || a.col - b.col);
  const dets: Detection[] = [];
  for (const p of sorted.slice(0, o.topK)) {
    const score = p.values[0];
    if (!(score >= o.threshold)) continue;
    const [, bw, bh, dx, dy] = Array.from(p.values);
    const cx = (p.col / mapW + (dx ?? 0)) * inputSize;
    const cy = (p.row / mapH + (dy ?? 0)) * inputSize;
    const hw = ((bw ?? 0) / 2) * inputSize;
    const hh = ((bh ?? 0) / 2) * inputSize;
    dets.push({ score, row: p.row, col: p.col, x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh });
  }
  return nms(dets, o.nmsIoU);
}

/** The whole decode on the CPU from the output map (NCHW [N, C, H, W]); the fallback and the reference. */
export function decodeDetectionMap(map: ArrayLike<number>, shape: readonly [number, number, number, number], inputSize: number, opts: DecodeOptions = {}): Detection[][] {
  const [n, c, h, w] = shape;
  if (map.length !== n * c * h * w) throw new Error(`decodeDetectionMap: ${map.length} values for [${shape}]`);
  const o = { ...DEFAULT_DECODE, ...opts };
  const plane = h * w;
  const out: Detection[][] = [];
  for (let i = 0; i < n; i++) {
    const base = i * c * plane;
    const score = Array.prototype.slice.call(map, base, base + plane) as number[];
    const peaks: Peak[] = findPeaks(score, h, w, o.threshold).map(({ row, col }) => {
      const values = new Float64Array(c);
      for (let k = 0; k < c; k++) values[k] = map[base + k * plane + row * w + col];
      return { row, col, values };
    });
    out.push(detectionsFromPeaks(peaks, h, w, inputSize, o));
  }
  return out;
}

/** One image's part of a peakCompact list. */
export interface PeakList {
  /** Peaks the GPU found (may exceed the capacity). */
  found: number;
  overflow: boolean;
  peaks: Peak[];
}

/** Parses the nhwc4 storage of a peakCompact output [N, 1, 1 + capacity, 4 + pad4(channels)]. */
export function parsePeakList(storage: Float32Array, n: number, capacity: number, channels: number): PeakList[] {
  const e = 4 + 4 * Math.ceil(channels / 4);
  if (storage.length < n * (1 + capacity) * e) throw new Error(`peak list: ${storage.length} floats, expected ${n * (1 + capacity) * e}`);
  const out: PeakList[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * (1 + capacity) * e;
    const found = storage[base];
    const stored = storage[base + 1];
    if (!Number.isInteger(found) || !Number.isInteger(stored) || stored !== Math.min(found, capacity))
      throw new Error(`peak list of image ${i}: bad header (${found}, ${stored})`);
    const peaks: Peak[] = [];
    for (let s = 0; s < stored; s++) {
      const o = base + (1 + s) * e;
      peaks.push({ row: storage[o], col: storage[o + 1], values: storage.slice(o + 4, o + 4 + channels) });
    }
    out.push({ found, overflow: found > capacity, peaks });
  }
  return out;
}

/** How an image is padded to a square and scaled to the detector input. */
export interface Letterbox {
  /** The square's side in image pixels: max(W, H). */
  side: number;
  /** Zero columns / rows added before the image. */
  padX: number;
  padY: number;
  /** Image pixels per input pixel: side / S. */
  scale: number;
}

export function letterbox(imageW: number, imageH: number, inputSize: number): Letterbox {
  if (!(imageW > 0 && imageH > 0 && inputSize > 0)) throw new Error(`letterbox: bad sizes ${imageW}x${imageH} -> ${inputSize}`);
  const side = Math.max(imageW, imageH);
  return { side, padX: Math.floor((side - imageW) / 2), padY: Math.floor((side - imageH) / 2), scale: side / inputSize };
}

/** A box in detector-input pixels -> image pixels. */
export function inputBoxToImage(b: Box, lb: Letterbox): Box {
  return { x0: b.x0 * lb.scale - lb.padX, y0: b.y0 * lb.scale - lb.padY, x1: b.x1 * lb.scale - lb.padX, y1: b.y1 * lb.scale - lb.padY };
}

/** A square crop in image pixels: top-left (x, y) and side `size`. */
export interface HandCrop {
  x: number;
  y: number;
  size: number;
  /** The detection box it came from, in image pixels. */
  box: Box;
}

/** The square `scale` x crop centred on a box (image pixels): side = scale x the longer edge. Not clamped. */
export function squareCrop(box: Box, scale = 1.5): HandCrop {
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  const size = scale * Math.max(Math.abs(box.x1 - box.x0), Math.abs(box.y1 - box.y0));
  return { x: cx - size / 2, y: cy - size / 2, size, box };
}

export interface HandCropOptions {
  /** Detector input side the boxes are in (default 256). */
  inputSize?: number;
  /** Crop side over the box's longer edge (default 1.5). */
  scale?: number;
}

/**
 * Test-time crops for detector boxes (detector-input pixels, as decodeDetections returns them)
 * on an imageW x imageH image: each box is mapped back through the letterbox, then the square
 * 1.5x crop is centred on it, in image pixels. Crops may extend past the image edges (the crop
 * is zero-padded there); they are not clamped.
 */
export function handCrops(boxes: readonly Box[], imageW: number, imageH: number, opts: HandCropOptions = {}): HandCrop[] {
  const lb = letterbox(imageW, imageH, opts.inputSize ?? 256);
  return boxes.map((b) => squareCrop(inputBoxToImage(b, lb), opts.scale ?? 1.5));
}

/**
 * Crop-space units: 'pixels' of the cropSize x cropSize network input (continuous coordinates:
 * pixel i spans [i, i + 1), its centre is i + 0.5, as the HIU pipeline reports keypoints), or
 * 'unit' [0, 1] crop coordinates (MANO's weak-perspective joints2d).
 */
export type CropUnits = { units: 'pixels'; cropSize?: number } | { units: 'unit' };

function unitsPerCrop(u: CropUnits): number {
  return u.units === 'unit' ? 1 : u.cropSize ?? 256;
}

/** Points (x, y interleaved) in crop space -> image pixels. */
export function cropToImage(crop: HandCrop, points: ArrayLike<number>, units: CropUnits = { units: 'pixels' }): Float64Array {
  const k = crop.size / unitsPerCrop(units);
  const out = new Float64Array(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    out[i] = crop.x + points[i] * k;
    out[i + 1] = crop.y + points[i + 1] * k;
  }
  return out;
}

/** Points (x, y interleaved) in image pixels -> crop space (the inverse of cropToImage). */
export function imageToCrop(crop: HandCrop, points: ArrayLike<number>, units: CropUnits = { units: 'pixels' }): Float64Array {
  const k = unitsPerCrop(units) / crop.size;
  const out = new Float64Array(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    out[i] = (points[i] - crop.x) * k;
    out[i + 1] = (points[i + 1] - crop.y) * k;
  }
  return out;
}
