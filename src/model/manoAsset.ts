/**
 * A MANO hand asset in memory (docs/mano-layer.md, "Data"): plain typed arrays, one side.
 *
 * No file readers here (pkl / npz converters build one of these), and never real MANO data in
 * the repository: tests use `randomManoAsset`, a seeded licence-free asset of the same structure.
 */
import { ShapeError } from '../engine/index.ts';
import { mulberry32 as rng32 } from '../util/rng.ts';

export type HandSide = 'left' | 'right';

/** Number of shape coefficients (beta), kinematic joints, pose-feature entries, PCA size. */
export const MANO_SHAPE = 10;
export const MANO_JOINTS = 16;
export const MANO_POSE_FEATURES = 135;
export const MANO_PCA = 45;
/** The kinematic tree of every MANO asset: parent of joint k (-1 for the wrist). */
export const MANO_PARENTS: readonly number[] = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14];
/** Fingertip vertices of the real 778-vertex meshes (thumb, index, middle, ring, little). */
export const MANO_TIP_INDICES: Readonly<Record<HandSide, readonly number[]>> = {
  left: [745, 317, 445, 556, 673],
  right: [745, 317, 444, 556, 673],
};
/** The 16 kinematic joints + 5 tips (16..20) -> wrist, thumb 1-4, index, middle, ring, little. */
export const MANO_JOINT_ORDER: readonly number[] = [0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20];

export interface ManoAsset {
  readonly side: HandSide;
  readonly numVertices: number;
  /** V x 3, metres. */
  readonly vTemplate: Float32Array;
  /** V x 3 x 10, layout [v][xyz][k]. */
  readonly shapedirs: Float32Array;
  /** V x 3 x 135, layout [v][xyz][p]. */
  readonly posedirs: Float32Array;
  /** 16 x V, dense, row j regresses joint j. */
  readonly jRegressor: Float32Array;
  /** V x 16 skinning weights. */
  readonly weights: Float32Array;
  /** 16 parents, parents[0] = -1, parents[k] < k. */
  readonly parents: Int32Array;
  /** F x 3 triangles. */
  readonly faces: Uint32Array;
  /** 45 x 45, rows are the PCA components. */
  readonly handsComponents: Float32Array;
  /** 45 mean finger pose (axis-angle). */
  readonly handsMean: Float32Array;
  /** 5 fingertip vertices (thumb, index, middle, ring, little). */
  readonly tipIndices: Uint32Array;
}

export type ManoAssetData = Omit<ManoAsset, 'numVertices' | 'parents' | 'tipIndices'> & {
  /** Defaults to vTemplate.length / 3. */
  numVertices?: number;
  parents?: Int32Array | readonly number[];
  tipIndices?: Uint32Array | readonly number[];
};

/**
 * Checks every array of an asset and returns it frozen. Throws ShapeError naming the first array
 * whose length (or content: parents, face and tip indices, non-finite values) is wrong.
 */
export function manoAsset(d: ManoAssetData): ManoAsset {
  const v = d.numVertices ?? d.vTemplate.length / 3;
  const parents = d.parents instanceof Int32Array ? d.parents : Int32Array.from(d.parents ?? MANO_PARENTS);
  const tipIndices = d.tipIndices instanceof Uint32Array ? d.tipIndices : Uint32Array.from(d.tipIndices ?? MANO_TIP_INDICES[d.side]);
  const a: ManoAsset = {
    side: d.side, numVertices: v, vTemplate: d.vTemplate, shapedirs: d.shapedirs, posedirs: d.posedirs,
    jRegressor: d.jRegressor, weights: d.weights, parents, faces: d.faces, handsComponents: d.handsComponents,
    handsMean: d.handsMean, tipIndices,
  };
  checkManoAsset(a);
  return Object.freeze(a);
}

/** Throws ShapeError naming the first wrong field of an asset (see `manoAsset`). */
export function checkManoAsset(a: ManoAsset): void {
  const what = 'MANO asset';
  const v = a.numVertices;
  if (a.side !== 'left' && a.side !== 'right') throw new ShapeError(`${what}: side must be 'left' or 'right', got ${JSON.stringify(a.side)}`);
  if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${what}: vTemplate has ${a.vTemplate.length} values, not a whole number (>= 1) of xyz vertices`);
  const len = (name: string, arr: { length: number }, want: number, dims: string) => {
    if (arr.length !== want) throw new ShapeError(`${what}: ${name} has ${arr.length} values, expected ${want} (${dims}) for ${v} vertices`);
  };
  len('vTemplate', a.vTemplate, v * 3, 'V x 3');
  len('shapedirs', a.shapedirs, v * 3 * MANO_SHAPE, 'V x 3 x 10');
  len('posedirs', a.posedirs, v * 3 * MANO_POSE_FEATURES, 'V x 3 x 135');
  len('jRegressor', a.jRegressor, MANO_JOINTS * v, '16 x V');
  len('weights', a.weights, v * MANO_JOINTS, 'V x 16');
  len('parents', a.parents, MANO_JOINTS, '16');
  len('handsComponents', a.handsComponents, MANO_PCA * MANO_PCA, '45 x 45');
  len('handsMean', a.handsMean, MANO_PCA, '45');
  len('tipIndices', a.tipIndices, 5, '5 fingertips');
  if (a.faces.length % 3 !== 0 || a.faces.length === 0) throw new ShapeError(`${what}: faces has ${a.faces.length} values, not one or more triangles (F x 3, F >= 1)`);
  if (a.parents[0] !== -1) throw new ShapeError(`${what}: parents[0] must be -1 (the wrist is the root), got ${a.parents[0]}`);
  for (let k = 1; k < MANO_JOINTS; k++)
    if (!(a.parents[k] >= 0 && a.parents[k] < k)) throw new ShapeError(`${what}: parents[${k}] = ${a.parents[k]} must be in [0, ${k})`);
  for (let i = 0; i < a.faces.length; i++)
    if (a.faces[i] >= v) throw new ShapeError(`${what}: faces[${i}] = ${a.faces[i]} is not a vertex index (< ${v})`);
  for (let i = 0; i < 5; i++)
    if (a.tipIndices[i] >= v) throw new ShapeError(`${what}: tipIndices[${i}] = ${a.tipIndices[i]} is not a vertex index (< ${v})`);
  const floats: [string, Float32Array][] = [
    ['vTemplate', a.vTemplate], ['shapedirs', a.shapedirs], ['posedirs', a.posedirs], ['jRegressor', a.jRegressor],
    ['weights', a.weights], ['handsComponents', a.handsComponents], ['handsMean', a.handsMean],
  ];
  for (const [name, arr] of floats) {
    if (!(arr instanceof Float32Array)) throw new ShapeError(`${what}: ${name} must be a Float32Array`);
    for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) throw new ShapeError(`${what}: ${name}[${i}] is ${arr[i]}`);
  }
  if (!(a.parents instanceof Int32Array) || !(a.faces instanceof Uint32Array) || !(a.tipIndices instanceof Uint32Array))
    throw new ShapeError(`${what}: parents must be an Int32Array, faces and tipIndices Uint32Arrays`);
}

/**
 * Why an asset cannot be the hand model of the HIU-DMTL network, or null when it can. The network
 * predicts left hands (right hands are mirrored in and out), so it takes the LEFT asset. The API
 * (createHandEstimator) and the CLI (hiu infer, hiu profile) both ask this one function.
 */
export function networkHandProblem(a: ManoAsset): string | null {
  return a.side === 'left' ? null : `this is a ${a.side} hand asset; pass the LEFT one (the network predicts left hands; right hands are mirrored in and out)`;
}

/** Tip vertices for a mesh of `v` vertices: the real ones at 778, scaled (still distinct, side-specific) below. */
export function tipIndicesFor(side: HandSide, v: number): number[] {
  const left = MANO_TIP_INDICES.left.map((i) => Math.floor((i * v) / 778));
  if (side === 'left') return left;
  return left.map((i, f) => (f === 2 ? i - 1 : i)); // right middle tip is one vertex earlier (444 vs 445)
}


/**
 * A seeded random asset of MANO's structure, licence-free, for tests and the default demo:
 * vertices in a ~0.1 m box, J_regressor rows a few positive weights summing to 1, skinning rows
 * of 1-4 joints summing to 1, small blend shapes, orthonormal PCA rows, F = 2V - 18 faces
 * (1538 at V = 778). Any V >= 16 (small V keeps tests fast); tips chosen inside V.
 */
export function randomManoAsset(seed: number, numVertices = 778, side: HandSide = 'right'): ManoAsset {
  const v = numVertices;
  if (!Number.isInteger(v) || v < 16) throw new ShapeError(`randomManoAsset: numVertices must be an integer >= 16, got ${v}`);
  const r = rng32(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r();
  const fill = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => u(lo, hi));
  const vTemplate = new Float32Array(v * 3);
  for (let i = 0; i < v; i++) {
    vTemplate[i * 3] = u(-0.04, 0.04);
    vTemplate[i * 3 + 1] = u(-0.02, 0.12);
    vTemplate[i * 3 + 2] = u(-0.015, 0.015);
  }
  const shapedirs = fill(v * 3 * MANO_SHAPE, -0.004, 0.004);
  const posedirs = fill(v * 3 * MANO_POSE_FEATURES, -0.003, 0.003);
  const jRegressor = new Float32Array(MANO_JOINTS * v);
  for (let j = 0; j < MANO_JOINTS; j++) {
    const picks = Array.from({ length: 4 }, () => Math.floor(r() * v));
    const w = picks.map(() => u(0.2, 1));
    const sum = w.reduce((a, b) => a + b, 0);
    picks.forEach((p, i) => (jRegressor[j * v + p] += w[i] / sum));
  }
  const weights = new Float32Array(v * MANO_JOINTS);
  for (let i = 0; i < v; i++) {
    const count = 1 + Math.floor(r() * 4);
    const ks = Array.from({ length: count }, () => Math.floor(r() * MANO_JOINTS));
    const w = ks.map(() => u(0.1, 1));
    const sum = w.reduce((a, b) => a + b, 0);
    ks.forEach((k, n) => (weights[i * MANO_JOINTS + k] += w[n] / sum));
  }
  const nf = 2 * v - 18;
  const faces = new Uint32Array(nf * 3);
  for (let f = 0; f < nf; f++) {
    const a = Math.floor(r() * v);
    faces[f * 3] = a;
    faces[f * 3 + 1] = (a + 1 + Math.floor(r() * (v - 2))) % v;
    const b = faces[f * 3 + 1];
    let c = Math.floor(r() * v);
    while (c === a || c === b) c = (c + 1) % v;
    faces[f * 3 + 2] = c;
  }
  // Orthonormal rows (Gram-Schmidt on random rows), like a PCA basis.
  const comps = Array.from({ length: MANO_PCA }, () => Array.from({ length: MANO_PCA }, () => u(-1, 1)));
  for (let i = 0; i < MANO_PCA; i++) {
    for (let k = 0; k < i; k++) {
      const d = comps[i].reduce((s, x, c) => s + x * comps[k][c], 0);
      for (let c = 0; c < MANO_PCA; c++) comps[i][c] -= d * comps[k][c];
    }
    const norm = Math.hypot(...comps[i]);
    for (let c = 0; c < MANO_PCA; c++) comps[i][c] /= norm;
  }
  return manoAsset({
    side, vTemplate, shapedirs, posedirs, jRegressor, weights, faces,
    handsComponents: Float32Array.from(comps.flat()),
    handsMean: fill(MANO_PCA, -0.3, 0.3),
    parents: MANO_PARENTS,
    tipIndices: tipIndicesFor(side, v),
  });
}
