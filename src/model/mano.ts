/**
 * The MANO layer (docs/mano-layer.md) as two dispatches for a whole batch of hands:
 * `manoPose` (one workgroup per hand: pose, rotations, joints, chain, transforms, pose feature)
 * and `manoSkin` (one thread per hand and vertex: blend shapes, skinning, fingertips).
 */
import type { Graph, Tensor } from '../engine/index.ts';
import { MANO_COEFFS_LAYOUT, MANO_POSE_CONSTANTS, manoPose, type ManoParamLayout } from '../kernels/manoPose.ts';
import { MANO_SKIN_ROWS, manoSkin } from '../kernels/manoSkin.ts';
import { checkManoAsset, MANO_JOINT_ORDER, MANO_JOINTS, MANO_POSE_FEATURES, MANO_SHAPE, type ManoAsset } from './manoAsset.ts';

export { MANO_COEFFS_LAYOUT, type ManoParamLayout };

export interface ManoOptions {
  /** Layer name and scope of its tensors, constants and dispatches (default 'mano'). */
  name?: string;
  /**
   * Where beta (10), pose (48) and camera (s, tx, ty) start in the channels of the [N, 1, 1, C]
   * parameter tensor. Default: the regressor's `coeffs` [N, 1, 1, 61], beta 0 | pose 10 | camera 58.
   * A plain input tensor (sliders) works the same way with any layout that fits.
   */
  layout?: ManoParamLayout;
  /**
   * 'pca' (default, as HIU-DMTL trained): pose = global axis-angle 3 + 45 PCA coefficients.
   * 'axisAngle': global 3 + 15 joint axis-angles (45) taken directly (manopth use_pca=False).
   */
  poseSpace?: 'pca' | 'axisAngle';
  /** MANO flat_hand_mean: true leaves hands_mean out of the finger pose (default false, as trained). */
  flatHandMean?: boolean;
  /** Write into these tensors instead of new ones. */
  out?: { vertices?: Tensor; joints3d?: Tensor; joints2d?: Tensor };
}

export interface ManoOutputs {
  /** [N, V, 1, 3] skinned vertices, metres, no root centring. */
  vertices: Tensor;
  /** [N, 21, 1, 3]: wrist, thumb 1-4, index, middle, ring, little (MCP to tip). */
  joints3d: Tensor;
  /** [N, 21, 1, 2]: weak-perspective p = (s (X.xy + (tx, ty)) + 1) / 2, crop coordinates in [0, 1]. */
  joints2d: Tensor;
}

interface PackedAsset {
  pose: Float32Array;
  skin: Float32Array;
}
const packedCache = new WeakMap<ManoAsset, PackedAsset>();

/**
 * The asset as the two kernels read it. Joints depend on beta only, so J_regressor is folded on
 * the CPU (float64) into J_reg . v_template (16x3) and J_reg . shapedirs (16x3x10). Per-vertex
 * data is repacked to vec4 rows [row][vertex] so neighbouring threads read neighbouring words.
 * Checks the asset first (checkManoAsset); cached per asset object.
 */
export function packManoAsset(a: ManoAsset): PackedAsset {
  const hit = packedCache.get(a);
  if (hit) return hit;
  checkManoAsset(a);
  const V = a.numVertices;
  const K = MANO_POSE_CONSTANTS;
  const pose = new Float32Array(K.total);
  pose.set(a.handsMean, K.mean);
  pose.set(a.handsComponents, K.comps);
  for (let j = 0; j < MANO_JOINTS; j++)
    for (let c = 0; c < 3; c++) {
      let t = 0;
      const s = new Float64Array(MANO_SHAPE);
      for (let v = 0; v < V; v++) {
        const r = a.jRegressor[j * V + v];
        if (r === 0) continue;
        t += r * a.vTemplate[v * 3 + c];
        for (let k = 0; k < MANO_SHAPE; k++) s[k] += r * a.shapedirs[(v * 3 + c) * MANO_SHAPE + k];
      }
      pose[K.jTemplate + j * 3 + c] = t;
      for (let k = 0; k < MANO_SHAPE; k++) pose[K.jShapedirs + (j * 3 + c) * MANO_SHAPE + k] = s[k];
    }
  const R = MANO_SKIN_ROWS;
  const skin = new Float32Array(R.total * V * 4);
  const put = (row: number, v: number, c: number, x: number) => (skin[(row * V + v) * 4 + c] = x);
  for (let v = 0; v < V; v++) {
    for (let c = 0; c < 3; c++) {
      put(R.template, v, c, a.vTemplate[v * 3 + c]);
      for (let k = 0; k < MANO_SHAPE; k++) put(R.shape + k, v, c, a.shapedirs[(v * 3 + c) * MANO_SHAPE + k]);
      for (let p = 0; p < MANO_POSE_FEATURES; p++) put(R.pose + p, v, c, a.posedirs[(v * 3 + c) * MANO_POSE_FEATURES + p]);
    }
    for (let k = 0; k < MANO_JOINTS; k++) put(R.weights + (k >> 2), v, k & 3, a.weights[v * MANO_JOINTS + k]);
  }
  const packed = { pose, skin };
  packedCache.set(a, packed);
  return packed;
}

/** Output row of each of the 21 MANO joints (16 chain joints, then the 5 tips). */
function jointSlots(): number[] {
  const slot = new Array<number>(21);
  MANO_JOINT_ORDER.forEach((src, row) => (slot[src] = row));
  return slot;
}

/**
 * Adds the MANO layer for a batch of hands: 2 dispatches. `params` is [N, 1, 1, C] (the
 * regressor's coeffs, or a plain graph input); the asset becomes graph constants.
 */
export function buildMano(g: Graph, asset: ManoAsset, params: Tensor, opts: ManoOptions = {}): ManoOutputs {
  const name = opts.name ?? 'mano';
  const layout = opts.layout ?? MANO_COEFFS_LAYOUT;
  const packed = packManoAsset(asset);
  const slots = jointSlots();
  return g.scope(name, () => {
    const pose = manoPose(g, 'pose', params, {
      constants: packed.pose, parents: asset.parents, jointSlots: slots.slice(0, 16), jointRows: 21, layout,
      poseSpace: opts.poseSpace, addMean: !opts.flatHandMean,
      out: { joints3d: opts.out?.joints3d, joints2d: opts.out?.joints2d },
    });
    const vertices = manoSkin(g, 'skin', params, {
      vertices: asset.numVertices, constants: packed.skin, transforms: pose.transforms, feature: pose.feature,
      joints3d: pose.joints3d, joints2d: pose.joints2d, layout, out: opts.out?.vertices,
      tips: Array.from(asset.tipIndices, (vertex, i) => ({ vertex, slot: slots[16 + i] })),
    });
    return { vertices, joints3d: pose.joints3d, joints2d: pose.joints2d };
  });
}
