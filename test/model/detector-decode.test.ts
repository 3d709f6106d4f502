// Hand-detector decoding and crops on the CPU: synthetic score maps with known peaks.
import { describe, expect, test } from 'vitest';
import { Graph } from '../../src/engine/index.ts';
import { buildDetectorGraph } from '../../src/model/detector.ts';
import { expectedDetectorShapes, type DetectorConfig } from '../../src/weights/config.ts';
import {
  cropToImage,
  decodeDetectionMap,
  detectionsFromPeaks,
  findPeaks,
  handCrops,
  imageToCrop,
  inputBoxToImage,
  iou,
  letterbox,
  nms,
  parsePeakList,
  squareCrop,
  type Peak,
} from '../../src/model/detectorDecode.ts';

const H = 64;
const W = 64;
const S = 256;

/** A [1, 5, H, W] map with background score 0.1 and the given peaks (score, box size, offset). */
function makeMap(peaks: { row: number; col: number; score: number; w?: number; h?: number; dx?: number; dy?: number }[], n = 1, h = H, w = W): Float32Array {
  const plane = h * w;
  const m = new Float32Array(n * 5 * plane);
  for (let i = 0; i < n; i++) m.fill(0.1, i * 5 * plane, i * 5 * plane + plane);
  for (const p of peaks) {
    const at = p.row * w + p.col;
    m[at] = p.score;
    m[plane + at] = p.w ?? 0.1;
    m[2 * plane + at] = p.h ?? 0.1;
    m[3 * plane + at] = p.dx ?? 0;
    m[4 * plane + at] = p.dy ?? 0;
  }
  return m;
}

const decode1 = (map: Float32Array, opts = {}) => decodeDetectionMap(map, [1, 5, H, W], S, opts)[0];

describe('peaks', () => {
  test('5x5 window: a lower value within 2 pixels is no peak, at 3 pixels it is', () => {
    const m = makeMap([
      { row: 10, col: 10, score: 0.9 },
      { row: 8, col: 9, score: 0.8 }, // inside the 5x5 window of (10, 10)
      { row: 10, col: 13, score: 0.7 }, // 3 columns away: its own window holds no larger value
    ]);
    const peaks = findPeaks(m.subarray(0, H * W), H, W, 0.5).map((p) => [p.row, p.col]);
    expect(peaks).toEqual([
      [10, 10],
      [10, 13],
    ]);
  });

  test('threshold: scores >= 0.5 only (0.5 itself passes)', () => {
    const m = makeMap([
      { row: 5, col: 5, score: 0.5 },
      { row: 5, col: 30, score: 0.49999 },
      { row: 40, col: 40, score: 0.75 },
    ]);
    expect(decode1(m).map((d) => [d.row, d.col, d.score])).toEqual([
      [40, 40, 0.75],
      [5, 5, 0.5],
    ]);
  });

  test('a plateau gives one peak per tied pixel; NMS keeps one box', () => {
    const m = makeMap([
      { row: 20, col: 20, score: 0.8, w: 0.2, h: 0.2 },
      { row: 20, col: 21, score: 0.8, w: 0.2, h: 0.2 },
    ]);
    expect(findPeaks(m.subarray(0, H * W), H, W, 0.5)).toHaveLength(2);
    const d = decode1(m);
    expect(d).toHaveLength(1);
    expect([d[0].row, d[0].col]).toEqual([20, 20]); // ties: lower pixel index first
  });

  test('top-k: the k best peaks, before the threshold (the official order)', () => {
    const peaks = Array.from({ length: 12 }, (_, i) => ({ row: 4 + 5 * (i % 6), col: 4 + 20 * Math.floor(i / 6), score: 0.6 + 0.02 * i, w: 0.01, h: 0.01 }));
    const m = makeMap(peaks);
    const d = decode1(m);
    expect(d).toHaveLength(10);
    expect(d.map((x) => x.score)).toEqual(peaks.slice(2).map((p) => Math.fround(p.score)).reverse());
    expect(decode1(m, { topK: 3 }).map((x) => x.score)).toEqual(peaks.slice(9).map((p) => Math.fround(p.score)).reverse());
  });

  test('no peak above the threshold: no detections; NaN scores are ignored', () => {
    const m = makeMap([{ row: 3, col: 3, score: 0.3 }]);
    m[100] = NaN;
    expect(decode1(m)).toEqual([]);
  });
});

describe('boxes', () => {
  test('centre = (col / W + dx, row / H + dy) x S, box = centre +- size / 2, in input pixels', () => {
    const m = makeMap([{ row: 10, col: 20, score: 0.9, w: 0.25, h: 0.125, dx: 0.01, dy: -0.02 }]);
    const [d] = decode1(m);
    const cx = (20 / 64 + Math.fround(0.01)) * 256;
    const cy = (10 / 64 + Math.fround(-0.02)) * 256;
    expect(d.x0).toBeCloseTo(cx - 32, 4);
    expect(d.x1).toBeCloseTo(cx + 32, 4);
    expect(d.y0).toBeCloseTo(cy - 16, 4);
    expect(d.y1).toBeCloseTo(cy + 16, 4);
    expect(cx).toBeCloseTo(82.56, 4);
    expect(cy).toBeCloseTo(34.88, 4);
  });

  test('batch: each image decodes its own plane', () => {
    const plane = H * W;
    const m = new Float32Array(2 * 5 * plane);
    m.set(makeMap([{ row: 1, col: 2, score: 0.9 }]), 0);
    m.set(makeMap([{ row: 30, col: 40, score: 0.7 }]), 5 * plane);
    const d = decodeDetectionMap(m, [2, 5, H, W], S);
    expect(d.map((x) => x.map((y) => [y.row, y.col]))).toEqual([[[1, 2]], [[30, 40]]]);
  });
});

describe('NMS at IoU 0.7', () => {
  const box = (x0: number, y0: number, x1: number, y1: number, score: number) => ({ x0, y0, x1, y1, score });

  test('IoU exactly 0.7 is kept, above it is suppressed', () => {
    expect(iou(box(0, 0, 10, 10, 0), box(0, 0, 10, 7, 0))).toBeCloseTo(0.7, 12);
    expect(nms([box(0, 0, 10, 10, 0.9), box(0, 0, 10, 7, 0.8)], 0.7)).toHaveLength(2);
    const kept = nms([box(0, 0, 10, 7.5, 0.8), box(0, 0, 10, 10, 0.9)], 0.7);
    expect(kept).toEqual([box(0, 0, 10, 10, 0.9)]);
  });

  test('on a map: overlapping boxes of two peaks, the weaker one goes; a farther one stays', () => {
    // 0.5 x 256 = 128-pixel boxes. 4 map pixels apart = 16 input pixels: IoU 112/144 = 0.78.
    const near = makeMap([
      { row: 20, col: 20, score: 0.9, w: 0.5, h: 0.5 },
      { row: 20, col: 24, score: 0.8, w: 0.5, h: 0.5 },
    ]);
    expect(decode1(near).map((d) => d.col)).toEqual([20]);
    // 10 map pixels = 40 input pixels: IoU 88/168 = 0.52.
    const far = makeMap([
      { row: 20, col: 20, score: 0.9, w: 0.5, h: 0.5 },
      { row: 20, col: 30, score: 0.8, w: 0.5, h: 0.5 },
    ]);
    expect(decode1(far).map((d) => d.col)).toEqual([20, 30]);
    // Suppression is greedy by score: the stronger box survives whichever comes first in the map.
    const swapped = makeMap([
      { row: 20, col: 20, score: 0.8, w: 0.5, h: 0.5 },
      { row: 20, col: 24, score: 0.9, w: 0.5, h: 0.5 },
    ]);
    expect(decode1(swapped).map((d) => d.col)).toEqual([24]);
  });

  test('degenerate boxes (negative size) have no area and suppress nothing', () => {
    expect(iou(box(5, 5, 0, 0, 0), box(0, 0, 5, 5, 0))).toBe(0);
  });
});

describe('GPU peak list parsing', () => {
  test('header, slots, overflow', () => {
    const cap = 3;
    const e = 12; // 4 + pad4(5)
    const st = new Float32Array(2 * (1 + cap) * e);
    // image 0: 2 peaks
    st.set([2, 2], 0);
    st.set([7, 9, 0, 0, 0.9, 0.1, 0.2, 0.01, 0.02, 0, 0, 0], e);
    st.set([1, 2, 0, 0, 0.6, 0.3, 0.3, 0, 0, 0, 0, 0], 2 * e);
    // image 1: 5 found, 3 stored
    const b = (1 + cap) * e;
    st.set([5, 3], b);
    for (let s = 0; s < 3; s++) st.set([s, s, 0, 0, 0.7, 0, 0, 0, 0, 0, 0, 0], b + (1 + s) * e);
    const [a, c] = parsePeakList(st, 2, cap, 5);
    expect(a.found).toBe(2);
    expect(a.overflow).toBe(false);
    expect(a.peaks.map((p) => [p.row, p.col, Array.from(p.values).map((v) => Math.round(v * 100))])).toEqual([
      [7, 9, [90, 10, 20, 1, 2]],
      [1, 2, [60, 30, 30, 0, 0]],
    ]);
    expect(c.overflow).toBe(true);
    expect(c.peaks).toHaveLength(3);
    st[1] = 3; // stored != min(found, capacity)
    expect(() => parsePeakList(st, 2, cap, 5)).toThrow(/bad header/);
  });

  test('detectionsFromPeaks on parsed peaks equals the map decode', () => {
    const spec = [
      { row: 10, col: 10, score: 0.9, w: 0.2, h: 0.3, dx: 0.004, dy: 0.002 },
      { row: 40, col: 50, score: 0.7, w: 0.1, h: 0.1, dx: -0.003, dy: 0.001 },
    ];
    const m = makeMap(spec);
    const peaks: Peak[] = spec.map((p) => ({ row: p.row, col: p.col, values: Float32Array.from([p.score, p.w, p.h, p.dx, p.dy]) }));
    expect(detectionsFromPeaks(peaks, H, W, S)).toEqual(decode1(m));
  });
});

describe('crops', () => {
  test('letterbox: landscape and portrait images are padded to a centred square', () => {
    expect(letterbox(640, 480, 256)).toEqual({ side: 640, padX: 0, padY: 80, scale: 2.5 });
    expect(letterbox(481, 640, 256)).toEqual({ side: 640, padX: 79, padY: 0, scale: 2.5 });
    expect(inputBoxToImage({ x0: 0, y0: 32, x1: 256, y1: 224 }, letterbox(640, 480, 256))).toEqual({ x0: 0, y0: 0, x1: 640, y1: 480 });
  });

  test('square, 1.5 x the longer edge, centred on the box', () => {
    const c = squareCrop({ x0: 100, y0: 200, x1: 140, y1: 300 });
    expect(c.size).toBe(150);
    expect(c.x + c.size / 2).toBe(120);
    expect(c.y + c.size / 2).toBe(250);
  });

  test('handCrops maps detector boxes to the image and does not clamp at the edges', () => {
    // 640 x 480 image: input pixels x 2.5, minus 80 rows of padding.
    const crops = handCrops([{ x0: 0, y0: 40, x1: 40, y1: 60 }], 640, 480);
    expect(crops).toHaveLength(1);
    const [c] = crops;
    expect(c.box).toEqual({ x0: 0, y0: 20, x1: 100, y1: 70 });
    expect(c.size).toBe(150);
    expect(c.x).toBe(-25); // past the left edge: kept, zero padding there
    expect(c.y).toBe(45 - 75);
    // scale option
    expect(handCrops([{ x0: 0, y0: 40, x1: 40, y1: 60 }], 640, 480, { scale: 2 })[0].size).toBe(200);
  });

  test('crop space -> image: crop pixels (of a 256 crop) and [0, 1] units', () => {
    const c = { x: 100, y: 50, size: 200, box: { x0: 0, y0: 0, x1: 0, y1: 0 } };
    expect(Array.from(cropToImage(c, [128, 128, 0, 256]))).toEqual([200, 150, 100, 250]);
    expect(Array.from(cropToImage(c, [0.5, 0.5, 1, 0], { units: 'unit' }))).toEqual([200, 150, 300, 50]);
    expect(Array.from(cropToImage(c, [32, 64], { units: 'pixels', cropSize: 64 }))).toEqual([200, 250]);
  });

  test('round trip image -> crop -> image, both unit systems', () => {
    const [c] = handCrops([{ x0: 17.3, y0: 90.1, x1: 61.7, y1: 120.4 }], 1280, 720);
    const pts = [0, 0, 1279.5, 719.5, -30.25, 800, c.x, c.y];
    for (const u of [{ units: 'pixels' as const }, { units: 'unit' as const }, { units: 'pixels' as const, cropSize: 128 }]) {
      const back = cropToImage(c, imageToCrop(c, pts, u), u);
      back.forEach((v, i) => expect(v).toBeCloseTo(pts[i], 9));
    }
    // the crop's corners are (0, 0) and (1, 1) in unit crop space
    expect(Array.from(imageToCrop(c, [c.x, c.y, c.x + c.size, c.y + c.size], { units: 'unit' })).map((v) => +v.toFixed(12))).toEqual([0, 0, 1, 1]);
  });
});

describe('graph (built, not run)', () => {
  test('the official configuration: 256 -> 5 x 64 x 64, ResNet-18 layer names, fused dispatch count', () => {
    const config: DetectorConfig = {
      architecture: 'hand-detector', inputSize: 256, stemWidth: 64, stageWidths: [64, 128, 256, 512], stageBlocks: [2, 2, 2, 2], headWidths: [32, 16, 8], outputs: 5,
    };
    const weights = new Map([...expectedDetectorShapes(config)].map(([k, shape]) => [k, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(k.endsWith('running_var') ? 1 : 0.01) }]));
    const g = new Graph();
    const det = buildDetectorGraph(g, weights, config, { batch: 2 });
    expect(det.output.shape).toEqual([2, 64, 64, 5]);
    expect(det.features.map((t) => t.shape.slice(1))).toEqual([[64, 64, 64], [32, 32, 128], [16, 16, 256], [8, 8, 512]]);
    expect(det.peaks!.list.shape).toEqual([2, 1, 17, 12]);
    const names = g.nodes.map((n) => n.name);
    for (const n of ['detector.backbone.conv1', 'detector.backbone.maxpool', 'detector.backbone.layer2.0.conv1', 'detector.backbone.layer2.0.downsample', 'detector.backbone.layer4.1.conv2', 'detector.up1.conv1x1', 'detector.up1.upsample', 'detector.up3.conv3x3', 'detector.out.conv3x3', 'detector.decode.maxpool5x5', 'detector.decode.peaks'])
      expect(names).toContain(n);
    // stem 2 + 8 blocks x 2 + 3 downsamples + 3 up blocks x 3 + out 2 + decode 2; no concat copies.
    expect(g.nodes).toHaveLength(2 + 16 + 3 + 9 + 2 + 2);
    expect(g.nodes.filter((n) => n.kernel === 'bilinearResize')).toHaveLength(3);
  });

  test('input sizes that are not multiples of 32 are refused', () => {
    const config: DetectorConfig = { architecture: 'hand-detector', inputSize: 100, stemWidth: 8, stageWidths: [8, 8, 8, 8], stageBlocks: [1, 1, 1, 1], headWidths: [4, 4, 4], outputs: 5 };
    expect(() => buildDetectorGraph(new Graph(), new Map(), config)).toThrow(/multiple of 32/);
  });
});
