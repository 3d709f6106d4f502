/**
 * Fits the MANO hand model to MediaPipe's 21 world landmarks (metres, camera axes), on the CPU:
 * shape (betas and/or a global scale) from the palm and bone lengths, the root rotation by Horn's
 * quaternion method (Kabsch without the reflection case), then per-bone analytic IK down the
 * tree (minimal-twist swing of each bone onto its target), then a fingertip refinement (tips are
 * skinned mesh vertices, not chain joints). About 0.1-0.4 ms per hand on one CPU core.
 *
 * Joint mapping (MediaPipe index -> MANO point; MANO points 16..20 are the fingertip vertices
 * asset.tipIndices, thumb, index, middle, ring, little). It is MANO_JOINT_ORDER:
 *
 * | MediaPipe            | MANO | | MediaPipe         | MANO | | MediaPipe          | MANO |
 * |----------------------|------|-|-------------------|------|-|--------------------|------|
 * |  0 wrist             |  0   | |  7 index DIP      |  3   | | 14 ring PIP        | 11   |
 * |  1 thumb CMC         | 13   | |  8 index tip      | 17   | | 15 ring DIP        | 12   |
 * |  2 thumb MCP         | 14   | |  9 middle MCP     |  4   | | 16 ring tip        | 19   |
 * |  3 thumb IP          | 15   | | 10 middle PIP     |  5   | | 17 pinky MCP       |  7   |
 * |  4 thumb tip         | 16   | | 11 middle DIP     |  6   | | 18 pinky PIP       |  8   |
 * |  5 index MCP         |  1   | | 12 middle tip     | 18   | | 19 pinky DIP       |  9   |
 * |  6 index PIP         |  2   | | 13 ring MCP       | 10   | | 20 pinky tip       | 20   |
 *
 * The asset's side must match the landmarks' hand (a rotation cannot turn a left hand into a
 * right one): use assets/hand-right.safetensors for right hands.
 */
import { ShapeError } from '../engine/index.ts';
import { MANO_JOINT_ORDER, MANO_PARENTS, MANO_PCA, MANO_SHAPE, type ManoAsset } from './manoAsset.ts';

// Module-local copies: bundlers turn imported bindings into getters, far too slow in the inner loops.
const NB = MANO_SHAPE, NP = MANO_PCA;
const PARENTS: readonly number[] = [...MANO_PARENTS];
const ORDER: readonly number[] = [...MANO_JOINT_ORDER];

type Q = [number, number, number, number]; // quaternion (w, x, y, z)
type V3 = [number, number, number];

/** Parent of each of MANO's 21 points: the 16-joint tree, then each tip's last joint. */
const PARENT21: readonly number[] = [...PARENTS, 15, 3, 6, 12, 9];
/** The one child point of each non-root joint (the bone it rotates). */
const CHILD: readonly number[] = PARENTS.map((_, k) => (k === 0 ? -1 : PARENT21.indexOf(k)));
/** Wrist and its five children: the rigid palm that fixes the root rotation. */
const PALM: readonly number[] = [0, 1, 4, 7, 10, 13];
/** The 15 finger bones (child points whose parent is not the wrist): their lengths fix the rest of the shape. */
const BONES: readonly number[] = PARENT21.map((p, i) => (p > 0 ? i : -1)).filter((i) => i > 0);

export type HandFitShape = 'betas' | 'scale' | 'both' | 'none';

export interface HandFitOptions {
  /** What adapts to the landmarks' bone lengths (default 'betas'; 'none' keeps `betas` and scale 1). */
  shape?: HandFitShape;
  /** Starting (or, with shape 'none' / 'scale', fixed) betas; default zeros. */
  betas?: ArrayLike<number>;
  /**
   * Ridge weight on betas, m^2 per unit beta^2 (default 1e-6): keeps shape directions the joints
   * cannot see at 0 and stops noise from inflating betas. Lower it for clean, synthetic targets.
   */
  shapeRegularisation?: number;
  /** Gauss-Newton rounds of the shape fit (default 3) and fingertip refinement rounds (default 5, stopping early once on target). */
  shapeIterations?: number;
  tipIterations?: number;
}

export interface HandFit {
  /**
   * 48 axis-angles: global (about the wrist joint) + 15 joint rotations, the FULL pose. Feed it to
   * the MANO layer with poseSpace 'axisAngle' and flatHandMean true (or subtract hands_mean for
   * flatHandMean false), or to a CPU forward the same way.
   */
  pose: Float32Array;
  /** The same pose for the default PCA layer (poseSpace 'pca', hands_mean added): global 3 + 45 coefficients. */
  posePca: Float32Array;
  betas: Float32Array;
  /** World point = scale * MANO(pose, betas) point + translation. */
  scale: number;
  translation: Float32Array;
  /** The fitted model's 21 points, world, MediaPipe order (21 x 3). */
  joints: Float32Array;
  /** Mean and max distance between the fitted 21 points and the targets, millimetres. */
  errorMm: { mean: number; max: number };
}

/** Per-asset constants in float64: the 21 rest points and their shape directions, tip skinning rows, PCA inverse. */
interface FitModel {
  rest: Float64Array; // 21 x 3
  dirs: Float64Array; // 21 x 3 x 10
  tipPosedirs: Float64Array; // 5 x 3 x 135
  tipWeights: Float64Array; // 5 x 16
  pcaInverse: Float64Array; // 45 x 45, inverse of hands_components^T
  mean: Float64Array; // 45
  palmDirs: Float64Array; // 6 x 3 x 10: shape directions of the palm points minus their mean
  boneDirs: Float64Array; // 15 x 3 x 10: child minus parent shape directions of each finger bone
}
const models = new WeakMap<ManoAsset, FitModel>();

function fitModel(a: ManoAsset): FitModel {
  const hit = models.get(a);
  if (hit) return hit;
  if (PARENTS.some((p, k) => a.parents[k] !== p)) throw new ShapeError(`fitHand: the asset's parents [${a.parents}] are not MANO's tree [${PARENTS}]`);
  const V = a.numVertices, S = NB;
  const rest = new Float64Array(63), dirs = new Float64Array(63 * S);
  // Joints depend on betas only: fold J_regressor into template and shape directions once.
  for (let j = 0; j < 16; j++)
    for (let v = 0; v < V; v++) {
      const r = a.jRegressor[j * V + v];
      if (r === 0) continue;
      for (let c = 0; c < 3; c++) {
        rest[j * 3 + c] += r * a.vTemplate[v * 3 + c];
        for (let k = 0; k < S; k++) dirs[(j * 3 + c) * S + k] += r * a.shapedirs[(v * 3 + c) * S + k];
      }
    }
  const tipPosedirs = new Float64Array(5 * 3 * 135), tipWeights = new Float64Array(5 * 16);
  for (let f = 0; f < 5; f++) {
    const v = a.tipIndices[f];
    for (let c = 0; c < 3; c++) {
      rest[(16 + f) * 3 + c] = a.vTemplate[v * 3 + c];
      for (let k = 0; k < S; k++) dirs[((16 + f) * 3 + c) * S + k] = a.shapedirs[(v * 3 + c) * S + k];
      for (let p = 0; p < 135; p++) tipPosedirs[(f * 3 + c) * 135 + p] = a.posedirs[(v * 3 + c) * 135 + p];
    }
    for (let k = 0; k < 16; k++) tipWeights[f * 16 + k] = a.weights[v * 16 + k];
  }
  // full finger pose = mean + C^T c (C's rows are the components), so c = (C^T)^-1 (pose - mean).
  const ct = new Float64Array(NP * NP);
  for (let k = 0; k < NP; k++) for (let t = 0; t < NP; t++) ct[t * NP + k] = a.handsComponents[k * NP + t];
  const palmDirs = new Float64Array(PALM.length * 3 * NB), boneDirs = new Float64Array(BONES.length * 3 * NB);
  for (let c = 0; c < 3; c++)
    for (let k = 0; k < NB; k++) {
      let mean = 0;
      for (const j of PALM) mean += dirs[(j * 3 + c) * NB + k] / PALM.length;
      PALM.forEach((j, pi) => (palmDirs[(pi * 3 + c) * NB + k] = dirs[(j * 3 + c) * NB + k] - mean));
      BONES.forEach((i, bi) => (boneDirs[(bi * 3 + c) * NB + k] = dirs[(i * 3 + c) * NB + k] - dirs[(PARENT21[i] * 3 + c) * NB + k]));
    }
  const m: FitModel = { rest, dirs, tipPosedirs, tipWeights, pcaInverse: invert(ct, NP), mean: Float64Array.from(a.handsMean), palmDirs, boneDirs };
  models.set(a, m);
  return m;
}

/** Gauss-Jordan inverse with partial pivoting; throws on a singular matrix. */
function invert(m: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    if (Math.abs(a[p * n + c]) < 1e-12) throw new ShapeError('fitHand: hands_components is singular, no PCA coefficients exist');
    for (let k = 0; k < n; k++) {
      [a[c * n + k], a[p * n + k]] = [a[p * n + k], a[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const d = 1 / a[c * n + c];
    for (let k = 0; k < n; k++) (a[c * n + k] *= d), (inv[c * n + k] *= d);
    for (let r = 0; r < n; r++) {
      const f = a[r * n + c];
      if (r === c || f === 0) continue;
      for (let k = 0; k < n; k++) (a[r * n + k] -= f * a[c * n + k]), (inv[r * n + k] -= f * inv[c * n + k]);
    }
  }
  return inv;
}

/** Solves the symmetric positive (semi)definite n x n system A x = b in place (Cholesky with a tiny floor). */
function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= A[j * n + k] ** 2;
    d = Math.sqrt(Math.max(d, 1e-18));
    A[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / d;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) x[i] -= A[i * n + k] * x[k];
    x[i] /= A[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) x[i] -= A[k * n + i] * x[k];
    x[i] /= A[i * n + i];
  }
  return x;
}

// ---- quaternions ------------------------------------------------------------------------------
const qmul = (a: Q, b: Q): Q => [
  a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
  a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
  a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
  a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
];
const conj = (q: Q): Q => [q[0], -q[1], -q[2], -q[3]];
function rotate(q: Q, v: V3): V3 {
  // v + 2w (u x v) + 2 u x (u x v), u = vector part
  const [w, x, y, z] = q;
  const tx = 2 * (y * v[2] - z * v[1]), ty = 2 * (z * v[0] - x * v[2]), tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + y * tz - z * ty, v[1] + w * ty + z * tx - x * tz, v[2] + w * tz + x * ty - y * tx];
}
/** Row-major 3x3 of a unit quaternion (the same formula as MANO's). */
function matrix(q: Q): number[] {
  const [w, x, y, z] = q;
  return [
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (w * y + x * z),
    2 * (w * z + x * y), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (w * x + y * z), w * w - x * x - y * y + z * z,
  ];
}
/** The shortest rotation taking direction a onto direction b (no twist about either). */
function swing(a: V3, b: V3): Q {
  const na = Math.hypot(...a), nb = Math.hypot(...b);
  if (na < 1e-12 || nb < 1e-12) return [1, 0, 0, 0];
  const u: V3 = [a[0] / na, a[1] / na, a[2] / na], v: V3 = [b[0] / nb, b[1] / nb, b[2] / nb];
  const w = 1 + u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  if (w < 1e-10) {
    // Opposite directions: half a turn about any axis perpendicular to a.
    const p: V3 = Math.abs(u[0]) < 0.9 ? [0, u[2], -u[1]] : [-u[2], 0, u[0]];
    const n = Math.hypot(...p);
    return [0, p[0] / n, p[1] / n, p[2] / n];
  }
  const q: Q = [w, u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}
/** q^f: the same axis, f times the angle. */
function power(q: Q, f: number): Q {
  const vn = Math.hypot(q[1], q[2], q[3]);
  if (vn < 1e-15) return q;
  const half = f * Math.atan2(vn, q[0]), k = Math.sin(half) / vn;
  return [Math.cos(half), k * q[1], k * q[2], k * q[3]];
}
function axisAngle(q: Q, out: Float32Array, at: number): void {
  const s = q[0] < 0 ? -1 : 1; // the shorter of the two equal rotations
  const vn = Math.hypot(q[1], q[2], q[3]);
  const f = vn < 1e-12 ? 2 : (2 * Math.atan2(vn, s * q[0])) / vn;
  for (let c = 0; c < 3; c++) out[at + c] = s * f * q[1 + c];
}

/**
 * Horn's closed form: the rotation q maximising sum b_i . R a_i for centred point pairs, the top
 * eigenvector of a symmetric 4x4 (Jacobi sweeps: robust for repeated eigenvalues, no reflections).
 */
function horn(a: readonly V3[], b: readonly V3[]): Q {
  const S = new Array<number>(9).fill(0);
  for (let i = 0; i < a.length; i++) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[r * 3 + c] += a[i][r] * b[i][c];
  const [xx, xy, xz, yx, yy, yz, zx, zy, zz] = S;
  const N = [
    xx + yy + zz, yz - zy, zx - xz, xy - yx,
    yz - zy, xx - yy - zz, xy + yx, zx + xz,
    zx - xz, xy + yx, -xx + yy - zz, yz + zy,
    xy - yx, zx + xz, yz + zy, -xx - yy + zz,
  ];
  const E = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; // eigenvectors in columns
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let r = p + 1; r < 4; r++) off += N[p * 4 + r] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < 3; p++)
      for (let r = p + 1; r < 4; r++) {
        const apr = N[p * 4 + r];
        if (Math.abs(apr) < 1e-300) continue;
        const th = (N[r * 4 + r] - N[p * 4 + p]) / (2 * apr);
        const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < 4; k++) {
          const kp = N[k * 4 + p], kr = N[k * 4 + r];
          N[k * 4 + p] = c * kp - s * kr, N[k * 4 + r] = s * kp + c * kr;
        }
        for (let k = 0; k < 4; k++) {
          const pk = N[p * 4 + k], rk = N[r * 4 + k];
          N[p * 4 + k] = c * pk - s * rk, N[r * 4 + k] = s * pk + c * rk;
        }
        for (let k = 0; k < 4; k++) {
          const kp = E[k * 4 + p], kr = E[k * 4 + r];
          E[k * 4 + p] = c * kp - s * kr, E[k * 4 + r] = s * kp + c * kr;
        }
      }
  }
  let best = 0;
  for (let k = 1; k < 4; k++) if (N[k * 5] > N[best * 5]) best = k;
  const q: Q = [E[best], E[4 + best], E[8 + best], E[12 + best]];
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

// ---- the fit ----------------------------------------------------------------------------------
const pt = (a: ArrayLike<number>, i: number): V3 => [a[i * 3], a[i * 3 + 1], a[i * 3 + 2]];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** The 21 rest points for these betas. */
function restPoints(m: FitModel, beta: Float64Array): Float64Array {
  const p = Float64Array.from(m.rest);
  for (let i = 0; i < 63; i++) for (let k = 0; k < NB; k++) p[i] += m.dirs[i * NB + k] * beta[k];
  return p;
}

function centred(points: ArrayLike<number>, idx: readonly number[]): V3[] {
  const c: V3 = [0, 0, 0];
  for (const i of idx) for (let d = 0; d < 3; d++) c[d] += points[i * 3 + d] / idx.length;
  return idx.map((i) => sub(pt(points, i), c));
}

/**
 * Gauss-Newton on betas (ridge) and/or scale: the palm's shape in the root frame (root rotation
 * re-fitted each round) and every finger bone's length. Updates beta in place, returns the scale.
 */
function fitShape(m: FitModel, T: Float64Array, beta: Float64Array, mode: HandFitShape, lambda: number, rounds: number): number {
  const useBeta = mode === 'betas' || mode === 'both', useScale = mode === 'scale' || mode === 'both';
  const nb = useBeta ? NB : 0, n = nb + (useScale ? 1 : 0);
  let s = 1;
  const tPalm = centred(T, PALM);
  const A = new Float64Array(n * n), g = new Float64Array(n), row = new Float64Array(n);
  const accumulate = (res: number) => {
    for (let i = 0; i < n; i++) {
      g[i] -= row[i] * res;
      for (let j = 0; j <= i; j++) A[i * n + j] += row[i] * row[j];
    }
  };
  for (let round = 0; round < rounds; round++) {
    A.fill(0), g.fill(0);
    const P = restPoints(m, beta);
    const mPalm = centred(P, PALM);
    const qi = conj(horn(mPalm, tPalm));
    // Palm: s (P_i - mean P) against the targets rotated into the model frame.
    for (let pi = 0; pi < PALM.length; pi++) {
      const tt = rotate(qi, tPalm[pi]);
      for (let c = 0; c < 3; c++) {
        for (let k = 0; k < nb; k++) row[k] = s * m.palmDirs[(pi * 3 + c) * NB + k];
        if (useScale) row[n - 1] = mPalm[pi][c];
        accumulate(s * mPalm[pi][c] - tt[c]);
      }
    }
    // Finger bones (the palm's own offsets are covered above): lengths, linearised along the bone.
    for (let bi = 0; bi < BONES.length; bi++) {
      const i = BONES[bi], p = PARENT21[i];
      const b = sub(pt(P, i), pt(P, p)), L = Math.hypot(b[0], b[1], b[2]);
      for (let k = 0; k < nb; k++) {
        const at = bi * 3 * NB + k;
        row[k] = (s / L) * (b[0] * m.boneDirs[at] + b[1] * m.boneDirs[at + NB] + b[2] * m.boneDirs[at + 2 * NB]);
      }
      if (useScale) row[n - 1] = L;
      accumulate(s * L - dist(pt(T, i), pt(T, p)));
    }
    for (let k = 0; k < nb; k++) (A[k * n + k] += lambda), (g[k] -= lambda * beta[k]);
    const step = solveSpd(A, g, n);
    for (let k = 0; k < nb; k++) beta[k] += step[k];
    if (useScale) s = Math.max(0.1, s + step[n - 1]);
  }
  return s;
}

/** Fits MANO to 21 MediaPipe world landmarks (63 values, metres). See HandFit for the outputs. */
export function fitHand(asset: ManoAsset, world21: ArrayLike<number>, o: HandFitOptions = {}): HandFit {
  if (world21.length !== 63) throw new ShapeError(`fitHand: expected 21 x 3 = 63 landmark values, got ${world21.length}`);
  for (let i = 0; i < 63; i++) if (!Number.isFinite(world21[i])) throw new ShapeError(`fitHand: landmark value ${i} is ${world21[i]}`);
  const mode = o.shape ?? 'betas';
  if (!['betas', 'scale', 'both', 'none'].includes(mode)) throw new ShapeError(`fitHand: shape must be 'betas', 'scale', 'both' or 'none', got ${JSON.stringify(mode)}`);
  if (o.betas && o.betas.length !== NB) throw new ShapeError(`fitHand: betas must have ${NB} values, got ${o.betas.length}`);
  const m = fitModel(asset);
  const T = new Float64Array(63); // targets in MANO's point order
  ORDER.forEach((src, i) => T.set([world21[i * 3], world21[i * 3 + 1], world21[i * 3 + 2]], src * 3));

  const beta = new Float64Array(NB);
  if (o.betas) beta.set(Array.from(o.betas));
  const s = mode === 'none' ? 1 : fitShape(m, T, beta, mode, o.shapeRegularisation ?? 1e-6, o.shapeIterations ?? 3);
  const P = restPoints(m, beta);

  // Root: world = s (R (p - J0) + J0) + t, R from the palm, t matching the palm centroids.
  const q: Q[] = new Array<Q>(16);
  q[0] = horn(centred(P, PALM).map((v) => [s * v[0], s * v[1], s * v[2]]), centred(T, PALM));
  const cP: V3 = [0, 0, 0], cT: V3 = [0, 0, 0];
  for (const i of PALM) for (let d = 0; d < 3; d++) (cP[d] += P[i * 3 + d] / PALM.length), (cT[d] += T[i * 3 + d] / PALM.length);
  const J0 = pt(P, 0), r0 = rotate(q[0], sub(cP, J0));
  const t: V3 = [0, 1, 2].map((d) => cT[d] - s * (r0[d] + J0[d])) as V3;
  const Tm: V3[] = Array.from({ length: 21 }, (_, i) => [0, 1, 2].map((d) => (T[i * 3 + d] - t[d]) / s) as V3); // model-space targets

  // Chain: each joint's local rotation swings its rest bone onto (target child - fitted joint).
  const X: V3[] = new Array<V3>(21);
  X[0] = J0;
  const local: Q[] = new Array<Q>(16);
  local[0] = q[0];
  for (let k = 1; k < 16; k++) {
    const p = PARENTS[k], c = CHILD[k];
    const o3 = rotate(q[p], sub(pt(P, k), pt(P, p)));
    X[k] = [X[p][0] + o3[0], X[p][1] + o3[1], X[p][2] + o3[2]];
    local[k] = swing(sub(pt(P, c), pt(P, k)), rotate(conj(q[p]), sub(Tm[c], X[k])));
    q[k] = qmul(q[p], local[k]);
  }
  // Tips: skinned (blend weights, pose blend shapes), so re-aim the last joint until it hits the target.
  let tp = tipPositions(m, P, X, q, local);
  for (let it = 0; it < (o.tipIterations ?? 5); it++) {
    let worst = 0;
    for (let f = 0; f < 5; f++) {
      const k = PARENT21[16 + f], p = PARENTS[k];
      // The tip follows this joint only by its skinning weight w: turn 1/w as far (Newton step).
      const d = power(swing(sub(tp[f], X[k]), sub(Tm[16 + f], X[k])), 1 / Math.max(0.25, m.tipWeights[f * 16 + k]));
      worst = Math.max(worst, 1 - Math.abs(d[0]));
      q[k] = qmul(d, q[k]);
      local[k] = qmul(conj(q[p]), q[k]);
    }
    if (worst < 1e-14) break; // already on target (rigid tips): skip the re-skinning
    tp = tipPositions(m, P, X, q, local);
  }
  tp.forEach((v, f) => (X[16 + f] = v));

  const pose = new Float32Array(48);
  local.forEach((lq, k) => axisAngle(lq, pose, k * 3));
  const posePca = new Float32Array(48);
  posePca.set(pose.subarray(0, 3));
  for (let k = 0; k < NP; k++) {
    let c = 0;
    for (let j = 0; j < NP; j++) c += m.pcaInverse[k * NP + j] * (pose[3 + j] - m.mean[j]);
    posePca[3 + k] = c;
  }
  const joints = new Float32Array(63);
  let sum = 0, max = 0;
  ORDER.forEach((src, i) => {
    const w: V3 = [0, 1, 2].map((d) => s * X[src][d] + t[d]) as V3;
    joints.set(w, i * 3);
    const e = dist(w, pt(T, src)) * 1000;
    sum += e, max = Math.max(max, e);
  });
  return { pose, posePca, betas: Float32Array.from(beta), scale: s, translation: Float32Array.from(t), joints, errorMm: { mean: sum / 21, max } };
}

/** Model-space fingertips by linear blend skinning of the 5 tip vertices, with pose blend shapes. */
function tipPositions(m: FitModel, P: Float64Array, X: readonly V3[], q: readonly Q[], local: readonly Q[]): V3[] {
  const feature = new Float64Array(135);
  for (let k = 1; k < 16; k++) matrix(local[k]).forEach((e, i) => (feature[(k - 1) * 9 + i] = e - (i % 4 === 0 ? 1 : 0)));
  const out: V3[] = [];
  for (let f = 0; f < 5; f++) {
    const v: V3 = pt(P, 16 + f);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 135; p++) v[c] += m.tipPosedirs[(f * 3 + c) * 135 + p] * feature[p];
    const acc: V3 = [0, 0, 0];
    for (let k = 0; k < 16; k++) {
      const w = m.tipWeights[f * 16 + k];
      if (w === 0) continue;
      const r = rotate(q[k], sub(v, pt(P, k))); // A_k v = G_k (v - J_k)
      for (let d = 0; d < 3; d++) acc[d] += w * (r[d] + X[k][d]);
    }
    out.push(acc);
  }
  return out;
}
