import type { Tensor } from '../engine/index.ts';
import { vec4Index } from './common.ts';

export interface ManoSkinSpec {
  params: Tensor;
  betaAt: number;
  cameraAt: number;
  transforms: Tensor;
  feature: Tensor;
  vertices: Tensor;
  joints3d: Tensor;
  joints2d: Tensor;
  /** Vertices whose skinned position is also a joint, and the joint row each goes to. */
  tips: readonly { vertex: number; slot: number }[];
  wg: number;
}

/**
 * Vec4 rows of the packed skinning constants, each row `V` vec4s long and indexed [row][vertex]
 * so that threads over neighbouring vertices read neighbouring 16-byte words (coalesced):
 * v_template (1 row) | shapedirs (10 rows, one per beta) | posedirs (136 rows, one per feature
 * entry, the last all zero) | weights (4 rows of 4 joints).
 */
export const SKIN_ROWS = { template: 0, shape: 1, pose: 11, weights: 147, total: 151 };

/**
 * The per-vertex half of the MANO layer; one thread per (hand, vertex), workgroups of `wg`
 * vertices of one hand. The workgroup first stages its hand's pose feature (34 vec4), the 16
 * 3x4 transforms and beta in workgroup memory; each thread then forms
 * v_posed = v_template + shapedirs . beta + posedirs . feature (the 2334 x 135 product, split by
 * vertex), blends the 16 transforms by its weights, skins, and writes [N, V, 1, 3]. Threads whose
 * vertex is a fingertip also write that joint and its weak-perspective projection.
 */
export function manoSkinWGSL(s: ManoSkinSpec): string {
  const { params, transforms, feature, vertices, joints3d, joints2d, wg } = s;
  const v = vertices.shape[1];
  const coeff = (c: string) => `X[${vec4Index(params, 'n', '0u', '0u', `(${c}) / 4u`)}][(${c}) % 4u]`;
  const row = (r: number, extra = '') => `${r * v}u${extra} + vi`;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> T: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> F: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> K: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> J3: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> J2: array<vec4<f32>>;

var<workgroup> featS: array<vec4<f32>, 34>;
var<workgroup> xf: array<vec4<f32>, 48>;
var<workgroup> betaS: array<f32, 10>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n = wid.y;
  let vi = wid.x * ${wg}u + t;
  for (var i = t; i < 48u; i += ${wg}u) {
    if (i < 34u) { featS[i] = F[${vec4Index(feature, 'n', '0u', '0u', 'i')}]; }
    xf[i] = T[${vec4Index(transforms, 'n', 'i / 3u', '0u', 'i % 3u')}];
    if (i < 10u) { betaS[i] = ${coeff(`${s.betaAt}u + i`)}; }
  }
  workgroupBarrier();
  if (vi >= ${v}u) { return; }

  var p = K[${row(SKIN_ROWS.template)}].xyz;
  for (var k = 0u; k < 10u; k++) { p += betaS[k] * K[${row(SKIN_ROWS.shape, ` + k * ${v}u`)}].xyz; }
  var pb = ${row(SKIN_ROWS.pose)};
  for (var q = 0u; q < 34u; q++) {
    let f = featS[q];
    p += f.x * K[pb].xyz + f.y * K[pb + ${v}u].xyz + f.z * K[pb + ${2 * v}u].xyz + f.w * K[pb + ${3 * v}u].xyz;
    pb += ${4 * v}u;
  }

  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let w = K[${row(SKIN_ROWS.weights, ` + q * ${v}u`)}];
    for (var l = 0u; l < 4u; l++) {
      let b = (q * 4u + l) * 3u;
      a0 += w[l] * xf[b];
      a1 += w[l] * xf[b + 1u];
      a2 += w[l] * xf[b + 2u];
    }
  }
  let h = vec4<f32>(p, 1.0);
  let out = vec3<f32>(dot(a0, h), dot(a1, h), dot(a2, h));
  Y[${vec4Index(vertices, 'n', 'vi', '0u', '0u')}] = vec4<f32>(out, 0.0);
  ${s.tips
    .map(
      (tip) => `if (vi == ${tip.vertex}u) {
    let cam = vec3<f32>(${coeff(`${s.cameraAt}u`)}, ${coeff(`${s.cameraAt + 1}u`)}, ${coeff(`${s.cameraAt + 2}u`)});
    J3[${vec4Index(joints3d, 'n', `${tip.slot}u`, '0u', '0u')}] = vec4<f32>(out, 0.0);
    J2[${vec4Index(joints2d, 'n', `${tip.slot}u`, '0u', '0u')}] = vec4<f32>((cam.x * (out.xy + cam.yz) + 1.0) * 0.5, 0.0, 0.0);
  }`,
    )
    .join('\n  ')}
}`;
}
