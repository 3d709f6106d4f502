import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { outputTensor, place } from './common.ts';
import { manoPoseWGSL, POSE_CONST, type ManoPoseSpec } from './manoPose.wgsl.ts';

export { POSE_CONST as MANO_POSE_CONSTANTS };

/** Where beta (10), pose (48) and camera (3) start in the parameter tensor's channels. */
export interface ManoParamLayout {
  beta: number;
  pose: number;
  camera: number;
}

/** The network regressor's layout: beta 0..9 | pose 10..57 | camera (s, tx, ty) 58..60. */
export const MANO_COEFFS_LAYOUT: Readonly<ManoParamLayout> = { beta: 0, pose: 10, camera: 58 };

export interface ManoPoseOptions {
  /**
   * Packed per-asset constants, POSE_CONST layout: hands_mean 45 | hands_components 45x45 (rows)
   * | J_regressor . v_template 16x3 | J_regressor . shapedirs 16x3x10.
   */
  constants: Float32Array;
  /** Parent of each of the 16 joints: -1 for joint 0, else an earlier joint. */
  parents: ArrayLike<number>;
  /** Joint output rows: kinematic joint k goes to row jointSlots[k] of joints3d / joints2d. */
  jointSlots: readonly number[];
  /** Rows of the joints outputs (the rest are written by another kernel, e.g. fingertips). */
  jointRows: number;
  layout?: ManoParamLayout;
  /** 'pca' (default): 45 PCA coefficients; 'axisAngle': 45 joint axis-angles (slider input). */
  poseSpace?: 'pca' | 'axisAngle';
  /** Add hands_mean to the finger pose (MANO flat_hand_mean=False, the default: true). */
  addMean?: boolean;
  out?: { transforms?: Tensor; feature?: Tensor; joints3d?: Tensor; joints2d?: Tensor };
}

export interface ManoPoseResult {
  /** [N, 16, 1, 12]: per joint A_k = G_k - [0 | G_k (J_k, 0)] as 3 rows of 4 (row-major 3x4). */
  transforms: Tensor;
  /** [N, 1, 1, 135]: the 15 non-root rotations minus identity, row-major, joints 1..15. */
  feature: Tensor;
  /** [N, jointRows, 1, 3] and [N, jointRows, 1, 2]: 16 of the rows written here. */
  joints3d: Tensor;
  joints2d: Tensor;
}

/** Checks a parameter layout against a [N, 1, 1, C] tensor. */
export function checkManoParams(what: string, params: Tensor, layout: ManoParamLayout): void {
  const [, h, w, c] = params.shape;
  if (h !== 1 || w !== 1) throw new ShapeError(`${what}: parameters '${params.name}' must be [N, 1, 1, C], got [${params.shape}]`);
  for (const [field, at, len] of [['beta', layout.beta, 10], ['pose', layout.pose, 48], ['camera', layout.camera, 3]] as const)
    if (!Number.isInteger(at) || at < 0 || at + len > c)
      throw new ShapeError(`${what}: ${field} (${len} values at channel ${at}) does not fit in the ${c} channels of '${params.name}'`);
}

/**
 * Per-hand MANO pose stage (one dispatch, one workgroup per hand): full pose, 16 rotations via
 * quaternions, shaped joints, the kinematic chain, the rest-pose-removed transforms, the pose
 * feature, and the 16 chain joints (with weak-perspective projection) into their output rows.
 */
export function manoPose(g: Graph, name: string, params: Tensor, o: ManoPoseOptions): ManoPoseResult {
  const n = params.shape[0];
  const layout = o.layout ?? MANO_COEFFS_LAYOUT;
  checkManoParams(`manoPose '${name}'`, params, layout);
  if (o.constants.length !== POSE_CONST.total)
    throw new ShapeError(`manoPose '${name}': constants have ${o.constants.length} values, expected ${POSE_CONST.total} (mean 45 | components 2025 | J template 48 | J shapedirs 480)`);
  const parents = Array.from(o.parents);
  if (parents.length !== 16 || parents[0] !== -1 || parents.some((p, k) => k > 0 && !(Number.isInteger(p) && p >= 0 && p < k)))
    throw new ShapeError(`manoPose '${name}': parents must be 16 entries, -1 then each an earlier joint, got [${parents}]`);
  if (o.jointSlots.length !== 16 || new Set(o.jointSlots).size !== 16 || o.jointSlots.some((s) => !Number.isInteger(s) || s < 0 || s >= o.jointRows))
    throw new ShapeError(`manoPose '${name}': jointSlots must be 16 distinct rows in [0, ${o.jointRows}), got [${o.jointSlots}]`);
  const transforms = outputTensor(g, `${name}.transforms`, 'manoPose', o.out?.transforms, [n, 16, 1, 12]);
  const feature = outputTensor(g, `${name}.feature`, 'manoPose', o.out?.feature, [n, 1, 1, 135]);
  const joints3d = outputTensor(g, `${name}.joints3d`, 'manoPose', o.out?.joints3d, [n, o.jointRows, 1, 3]);
  const joints2d = outputTensor(g, `${name}.joints2d`, 'manoPose', o.out?.joints2d, [n, o.jointRows, 1, 2]);
  const spec: ManoPoseSpec = {
    params, betaAt: layout.beta, poseAt: layout.pose, cameraAt: layout.camera,
    poseSpace: o.poseSpace ?? 'pca', addMean: o.addMean ?? true, parents, jointSlots: o.jointSlots,
    transforms, feature, joints3d, joints2d,
  };
  const c = g.constant(`${name}.constants`, o.constants);
  g.add(name, {
    kernel: 'manoPose',
    key: `${place(params)} b${layout.beta} p${layout.pose} c${layout.camera} ${spec.poseSpace}${spec.addMean ? '+mean' : ''} ` +
      `par${parents.join(',')} slot${o.jointSlots.join(',')} >${place(transforms)},${place(feature)},${place(joints3d)},${place(joints2d)}`,
    wgsl: () => manoPoseWGSL(spec),
    workgroups: [n, 1, 1],
    bindings: [
      { tensor: params, access: 'read' },
      { constant: c },
      { tensor: transforms, access: 'write' },
      { tensor: feature, access: 'write' },
      { tensor: joints3d, access: 'write' },
      { tensor: joints2d, access: 'write' },
    ],
    flops: n * (2 * 45 * 45 + 2 * 48 * 10 + 16 * 60 + 16 * 4 * 45 + 16 * 30),
    bytes: 4 * (POSE_CONST.total + n * (pad4(params.channels) + 16 * 12 + 136 + 16 * 8)),
  });
  return { transforms, feature, joints3d, joints2d };
}
