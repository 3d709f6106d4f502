import type { Tensor } from '../engine/index.ts';
import { paramsWGSL, tensorParams, u32Param, vec4IndexParams, type Param } from './common.ts';

export interface HeatmapKeypointsSpec {
  maps: Tensor;
  y: Tensor;
  wg: number;
}

/**
 * "Equation 1" on heat maps: per map, h = clamp(map, 0, 1); row = sum(h * row) / max(sum h, 1e-8),
 * col likewise, maxval = max h. A workgroup takes one vec4 of maps (4 keypoints) of one batch
 * item; its threads stride over the pixels with vec4 accumulators (sum, row-weighted sum,
 * column-weighted sum, max), then a tree in workgroup memory combines them and threads 0..3
 * each store one keypoint as (row, col, maxval, 0): output [N, K, 1, 3] in nhwc4, one vec4 per
 * keypoint, lane 3 the padding.
 */
export function heatmapKeypointsParams(s: HeatmapKeypointsSpec): Param[] {
  const [, h, w, k] = s.maps.shape;
  return [...tensorParams('m', s.maps), ...tensorParams('y', s.y), u32Param('npix', h * w), u32Param('k', k)];
}

/** Sizes come from the params and the tree is a loop, so one small pipeline serves every map size. */
export function heatmapKeypointsWGSL(s: HeatmapKeypointsSpec, params: readonly Param[]): string {
  const { wg } = s;
  return `
@group(0) @binding(0) var<storage, read> M: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;
${paramsWGSL(params, 2)}

var<workgroup> rs: array<vec4<f32>, ${wg}>;
var<workgroup> rr: array<vec4<f32>, ${wg}>;
var<workgroup> rc: array<vec4<f32>, ${wg}>;
var<workgroup> rm: array<vec4<f32>, ${wg}>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let c4 = wid.x;
  let n = wid.y;
  let b = ${vec4IndexParams('m', 'n', '0u', '0u', 'c4')};
  let w = P.mW;
  var s = vec4<f32>(0.0);
  var sr = vec4<f32>(0.0);
  var sc = vec4<f32>(0.0);
  var mx = vec4<f32>(0.0);
  for (var p = t; p < P.npix; p += ${wg}u) {
    let hv = clamp(M[b + p * P.mS], vec4<f32>(0.0), vec4<f32>(1.0));
    let row = p / w;
    s += hv;
    sr += hv * f32(row);
    sc += hv * f32(p - row * w);
    mx = max(mx, hv);
  }
  rs[t] = s;
  rr[t] = sr;
  rc[t] = sc;
  rm[t] = mx;
  workgroupBarrier();
  for (var st = ${wg / 2}u; st >= 1u; st /= 2u) {
    if (t < st) {
      rs[t] += rs[t + st];
      rr[t] += rr[t + st];
      rc[t] += rc[t + st];
      rm[t] = max(rm[t], rm[t + st]);
    }
    workgroupBarrier();
  }
  let kp = c4 * 4u + t;
  if (t < 4u && kp < P.k) {
    let d = max(rs[0][t], 1e-8);
    Y[${vec4IndexParams('y', 'n', 'kp', '0u', '0u')}] = vec4<f32>(rr[0][t] / d, rc[0][t] / d, rm[0][t], 0.0);
  }
}`;
}
