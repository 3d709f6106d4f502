// MediaPipe hand pipeline, CPU side: anchors, palm decode, weighted NMS, letterbox, hand regions,
// crop affine, landmark projection, handedness. Expected values are worked out by hand.
import { describe, expect, test } from 'vitest';
import {
  applyAffine,
  handednessLabel,
  handPresent,
  landmarksToRegion,
  normalizeRadians,
  palmToHandRegion,
  projectLandmarks,
  projectWorldLandmarks,
  regionTransform,
  TASKS_PALM_TARGET_ANGLE,
  type HandRegion,
} from '../../src/model/handRegion.ts';
import {
  boxIoU,
  decodePalms,
  letterboxPadding,
  palmAnchors,
  palmScore,
  PALM_ANCHOR_OPTIONS,
  removeLetterbox,
  ssdAnchors,
  weightedNms,
  type PalmDetection,
  type Point2,
} from '../../src/model/palm.ts';

const f = Math.fround;

function anchorAt(a: Float32Array, i: number): number[] {
  return Array.from(a.subarray(4 * i, 4 * i + 4));
}

describe('palm anchors', () => {
  const a = palmAnchors();

  test('2016 anchors: 24 x 24 x 2 at stride 8, then 12 x 12 x 6 for the three merged stride-16 layers', () => {
    expect(a.length).toBe(2016 * 4);
    expect(anchorAt(a, 0)).toEqual([f(1 / 48), f(1 / 48), 1, 1]);
    expect(anchorAt(a, 1)).toEqual([f(1 / 48), f(1 / 48), 1, 1]); // two anchors per cell
    expect(anchorAt(a, 2)).toEqual([f(3 / 48), f(1 / 48), 1, 1]); // next column
    expect(anchorAt(a, 48)).toEqual([f(1 / 48), f(3 / 48), 1, 1]); // next row
    expect(anchorAt(a, 1151)).toEqual([f(47 / 48), f(47 / 48), 1, 1]);
    for (let k = 0; k < 6; k++) expect(anchorAt(a, 1152 + k)).toEqual([f(1 / 24), f(1 / 24), 1, 1]);
    expect(anchorAt(a, 1158)).toEqual([f(3 / 24), f(1 / 24), 1, 1]);
    expect(anchorAt(a, 2015)).toEqual([f(23 / 24), f(23 / 24), 1, 1]);
  });

  test('every anchor sits at its cell centre in (layer, row, column, anchor) order', () => {
    let i = 0;
    for (const [cells, per] of [[24, 2], [12, 6]])
      for (let y = 0; y < cells; y++)
        for (let x = 0; x < cells; x++)
          for (let k = 0; k < per; k++, i++) expect(anchorAt(a, i)).toEqual([f((x + 0.5) / cells), f((y + 0.5) / cells), 1, 1]);
    expect(i).toBe(2016);
  });

  test('without fixed sizes: per-layer scales and the interpolated anchor (sqrt(s_i s_i+1), 1 after the last layer)', () => {
    const b = ssdAnchors({ ...PALM_ANCHOR_OPTIONS, fixedAnchorSize: false });
    // scales: 19/128 + (77/128) i / 3 = 19/128, 67/192, 211/384, 3/4
    const [s0, s1, s2, s3] = [19 / 128, 67 / 192, 211 / 384, 3 / 4];
    const w = (i: number) => b[4 * i + 2];
    expect([w(0), w(1)].map((v) => v.toFixed(7))).toEqual([s0, Math.sqrt(s0 * s1)].map((v) => f(v).toFixed(7)));
    const cell16 = [s1, Math.sqrt(s1 * s2), s2, Math.sqrt(s2 * s3), s3, Math.sqrt(s3)];
    expect([0, 1, 2, 3, 4, 5].map((k) => w(1152 + k).toFixed(7))).toEqual(cell16.map((v) => f(v).toFixed(7)));
    expect(b[4 * 1155 + 3]).toBe(w(1155)); // aspect 1: h = w
    expect(anchorAt(b, 1152).slice(0, 2)).toEqual([f(1 / 24), f(1 / 24)]);
  });
});

describe('palm decode', () => {
  const anchors = palmAnchors();

  /** Inverts the decode: raw regressors for a box (centre, size) and keypoints at anchor i. */
  function encode(raw: Float32Array, i: number, cx: number, cy: number, w: number, h: number, kps: Point2[]) {
    const [ax, ay] = [anchors[4 * i], anchors[4 * i + 1]];
    const r = i * 18;
    raw.set([(cx - ax) * 192, (cy - ay) * 192, w * 192, h * 192], r);
    kps.forEach((p, k) => raw.set([(p.x - ax) * 192, (p.y - ay) * 192], r + 4 + 2 * k));
  }

  const kpsA = Array.from({ length: 7 }, (_, k) => ({ x: 0.2 + 0.01 * k, y: 0.3 - 0.02 * k }));
  const kpsB = Array.from({ length: 7 }, (_, k) => ({ x: 0.7 - 0.015 * k, y: 0.6 + 0.01 * k }));

  test('round trip: boxes and keypoints encoded at two anchors come back; order = anchor order', () => {
    const raw = new Float32Array(2016 * 18);
    const scores = new Float32Array(2016).fill(-10);
    encode(raw, 1500, 0.7, 0.62, 0.3, 0.25, kpsB); // stride-16 anchor
    encode(raw, 300, 0.25, 0.27, 0.1, 0.12, kpsA); // stride-8 anchor (cell 6, 6)
    scores[300] = Math.log(0.9 / 0.1);
    scores[1500] = 2;
    const d = decodePalms(raw, scores);
    expect(d.length).toBe(2);
    expect(d[0].score).toBeCloseTo(0.9, 6);
    expect(d[1].score).toBeCloseTo(1 / (1 + Math.exp(-2)), 7);
    const near = (got: number, want: number) => expect(got).toBeCloseTo(want, 6);
    near(d[0].box.xmin, 0.2);
    near(d[0].box.ymin, 0.21);
    near(d[0].box.w, 0.1);
    near(d[0].box.h, 0.12);
    near(d[1].box.xmin, 0.55);
    near(d[1].box.ymin, 0.495);
    near(d[1].box.w, 0.3);
    near(d[1].box.h, 0.25);
    for (let k = 0; k < 7; k++) {
      near(d[0].keypoints[k].x, kpsA[k].x);
      near(d[0].keypoints[k].y, kpsA[k].y);
      near(d[1].keypoints[k].x, kpsB[k].x);
      near(d[1].keypoints[k].y, kpsB[k].y);
    }
  });

  test('x-first layout with scale 192 and fixed anchor size: raw 24 px right of anchor 300 = +0.125', () => {
    const raw = new Float32Array(2016 * 18);
    const scores = new Float32Array(2016).fill(-10);
    raw.set([24, -12, 48, 96, 192, 0], 300 * 18);
    scores[300] = 5;
    const [d] = decodePalms(raw, scores);
    const acx = f(6.5 / 24);
    expect(d.box.xmin + d.box.w / 2).toBeCloseTo(acx + 0.125, 12);
    expect(d.box.ymin + d.box.h / 2).toBeCloseTo(acx - 0.0625, 12);
    expect(d.box.w).toBeCloseTo(0.25, 12);
    expect(d.box.h).toBeCloseTo(0.5, 12);
    expect(d.keypoints[0]).toEqual({ x: 1 + acx, y: acx });
  });

  test('threshold keeps score >= 0.5 (logit 0), drops below; negative sizes are dropped', () => {
    const raw = new Float32Array(2016 * 18);
    const scores = new Float32Array(2016).fill(-10);
    raw.set([0, 0, 10, 10], 10 * 18);
    raw.set([0, 0, 10, 10], 11 * 18);
    raw.set([0, 0, -1, 10], 12 * 18);
    scores[10] = 0;
    scores[11] = -1e-3;
    scores[12] = 8;
    expect(decodePalms(raw, scores).map((d) => d.score)).toEqual([0.5]);
    expect(decodePalms(raw, scores, { minScore: 0.4 }).length).toBe(2);
  });

  test('sigmoid with logits clipped to +-100', () => {
    expect(palmScore(0)).toBe(0.5);
    expect(palmScore(1000)).toBe(1 / (1 + Math.exp(-100)));
    expect(palmScore(-1000)).toBe(1 / (1 + Math.exp(100)));
    expect(palmScore(-1000)).toBeGreaterThan(0); // clipped: exp(1000) would give exactly 0
    expect(palmScore(-250)).toBe(palmScore(-100));
    expect(palmScore(99)).toBe(1 / (1 + Math.exp(-99)));
  });

  test('bad tensor sizes throw', () => {
    expect(() => decodePalms(new Float32Array(18), new Float32Array(1))).toThrow(/2016 anchors/);
  });
});

describe('weighted NMS', () => {
  const kp = (x: number, y: number) => Array.from({ length: 7 }, () => ({ x, y }));
  const det = (score: number, xmin: number, ymin: number, x: number, y: number): PalmDetection => ({
    score,
    box: { xmin, ymin, w: 0.2, h: 0.2 },
    keypoints: kp(x, y),
  });
  const A = det(0.9, 0.1, 0.1, 0.2, 0.2);
  const B = det(0.6, 0.12, 0.1, 0.3, 0.5); // IoU with A 0.036 / 0.044
  const C = det(0.8, 0.6, 0.6, 0.7, 0.7); // far away
  const D = det(0.7, 0.22, 0.1, 0.4, 0.4); // IoU with A 0.08 / 0.32 = 0.25

  test('IoU of the hand-made boxes', () => {
    expect(boxIoU(A.box, B.box)).toBeCloseTo(0.036 / 0.044, 12);
    expect(boxIoU(A.box, D.box)).toBeCloseTo(0.25, 12);
    expect(boxIoU(A.box, C.box)).toBe(0);
  });

  test('overlapping boxes merge into the score-weighted mean; the rest are kept, by score', () => {
    const out = weightedNms([B, D, C, A], { iouThreshold: 0.3 });
    expect(out.map((d) => d.score)).toEqual([0.9, 0.8, 0.7]);
    const m = out[0];
    expect(m.box.xmin).toBeCloseTo((0.1 * 0.9 + 0.12 * 0.6) / 1.5, 12); // 0.108
    expect(m.box.ymin).toBeCloseTo(0.1, 12);
    expect(m.box.w).toBeCloseTo(0.2, 12);
    expect(m.box.h).toBeCloseTo(0.2, 12);
    expect(m.keypoints[6].x).toBeCloseTo(0.24, 12);
    expect(m.keypoints[6].y).toBeCloseTo(0.32, 12);
    expect(out[1].box.xmin).toBeCloseTo(0.6, 12); // alone: its own mean (MediaPipe averages it too)
    expect(out[1].keypoints[3].y).toBeCloseTo(0.7, 12);
    expect(out[2].box.xmin).toBeCloseTo(0.22, 12);
    expect(out[2].keypoints[0].x).toBeCloseTo(0.4, 12);
  });

  test('the threshold decides: 0.2 pulls D into A; IoU equal to the threshold does not merge', () => {
    const low = weightedNms([A, B, C, D], { iouThreshold: 0.2 });
    expect(low.map((d) => d.score)).toEqual([0.9, 0.8]);
    expect(low[0].box.xmin).toBeCloseTo((0.09 + 0.072 + 0.22 * 0.7) / 2.2, 12);
    const eq = weightedNms([A, D], { iouThreshold: boxIoU(A.box, D.box) });
    expect(eq.length).toBe(2);
    expect(weightedNms([A, D]).length).toBe(2); // default 0.3
  });

  test('a zero-area best box ends the loop (MediaPipe: no progress, stop)', () => {
    const Z: PalmDetection = { ...A, score: 0.95, box: { ...A.box, w: 0 } };
    expect(weightedNms([A, Z])).toEqual([Z]);
    expect(weightedNms([])).toEqual([]);
  });
});

describe('letterbox removal', () => {
  const d: PalmDetection = { score: 0.8, box: { xmin: 0.25, ymin: 0.125, w: 0.5, h: 0.75 }, keypoints: [{ x: 0.5, y: 0.5 }, { x: 0.125, y: 0.875 }] };

  test('landscape 640 x 480: the image fills rows 24..168 of 192 (padding 0.125 top and bottom)', () => {
    expect(letterboxPadding(640, 480)).toEqual({ left: 0, top: 0.125, right: 0, bottom: 0.125 });
    const r = removeLetterbox(d, 640, 480);
    expect(r.box).toEqual({ xmin: 0.25, ymin: 0, w: 0.5, h: 1 });
    expect(r.keypoints).toEqual([{ x: 0.5, y: 0.5 }, { x: 0.125, y: 1 }]);
    expect(r.score).toBe(0.8);
  });

  test('portrait 480 x 640: padding 0.125 left and right; square: none', () => {
    expect(letterboxPadding(480, 640)).toEqual({ left: 0.125, top: 0, right: 0.125, bottom: 0 });
    const r = removeLetterbox(d, 480, 640);
    expect(r.box).toEqual({ xmin: 0.125 / 0.75, ymin: 0.125, w: 0.5 / 0.75, h: 0.75 });
    expect(r.keypoints[1]).toEqual({ x: 0, y: 0.875 });
    expect(removeLetterbox(d, 300, 300)).toEqual(d);
  });
});

describe('hand region from a palm', () => {
  /** A 0.2 x 0.2 palm at the centre of a 400 x 400 image, wrist -> middle MCP along (dx, dy). */
  const palm = (dx: number, dy: number): PalmDetection => {
    const kps = Array.from({ length: 7 }, () => ({ x: 0.5, y: 0.5 }));
    kps[0] = { x: 0.5 - dx, y: 0.5 - dy };
    kps[2] = { x: 0.5 + dx, y: 0.5 + dy };
    return { score: 0.9, box: { xmin: 0.4, ymin: 0.4, w: 0.2, h: 0.2 }, keypoints: kps };
  };
  const expectRegion = (r: HandRegion, want: HandRegion) => {
    for (const k of ['cx', 'cy', 'w', 'h', 'rotation'] as const) expect(r[k], k).toBeCloseTo(want[k], 9);
  };

  test('pointing up 0, right pi/2, down -pi, left -pi/2; centre moved 0.5 box toward the fingers; side 2.6 x', () => {
    const size = 80 * 2.6;
    expectRegion(palmToHandRegion(palm(0, -0.1), 400, 400), { cx: 200, cy: 160, w: size, h: size, rotation: 0 });
    expectRegion(palmToHandRegion(palm(0.1, 0), 400, 400), { cx: 240, cy: 200, w: size, h: size, rotation: Math.PI / 2 });
    expectRegion(palmToHandRegion(palm(0, 0.1), 400, 400), { cx: 200, cy: 240, w: size, h: size, rotation: -Math.PI });
    expectRegion(palmToHandRegion(palm(-0.1, 0), 400, 400), { cx: 160, cy: 200, w: size, h: size, rotation: -Math.PI / 2 });
  });

  test('angle and size in pixels on a 640 x 480 image (normalised would give 53 degrees, not 45)', () => {
    const d: PalmDetection = {
      score: 0.9,
      box: { xmin: 0.5 - 0.0625, ymin: 0.5 - 1 / 12, w: 0.125, h: 1 / 6 }, // 80 x 80 px
      keypoints: Array.from({ length: 7 }, () => ({ x: 0.5, y: 0.5 })),
    };
    d.keypoints[2] = { x: 0.6, y: 0.5 - 64 / 480 }; // (+64, -64) px: up-right
    const r = palmToHandRegion(d, 640, 480);
    const shift = 40 * Math.SQRT1_2;
    expectRegion(r, { cx: 320 + shift, cy: 240 - shift, w: 208, h: 208, rotation: Math.PI / 4 });
  });

  test('long side squared: a 100 x 60 px box gives 260 x 260', () => {
    const d = palm(0, -0.1);
    d.box = { xmin: 0.375, ymin: 0.425, w: 0.25, h: 0.15 };
    const r = palmToHandRegion(d, 400, 400);
    expect([r.w, r.h]).toEqual([260, 260]);
    expect(r.cy).toBeCloseTo(200 - 30, 9); // shift uses the box's own height (60 px)
  });

  test("HandLandmarker's target angle (90 rad) turns an upright palm by 90 - 28.5 pi", () => {
    const r = palmToHandRegion(palm(0, -0.1), 400, 400, { targetAngle: TASKS_PALM_TARGET_ANGLE });
    expect(r.rotation).toBeCloseTo(90 - 28.5 * Math.PI, 12);
  });

  test('normalizeRadians maps into [-pi, pi)', () => {
    expect(normalizeRadians(Math.PI)).toBe(-Math.PI);
    expect(normalizeRadians(-Math.PI)).toBe(-Math.PI);
    expect(normalizeRadians(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 14);
    expect(normalizeRadians(0.5)).toBe(0.5);
  });
});

describe('hand region from landmarks (video mode)', () => {
  /** An upright hand: the 12 region points span x 70..130, y 100..200; fingertips far above. */
  function uprightHand(): Point2[] {
    const p: Point2[] = Array.from({ length: 21 }, () => ({ x: 100, y: 50 }));
    p[0] = { x: 100, y: 200 };
    p[1] = { x: 70, y: 180 };
    p[2] = { x: 75, y: 160 };
    p[3] = { x: 80, y: 140 };
    p[5] = { x: 80, y: 110 };
    p[6] = { x: 80, y: 100 };
    p[9] = { x: 100, y: 110 };
    p[10] = { x: 100, y: 100 };
    p[13] = { x: 120, y: 110 };
    p[14] = { x: 120, y: 100 };
    p[17] = { x: 130, y: 120 };
    p[18] = { x: 130, y: 105 };
    return p;
  }

  test('upright: rotation 0, box of the 12 region points, shifted 0.1 h up, squared, x 2', () => {
    const r = landmarksToRegion(uprightHand());
    expect(r).toEqual({ cx: 100, cy: 140, w: 200, h: 200, rotation: 0 });
  });

  test('fingertips and DIPs do not count; rotating the hand rotates the region', () => {
    const p = uprightHand();
    p[8] = { x: 500, y: -300 };
    expect(landmarksToRegion(p)).toEqual({ cx: 100, cy: 140, w: 200, h: 200, rotation: 0 });
    // 90 degrees clockwise on screen about (0, 0): (x, y) -> (-y, x); the hand now points right.
    const r = landmarksToRegion(uprightHand().map(({ x, y }) => ({ x: -y, y: x })));
    expect(r.rotation).toBeCloseTo(Math.PI / 2, 12);
    expect(r.cx).toBeCloseTo(-140, 9);
    expect(r.cy).toBeCloseTo(100, 9);
    expect(r.w).toBeCloseTo(200, 9);
  });

  test('direction target: ((MCP5 + MCP13) / 2 + MCP9) / 2, not the plain mean', () => {
    const p = uprightHand();
    p[0] = { x: 0, y: 0 };
    p[5] = { x: 60, y: -100 };
    p[9] = { x: 0, y: -100 };
    p[13] = { x: 0, y: -100 };
    expect(landmarksToRegion(p).rotation).toBeCloseTo(Math.PI / 2 - Math.atan2(100, 15), 12);
  });
});

describe('crop affine and landmark projection', () => {
  const rect: HandRegion = { cx: 300, cy: 200, w: 100, h: 100, rotation: Math.PI / 6 };

  test('corners and centre: (0,0) and (224,224) are the rotated corners, (112,112) the centre', () => {
    const { toImage } = regionTransform(rect);
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    const corner = (u: number, v: number) => ({ x: 300 + c * u - s * v, y: 200 + s * u + c * v });
    for (const [u, v, du, dv] of [[0, 0, -50, -50], [224, 0, 50, -50], [224, 224, 50, 50], [0, 224, -50, 50], [112, 112, 0, 0]]) {
      const p = applyAffine(toImage, u, v);
      const q = corner(du, dv);
      expect(p.x).toBeCloseTo(q.x, 10);
      expect(p.y).toBeCloseTo(q.y, 10);
    }
  });

  test('the crop top centre lies toward the fingers: rotation pi/2 puts it right of the centre', () => {
    const p = applyAffine(regionTransform({ ...rect, rotation: Math.PI / 2 }).toImage, 112, 0);
    expect(p.x).toBeCloseTo(350, 10);
    expect(p.y).toBeCloseTo(200, 10);
  });

  test('toCrop inverts toImage; a 60 x 100 region is padded to a 100 square', () => {
    const t = regionTransform({ ...rect, w: 60, rotation: -2 });
    expect(t.side).toBe(100);
    for (const [u, v] of [[0, 0], [13.5, 200], [224, 7]]) {
      const p = applyAffine(t.toImage, u, v);
      const q = applyAffine(t.toCrop, p.x, p.y);
      expect(q.x).toBeCloseTo(u, 10);
      expect(q.y).toBeCloseTo(v, 10);
    }
    expect(applyAffine(t.toImage, 224, 112).x - applyAffine(t.toImage, 0, 112).x).toBeCloseTo(100 * Math.cos(-2), 10);
  });

  test('projection round trip: image points -> crop pixels -> back; z scaled by side / 224 / 0.4', () => {
    const r: HandRegion = { cx: 320, cy: 240, w: 150, h: 150, rotation: 0.7 };
    const pts = Array.from({ length: 21 }, (_, i) => ({ x: 260 + 5 * i, y: 300 - 4 * i }));
    const { toCrop } = regionTransform(r);
    const raw = new Float32Array(63);
    pts.forEach((p, i) => {
      const q = applyAffine(toCrop, p.x, p.y);
      raw.set([q.x, q.y, i === 4 ? 22.4 : 0], 3 * i);
    });
    const out = projectLandmarks(raw, r, 640, 480);
    pts.forEach((p, i) => {
      expect(out.image[i].x).toBeCloseTo(p.x, 3);
      expect(out.image[i].y).toBeCloseTo(p.y, 3);
      expect(out.normalized[i].x).toBeCloseTo(p.x / 640, 5);
      expect(out.normalized[i].y).toBeCloseTo(p.y / 480, 5);
    });
    expect(out.image[4].z).toBeCloseTo((f(22.4) / 224 / 0.4) * 150, 12); // 37.5 px
    expect(out.normalized[4].z).toBeCloseTo(37.5 / 640, 6);
    expect(out.image[5].z).toBe(0);
  });

  test('world landmarks: x, y rotated by the region rotation, z kept', () => {
    const raw = new Float32Array(63);
    raw.set([1, 0, 0.5, 0, 2, -1]);
    const w = projectWorldLandmarks(raw, { ...rect, rotation: Math.PI / 2 });
    expect(w[0].x).toBeCloseTo(0, 12);
    expect(w[0].y).toBeCloseTo(1, 12);
    expect(w[0].z).toBe(0.5);
    expect(w[1].x).toBeCloseTo(-2, 12);
    expect(w[1].y).toBeCloseTo(0, 12);
    expect(w[1].z).toBe(-1);
  });
});

describe('handedness and presence', () => {
  test('raw score is "Right" (HandLandmarker, unmirrored image); below 0.5 "Left" with 1 - score', () => {
    expect(handednessLabel(0.9)).toEqual({ label: 'Right', score: 0.9 });
    expect(handednessLabel(0.25)).toEqual({ label: 'Left', score: 0.75 });
    expect(handednessLabel(0.5)).toEqual({ label: 'Right', score: 0.5 });
  });

  test('presence is a probability, accepted above 0.5', () => {
    expect(handPresent(0.5)).toBe(false);
    expect(handPresent(0.5000001)).toBe(true);
    expect(handPresent(0.3, 0.2)).toBe(true);
  });
});
