import type { Tensor } from '../engine/index.ts';
import { f32, vec4Index } from './common.ts';

export interface ManoPoseSpec {
  /** [N, 1, 1, C] parameters; beta, pose and camera start at these channels. */
  params: Tensor;
  betaAt: number;
  poseAt: number;
  cameraAt: number;
  /** 'pca': pose = global 3 + 45 PCA coefficients; 'axisAngle': global 3 + 45 joint axis-angles. */
  poseSpace: 'pca' | 'axisAngle';
  /** Add the mean pose to the 45 finger values (MANO's flat_hand_mean=False). */
  addMean: boolean;
  /** Parent of each of the 16 joints (-1 for the root). */
  parents: readonly number[];
  /** Row of the joints outputs that kinematic joint k goes to. */
  jointSlots: readonly number[];
  transforms: Tensor;
  feature: Tensor;
  joints3d: Tensor;
  joints2d: Tensor;
}

/**
 * WGSL `fn sinCos(x: f32) -> vec2<f32>` (sin, cos) to about 1 ulp for |x| up to ~1e3. The
 * built-ins are only specified to 2^-11 absolute error (SwiftShader's are off by ~2e-4), which
 * would move a 0.1 m hand by ~1e-5 m: Cephes' sinf/cosf instead, with a three-part Cody-Waite
 * reduction by pi/2 (exact products for small quadrant numbers) and minimax polynomials on
 * [-pi/4, pi/4].
 */
export const SIN_COS_WGSL = `
fn sinCos(x: f32) -> vec2<f32> {
  let k = round(x * 0.63661977236758134);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}`;

/** Offsets (in f32) of the packed constants: mean 45 | components 45x45 | J template 16x3 | J shapedirs 16x3x10. */
export const POSE_CONST = { mean: 0, comps: 45, jTemplate: 45 + 45 * 45, jShapedirs: 45 + 45 * 45 + 48, total: 45 + 45 * 45 + 48 + 480 };

/**
 * The per-hand half of the MANO layer; one 64-thread workgroup per hand.
 * 1. threads 0..47: full pose value t (global | mean + coeffs . components) and shaped joint
 *    coordinate t (J = J_reg.v_template + (J_reg.shapedirs) . beta, both precomputed 16x3(x10)).
 * 2. threads 0..15: rotation of joint t: angle = |a + 1e-8|, n = a / angle, q = (cos, sin n) of
 *    angle/2, normalised, to a row-major 3x3; joints 1..15 also give 9 pose-feature entries R - I.
 * 3. threads 0..15: G_t by walking the chain from the root (depth <= 4 here, so recomputing
 *    ancestors per thread is cheaper than serial levels with barriers); A_t = G_t - [0 | G_t (J_t, 0)]
 *    stored as 3 rows of 4 ([N, 16, 1, 12]); G_t's translation is the joint, written to its slot of
 *    joints3d with its weak-perspective projection in joints2d. Threads 16..49 store the feature.
 */
export function manoPoseWGSL(s: ManoPoseSpec): string {
  const { params, transforms, feature, joints3d, joints2d } = s;
  const coeff = (c: string) => `X[${vec4Index(params, 'n', '0u', '0u', `(${c}) / 4u`)}][(${c}) % 4u]`;
  const K = POSE_CONST;
  const fingers =
    s.poseSpace === 'pca'
      ? `var acc = ${s.addMean ? `C[${K.mean}u + t - 3u]` : '0.0'};
      for (var k = 0u; k < 45u; k++) { acc += ${coeff(`${s.poseAt + 3}u + k`)} * C[${K.comps}u + k * 45u + t - 3u]; }
      p = acc;`
      : `p = ${coeff(`${s.poseAt}u + t`)}${s.addMean ? ` + C[${K.mean}u + t - 3u]` : ''};`;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> C: array<f32>;
@group(0) @binding(2) var<storage, read_write> T: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> F: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> J3: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> J2: array<vec4<f32>>;

const PARENT = array<i32, 16>(${s.parents.join(', ')});
const SLOT = array<u32, 16>(${s.jointSlots.map((v) => `${v}u`).join(', ')});

var<workgroup> pose: array<f32, 48>;
var<workgroup> joint: array<f32, 48>;
var<workgroup> rot: array<vec3<f32>, 48>;
var<workgroup> feat: array<f32, 136>;

${SIN_COS_WGSL}

fn jointAt(k: u32) -> vec3<f32> {
  return vec3<f32>(joint[k * 3u], joint[k * 3u + 1u], joint[k * 3u + 2u]);
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n = wid.x;
  if (t < 48u) {
    var p = 0.0;
    if (t < 3u) {
      p = ${coeff(`${s.poseAt}u + t`)};
    } else {
      ${fingers}
    }
    pose[t] = p;
    var j = C[${K.jTemplate}u + t];
    for (var k = 0u; k < 10u; k++) { j += C[${K.jShapedirs}u + t * 10u + k] * ${coeff(`${s.betaAt}u + k`)}; }
    joint[t] = j;
  }
  if (t == 0u) { feat[135] = 0.0; }
  workgroupBarrier();

  if (t < 16u) {
    let a = vec3<f32>(pose[t * 3u], pose[t * 3u + 1u], pose[t * 3u + 2u]);
    let angle = length(a + vec3<f32>(${f32(1e-8)}));
    let axis = a / angle;
    let h = angle * 0.5;
    let sc = sinCos(h);
    var q = vec4<f32>(sc.y, sc.x * axis);
    q = q / length(q);
    let w = q.x; let x = q.y; let y = q.z; let z = q.w;
    let w2 = w * w; let x2 = x * x; let y2 = y * y; let z2 = z * z;
    let r0 = vec3<f32>(w2 + x2 - y2 - z2, 2.0 * x * y - 2.0 * w * z, 2.0 * w * y + 2.0 * x * z);
    let r1 = vec3<f32>(2.0 * w * z + 2.0 * x * y, w2 - x2 + y2 - z2, 2.0 * y * z - 2.0 * w * x);
    let r2 = vec3<f32>(2.0 * x * z - 2.0 * w * y, 2.0 * w * x + 2.0 * y * z, w2 - x2 - y2 + z2);
    rot[t * 3u] = r0;
    rot[t * 3u + 1u] = r1;
    rot[t * 3u + 2u] = r2;
    if (t > 0u) {
      let b = (t - 1u) * 9u;
      feat[b] = r0.x - 1.0; feat[b + 1u] = r0.y; feat[b + 2u] = r0.z;
      feat[b + 3u] = r1.x; feat[b + 4u] = r1.y - 1.0; feat[b + 5u] = r1.z;
      feat[b + 6u] = r2.x; feat[b + 7u] = r2.y; feat[b + 8u] = r2.z - 1.0;
    }
  }
  workgroupBarrier();

  if (t < 16u) {
    var path: array<u32, 16>;
    var depth = 0u;
    var k = i32(t);
    for (var i = 0u; i < 16u && k >= 0; i++) {
      path[depth] = u32(k);
      depth++;
      k = PARENT[k];
    }
    let root = path[depth - 1u];
    let jr = jointAt(root);
    var g0 = vec4<f32>(rot[root * 3u], jr.x);
    var g1 = vec4<f32>(rot[root * 3u + 1u], jr.y);
    var g2 = vec4<f32>(rot[root * 3u + 2u], jr.z);
    for (var i = i32(depth) - 2; i >= 0; i--) {
      let c = path[i];
      let rel = jointAt(c) - jointAt(u32(PARENT[c]));
      let c0 = rot[c * 3u]; let c1 = rot[c * 3u + 1u]; let c2 = rot[c * 3u + 2u];
      g0 = vec4<f32>(g0.x * c0 + g0.y * c1 + g0.z * c2, dot(g0.xyz, rel) + g0.w);
      g1 = vec4<f32>(g1.x * c0 + g1.y * c1 + g1.z * c2, dot(g1.xyz, rel) + g1.w);
      g2 = vec4<f32>(g2.x * c0 + g2.y * c1 + g2.z * c2, dot(g2.xyz, rel) + g2.w);
    }
    let jt = jointAt(t);
    T[${vec4Index(transforms, 'n', 't', '0u', '0u')}] = vec4<f32>(g0.xyz, g0.w - dot(g0.xyz, jt));
    T[${vec4Index(transforms, 'n', 't', '0u', '1u')}] = vec4<f32>(g1.xyz, g1.w - dot(g1.xyz, jt));
    T[${vec4Index(transforms, 'n', 't', '0u', '2u')}] = vec4<f32>(g2.xyz, g2.w - dot(g2.xyz, jt));
    let cam = vec3<f32>(${coeff(`${s.cameraAt}u`)}, ${coeff(`${s.cameraAt + 1}u`)}, ${coeff(`${s.cameraAt + 2}u`)});
    let slot = SLOT[t];
    J3[${vec4Index(joints3d, 'n', 'slot', '0u', '0u')}] = vec4<f32>(g0.w, g1.w, g2.w, 0.0);
    J2[${vec4Index(joints2d, 'n', 'slot', '0u', '0u')}] = vec4<f32>((cam.x * (vec2<f32>(g0.w, g1.w) + cam.yz) + 1.0) * 0.5, 0.0, 0.0);
  } else if (t < 50u) {
    let f4 = t - 16u;
    F[${vec4Index(feature, 'n', '0u', '0u', 'f4')}] = vec4<f32>(feat[f4 * 4u], feat[f4 * 4u + 1u], feat[f4 * 4u + 2u], feat[f4 * 4u + 3u]);
  }
}`;
}
