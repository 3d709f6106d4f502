// fitHand (MANO to MediaPipe's 21 world landmarks): targets come from the float64 reference
// forward on our licence-free assets, rotated and moved at random; the fit must find them again.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fitHand, type HandFit, type HandFitOptions } from '../../src/model/handFit.ts';
import { manoAsset, type HandSide, type ManoAsset } from '../../src/model/manoAsset.ts';
import { manoFromSafetensors } from '../../src/weights/mano.ts';
import { flexAxis } from '../../tools/hand-asset/generate.ts';
import { axisAngleToMatrix, manoForward } from '../reference/mano.ts';
import { testSeed } from '../seed.ts';
import { mulberry32 } from '../../src/util/rng.ts';

const load = (side: HandSide): ManoAsset =>
  manoFromSafetensors(new Uint8Array(readFileSync(new URL(`../../assets/hand-${side}.safetensors`, import.meta.url))), side).asset;
const ASSETS: Record<HandSide, ManoAsset> = { left: load('left'), right: load('right') };
const SEED = testSeed();
const tag = (what: string) => `${what} (HIU_TEST_SEED=${SEED})`;

type Rng = () => number;
const uni = (r: Rng, lo: number, hi: number) => lo + (hi - lo) * r();
const gauss = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** Finger joints flex about the asset's flexion axes (0.55 rad at most) with a little side bend and twist. */
function plausiblePose(r: Rng, side: HandSide): number[] {
  const pose = new Array<number>(48).fill(0);
  for (let j = 1; j < 16; j++) {
    const a = flexAxis(side, j);
    const flex = uni(r, -0.1, 0.45);
    for (let c = 0; c < 3; c++) pose[j * 3 + c] = flex * a[c] + uni(r, -0.08, 0.08);
  }
  return pose;
}

/** A uniformly random rotation (row-major 3x3) from a random unit quaternion. */
function randomRotation(r: Rng): number[] {
  const q = [gauss(r), gauss(r), gauss(r), gauss(r)];
  const n = Math.hypot(...q);
  const [w, x, y, z] = q.map((v) => v / n);
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** The reference's 21 joints (already MediaPipe's order), scaled, rotated by R and moved by t. */
function world(asset: ManoAsset, pose: ArrayLike<number>, betas: ArrayLike<number>, R: number[], t: number[], scale = 1, space: 'axisAngle' | 'pca' = 'axisAngle'): Float64Array {
  const j = manoForward(asset, betas, pose, [1, 0, 0], { poseSpace: space, flatHandMean: space === 'axisAngle' }).joints3d;
  const out = new Float64Array(63);
  for (let i = 0; i < 21; i++)
    for (let r = 0; r < 3; r++) out[i * 3 + r] = scale * (R[r * 3] * j[i * 3] + R[r * 3 + 1] * j[i * 3 + 1] + R[r * 3 + 2] * j[i * 3 + 2]) + t[r];
  return out;
}
const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Mean and max per-point distance in mm. */
function errMm(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  let sum = 0, max = 0;
  for (let i = 0; i < 21; i++) {
    const e = 1000 * Math.hypot(a[i * 3] - b[i * 3], a[i * 3 + 1] - b[i * 3 + 1], a[i * 3 + 2] - b[i * 3 + 2]);
    sum += e, max = Math.max(max, e);
  }
  return { mean: sum / 21, max };
}

/** The fit's own points, re-made independently by the reference forward from its outputs (both pose forms). */
function replay(asset: ManoAsset, fit: HandFit): { full: Float64Array; pca: Float64Array } {
  const t = Array.from(fit.translation);
  return {
    full: world(asset, fit.pose, fit.betas, I3, t, fit.scale),
    pca: world(asset, fit.posePca, fit.betas, I3, t, fit.scale, 'pca'),
  };
}

interface Trial {
  side: HandSide;
  betaRange: number;
  scale?: number;
  noiseMm?: number;
  opts?: HandFitOptions;
}

/** Random hands through the fit: errors to the (clean) targets, replayed through the reference. */
function trials(n: number, spec: Trial, seed: number) {
  const r = mulberry32(seed);
  const asset = ASSETS[spec.side];
  const rows: { fit: HandFit; clean: { mean: number; max: number }; replay: number }[] = [];
  for (let i = 0; i < n; i++) {
    const pose = plausiblePose(r, spec.side);
    const betas = Array.from({ length: 10 }, () => uni(r, -spec.betaRange, spec.betaRange));
    const t = [uni(r, -0.1, 0.1), uni(r, -0.1, 0.1), uni(r, 0.2, 0.6)];
    const clean = world(asset, pose, betas, randomRotation(r), t, spec.scale ?? 1);
    const noisy = clean.map((x) => x + ((spec.noiseMm ?? 0) / 1000 / Math.sqrt(3)) * gauss(r)); // RMS noiseMm per point
    const fit = fitHand(asset, Float32Array.from(noisy), spec.opts);
    const re = replay(asset, fit);
    rows.push({
      fit, clean: errMm(fit.joints, clean),
      replay: Math.max(errMm(re.full, fit.joints).max, errMm(re.pca, fit.joints).max),
    });
  }
  const mean = rows.reduce((s, x) => s + x.clean.mean, 0) / n;
  const max = Math.max(...rows.map((x) => x.clean.max));
  const replayMax = Math.max(...rows.map((x) => x.replay));
  return { rows, mean, max, replayMax };
}

describe('fitHand: MANO to MediaPipe world landmarks', () => {
  test('rest pose, rotated and moved: identity finger pose, the rotation as the global pose, zero error', () => {
    const r = mulberry32(SEED);
    for (const side of ['left', 'right'] as const) {
      const R = randomRotation(r);
      const target = world(ASSETS[side], new Array(48).fill(0), new Array(10).fill(0), R, [0.05, -0.02, 0.4]);
      const fit = fitHand(ASSETS[side], Float32Array.from(target));
      const fingers = Math.max(...Array.from(fit.pose.subarray(3), Math.abs));
      expect(fingers, tag(`${side}: largest finger axis-angle`)).toBeLessThan(1e-4);
      expect(Math.max(...Array.from(fit.betas, Math.abs)), tag(`${side}: betas`)).toBeLessThan(1e-3);
      expect(fit.errorMm.max, tag(`${side}: max error`)).toBeLessThan(0.01);
      // The global axis-angle is R itself: rotating the rest joints by it reproduces the target.
      const again = world(ASSETS[side], [...fit.pose.subarray(0, 3), ...new Array(45).fill(0)], new Array(10).fill(0), I3, Array.from(fit.translation));
      expect(errMm(again, target).max, tag(`${side}: global rotation replay`)).toBeLessThan(0.01);
      const Rfit = axisAngleToMatrix(Array.from(fit.pose.subarray(0, 3)));
      expect(Math.max(...Rfit.map((x, i) => Math.abs(x - R[i]))), tag(`${side}: global rotation matrix`)).toBeLessThan(1e-5);
      expect(fit.scale, tag('scale without scale fitting')).toBe(1);
    }
  });

  test.each(['left', 'right'] as const)('%s hand, plausible poses, betas 0: mean < 0.01 mm, max < 0.05 mm; outputs replay through the reference', (side) => {
    const res = trials(40, { side, betaRange: 0 }, SEED + 1);
    console.log(`[handFit] ${side}, betas 0: mean ${res.mean.toFixed(5)} mm, max ${res.max.toFixed(5)} mm, replay ${res.replayMax.toExponential(2)} mm`);
    expect(res.mean, tag('mean error')).toBeLessThan(0.01);
    expect(res.max, tag('max error')).toBeLessThan(0.05);
    // pose (full axis-angle) and posePca both drive the reference forward to the fit's own points.
    expect(res.replayMax, tag('replay of pose / posePca')).toBeLessThan(0.01);
    for (const x of res.rows) expect(Math.abs(x.fit.errorMm.max - x.clean.max), tag('reported errorMm')).toBeLessThan(1e-3);
  });

  test('random betas (|beta| <= 1.5), fitted: mean < 0.3 mm, max < 2 mm; betas 0 held fixed fail it', () => {
    const res = trials(40, { side: 'left', betaRange: 1.5 }, SEED + 2);
    console.log(`[handFit] betas +-1.5, fitted: mean ${res.mean.toFixed(4)} mm, max ${res.max.toFixed(4)} mm`);
    expect(res.mean, tag('mean error')).toBeLessThan(0.3);
    expect(res.max, tag('max error')).toBeLessThan(2);
    // Without the shape fit the same hands are clearly off: the shape fit is doing the work.
    const fixed = trials(40, { side: 'left', betaRange: 1.5, opts: { shape: 'none' } }, SEED + 2);
    console.log(`[handFit] betas +-1.5, shape 'none': mean ${fixed.mean.toFixed(3)} mm, max ${fixed.max.toFixed(3)} mm`);
    expect(fixed.mean, tag('shape none mean error')).toBeGreaterThan(1);
  });

  test("scaled hands (0.8-1.25 x): shape 'scale' finds the scale, 'both' scale and betas", () => {
    const r = mulberry32(SEED + 3);
    let worstBoth = 0, worstScale = 0, worstFactor = 0;
    for (let i = 0; i < 10; i++) {
      const scale = uni(r, 0.8, 1.25);
      const both = trials(1, { side: 'right', betaRange: 1, scale, opts: { shape: 'both' } }, SEED + 10 + i);
      const only = trials(1, { side: 'right', betaRange: 0, scale, opts: { shape: 'scale' } }, SEED + 10 + i);
      worstBoth = Math.max(worstBoth, both.max);
      worstScale = Math.max(worstScale, only.max);
      worstFactor = Math.max(worstFactor, Math.abs(only.rows[0].fit.scale - scale));
    }
    console.log(`[handFit] scaled: 'both' max ${worstBoth.toFixed(3)} mm; 'scale' max ${worstScale.toFixed(5)} mm, scale off by ${worstFactor.toExponential(1)}`);
    expect(worstBoth, tag("'both': max error")).toBeLessThan(2);
    expect(worstScale, tag("'scale': max error")).toBeLessThan(0.05);
    expect(worstFactor, tag("'scale': recovered scale")).toBeLessThan(1e-4);
  });

  test('3 mm RMS landmark noise: the fit stays within the noise of the clean hand', () => {
    const res = trials(60, { side: 'left', betaRange: 1, noiseMm: 3 }, SEED + 4);
    const reported = res.rows.reduce((s, x) => s + x.fit.errorMm.mean, 0) / res.rows.length;
    console.log(`[handFit] 3 mm noise: to clean mean ${res.mean.toFixed(3)} mm, max ${res.max.toFixed(3)} mm; to noisy targets mean ${reported.toFixed(3)} mm`);
    expect(res.mean, tag('mean error to the clean hand')).toBeLessThan(3);
    expect(res.max, tag('max error to the clean hand (no runaway betas)')).toBeLessThan(12);
    expect(reported, tag('mean error to the noisy targets')).toBeLessThan(3.5);
  });

  test('skinned tips (blended weights, pose blend shapes, as in real MANO): the tip refinement hits them', () => {
    // Our asset's tips follow their last joint rigidly; give them MANO-like skinning to exercise the refinement:
    // a quarter of the weight on the joint before, and a small pose blend shape from the last joint's rotation.
    const a = ASSETS.left;
    const skinnedAsset = (blend: number) => {
      const weights = Float32Array.from(a.weights), posedirs = Float32Array.from(a.posedirs);
      const r = mulberry32(SEED + 7);
      [15, 3, 6, 12, 9].forEach((leaf, f) => {
        const v = a.tipIndices[f];
        weights.fill(0, v * 16, v * 16 + 16);
        weights[v * 16 + leaf] = 0.75, weights[v * 16 + leaf - 1] = 0.25;
        for (let c = 0; c < 3; c++) for (let e = 0; e < 9; e++) posedirs[v * 405 + c * 135 + (leaf - 1) * 9 + e] = blend * uni(r, -1, 1);
      });
      return manoAsset({ ...a, weights, posedirs });
    };
    // A joint rotation cannot change a tip's distance from its joint (LBS shortens blended tips), so the
    // refinement must aim: the tip error left across the bone (fitted last joint -> target tip) -> 0.
    const worst = (asset: ManoAsset, tipIterations?: number) => {
      const r = mulberry32(SEED + 8);
      let max = 0, across = 0;
      for (let i = 0; i < 20; i++) {
        const target = world(asset, plausiblePose(r, 'left'), new Array(10).fill(0), randomRotation(r), [0, 0, 0.4]);
        const j = fitHand(asset, Float32Array.from(target), { tipIterations }).joints;
        max = Math.max(max, errMm(j, target).max);
        for (const tip of [4, 8, 12, 16, 20]) {
          const u = [0, 1, 2].map((c) => target[tip * 3 + c] - j[(tip - 1) * 3 + c]), e = [0, 1, 2].map((c) => j[tip * 3 + c] - target[tip * 3 + c]);
          const n = Math.hypot(...u), along = (e[0] * u[0] + e[1] * u[1] + e[2] * u[2]) / n;
          across = Math.max(across, 1000 * Math.sqrt(Math.max(0, e[0] ** 2 + e[1] ** 2 + e[2] ** 2 - along * along)));
        }
      }
      return { max, across };
    };
    for (const [label, asset] of [['blended', skinnedAsset(0)], ['blended + pose blend', skinnedAsset(0.002)]] as const) {
      const [off, on] = [worst(asset, 0), worst(asset)];
      console.log(`[handFit] skinned tips, ${label}: max ${off.max.toFixed(3)} -> ${on.max.toFixed(3)} mm, across the bone ${off.across.toFixed(3)} -> ${on.across.toFixed(5)} mm (0 -> 5 rounds, the default)`);
      expect(off.across, tag(`${label}: across, no refinement`)).toBeGreaterThan(0.5);
      expect(on.across, tag(`${label}: across, refined`)).toBeLessThan(0.01);
      expect(on.max, tag(`${label}: max, refined`)).toBeLessThan(off.max);
    }
  });

  test('a wrong joint order is caught: swapping index and pinky costs centimetres', () => {
    const target = world(ASSETS.left, plausiblePose(mulberry32(SEED + 5), 'left'), new Array(10).fill(0), I3, [0, 0, 0.4]);
    const swapped = Float64Array.from(target);
    for (let k = 0; k < 4; k++) for (let c = 0; c < 3; c++) [swapped[(5 + k) * 3 + c], swapped[(17 + k) * 3 + c]] = [target[(17 + k) * 3 + c], target[(5 + k) * 3 + c]];
    expect(fitHand(ASSETS.left, Float32Array.from(swapped)).errorMm.mean, tag('swapped mean error')).toBeGreaterThan(5);
  });

  test('bad input throws', () => {
    expect(() => fitHand(ASSETS.left, new Float32Array(60))).toThrow(/63 landmark values/);
    const nan = new Float32Array(63);
    nan[7] = NaN;
    expect(() => fitHand(ASSETS.left, nan)).toThrow(/landmark value 7/);
    expect(() => fitHand(ASSETS.left, new Float32Array(63), { betas: [1, 2] })).toThrow(/10 values/);
  });

  test('under 2 ms per hand (median of 50 fits)', () => {
    const r = mulberry32(SEED + 6);
    const targets = Array.from({ length: 50 }, () =>
      Float32Array.from(world(ASSETS.left, plausiblePose(r, 'left'), Array.from({ length: 10 }, () => uni(r, -1, 1)), randomRotation(r), [0, 0, 0.4])));
    for (const t of targets) fitHand(ASSETS.left, t); // warm up the JIT (and the per-asset cache)
    const ms = targets.map((t) => {
      const t0 = performance.now();
      fitHand(ASSETS.left, t);
      return performance.now() - t0;
    }).sort((a, b) => a - b);
    console.log(`[handFit] median ${ms[25].toFixed(4)} ms, max ${ms[49].toFixed(4)} ms per hand`);
    expect(ms[25]).toBeLessThan(2);
  });
});
