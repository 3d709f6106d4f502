// Float64 reference of the MANO forward pass, written from docs/mano-layer.md step by step
// (full vertex J_regressor product, quaternion rotations, serial chain in joint order), on purpose
// not shaped like the WGSL kernels. Only a type import from src (erased), so it bundles anywhere.
import type { ManoAsset } from '../../src/model/manoAsset.ts';

const REORDER = [0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20];

export interface ManoRefOptions {
  /** 'pca' (default) or 'axisAngle' (the 45 finger values are axis-angles). */
  poseSpace?: 'pca' | 'axisAngle';
  flatHandMean?: boolean;
}

export interface ManoRefResult {
  /** V x 3 */
  vertices: Float64Array;
  /** 21 x 3, reordered */
  joints3d: Float64Array;
  /** 21 x 2 */
  joints2d: Float64Array;
  /** 16 x 3 x 3 rotations, 135 pose feature, 16 x 3 shaped joints (for debugging). */
  rotations: Float64Array;
  feature: Float64Array;
  joints: Float64Array;
}

/** Step 2: axis-angle -> quaternion -> 3x3 (row-major), exactly as manopth. */
export function axisAngleToMatrix(a: readonly number[]): number[] {
  const angle = Math.hypot(a[0] + 1e-8, a[1] + 1e-8, a[2] + 1e-8);
  const n = a.map((x) => x / angle);
  let q = [Math.cos(angle / 2), Math.sin(angle / 2) * n[0], Math.sin(angle / 2) * n[1], Math.sin(angle / 2) * n[2]];
  const qn = Math.hypot(...q);
  q = q.map((x) => x / qn);
  const [w, x, y, z] = q;
  return [
    w * w + x * x - y * y - z * z, 2 * x * y - 2 * w * z, 2 * w * y + 2 * x * z,
    2 * w * z + 2 * x * y, w * w - x * x + y * y - z * z, 2 * y * z - 2 * w * x,
    2 * x * z - 2 * w * y, 2 * w * x + 2 * y * z, w * w - x * x - y * y + z * z,
  ];
}

type M34 = number[]; // 3x4 row-major [R | t]

function mul34(a: M34, b: M34): M34 {
  const out = new Array<number>(12).fill(0);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 4; c++) {
      let s = c === 3 ? a[r * 4 + 3] : 0;
      for (let m = 0; m < 3; m++) s += a[r * 4 + m] * b[m * 4 + c];
      out[r * 4 + c] = s;
    }
  return out;
}

/** One hand: beta (10), pose (48: global 3 + 45), camera (s, tx, ty). */
export function manoForward(asset: ManoAsset, beta: ArrayLike<number>, pose: ArrayLike<number>, camera: ArrayLike<number>, o: ManoRefOptions = {}): ManoRefResult {
  const V = asset.numVertices;
  // 1. full pose
  const full = new Float64Array(48);
  for (let i = 0; i < 3; i++) full[i] = pose[i];
  for (let t = 0; t < 45; t++) {
    let v = o.flatHandMean ? 0 : asset.handsMean[t];
    if ((o.poseSpace ?? 'pca') === 'pca') for (let k = 0; k < 45; k++) v += pose[3 + k] * asset.handsComponents[k * 45 + t];
    else v += pose[3 + t];
    full[3 + t] = v;
  }
  // 2. rotations
  const rotations = new Float64Array(16 * 9);
  for (let k = 0; k < 16; k++) rotations.set(axisAngleToMatrix([full[k * 3], full[k * 3 + 1], full[k * 3 + 2]]), k * 9);
  // 3. shape
  const vShaped = new Float64Array(V * 3);
  for (let i = 0; i < V * 3; i++) {
    let s = asset.vTemplate[i];
    for (let k = 0; k < 10; k++) s += asset.shapedirs[i * 10 + k] * beta[k];
    vShaped[i] = s;
  }
  const J = new Float64Array(16 * 3);
  for (let j = 0; j < 16; j++)
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += asset.jRegressor[j * V + v] * vShaped[v * 3 + c];
      J[j * 3 + c] = s;
    }
  // 4. pose feature and blend
  const feature = new Float64Array(135);
  for (let k = 1; k < 16; k++)
    for (let e = 0; e < 9; e++) feature[(k - 1) * 9 + e] = rotations[k * 9 + e] - (e % 4 === 0 ? 1 : 0);
  const vPosed = new Float64Array(V * 3);
  for (let i = 0; i < V * 3; i++) {
    let s = vShaped[i];
    for (let p = 0; p < 135; p++) s += asset.posedirs[i * 135 + p] * feature[p];
    vPosed[i] = s;
  }
  // 5. chain
  const local = (k: number, tx: number, ty: number, tz: number): M34 => {
    const R = rotations.subarray(k * 9, k * 9 + 9);
    return [R[0], R[1], R[2], tx, R[3], R[4], R[5], ty, R[6], R[7], R[8], tz];
  };
  const G: M34[] = [];
  for (let k = 0; k < 16; k++) {
    const p = asset.parents[k];
    if (p < 0) G[k] = local(k, J[k * 3], J[k * 3 + 1], J[k * 3 + 2]);
    else G[k] = mul34(G[p], local(k, J[k * 3] - J[p * 3], J[k * 3 + 1] - J[p * 3 + 1], J[k * 3 + 2] - J[p * 3 + 2]));
  }
  // 6. remove the rest pose
  const A: M34[] = G.map((g, k) => {
    const a = [...g];
    for (let r = 0; r < 3; r++) a[r * 4 + 3] -= g[r * 4] * J[k * 3] + g[r * 4 + 1] * J[k * 3 + 1] + g[r * 4 + 2] * J[k * 3 + 2];
    return a;
  });
  // 7. skin
  const vertices = new Float64Array(V * 3);
  for (let v = 0; v < V; v++) {
    const T = new Array<number>(12).fill(0);
    for (let k = 0; k < 16; k++) for (let e = 0; e < 12; e++) T[e] += asset.weights[v * 16 + k] * A[k][e];
    for (let r = 0; r < 3; r++)
      vertices[v * 3 + r] = T[r * 4] * vPosed[v * 3] + T[r * 4 + 1] * vPosed[v * 3 + 1] + T[r * 4 + 2] * vPosed[v * 3 + 2] + T[r * 4 + 3];
  }
  // 8. joints: 16 translations + 5 tips, reordered
  const raw: number[][] = G.map((g) => [g[3], g[7], g[11]]);
  for (const tip of asset.tipIndices) raw.push([vertices[tip * 3], vertices[tip * 3 + 1], vertices[tip * 3 + 2]]);
  const joints3d = new Float64Array(21 * 3);
  const joints2d = new Float64Array(21 * 2);
  REORDER.forEach((src, i) => {
    joints3d.set(raw[src], i * 3);
    // 9. weak perspective
    joints2d[i * 2] = (camera[0] * (raw[src][0] + camera[1]) + 1) / 2;
    joints2d[i * 2 + 1] = (camera[0] * (raw[src][1] + camera[2]) + 1) / 2;
  });
  return { vertices, joints3d, joints2d, rotations, feature, joints: J };
}
