import type { Tensor } from '../engine/index.ts';
import { vec4Index } from './common.ts';

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
export function heatmapKeypointsWGSL(s: HeatmapKeypointsSpec): string {
  const { maps, y, wg } = s;
  const [, h, w, k] = maps.shape;
  const npix = h * w;
  const steps: number[] = [];
  for (let st = wg / 2; st >= 1; st /= 2) steps.push(st);
  return `
@group(0) @binding(0) var<storage, read> M: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;

var<workgroup> rs: array<vec4<f32>, ${wg}>;
var<workgroup> rr: array<vec4<f32>, ${wg}>;
var<workgroup> rc: array<vec4<f32>, ${wg}>;
var<workgroup> rm: array<vec4<f32>, ${wg}>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let c4 = wid.x;
  let n = wid.y;
  let b = ${vec4Index(maps, 'n', '0u', '0u', 'c4')};
  var s = vec4<f32>(0.0);
  var sr = vec4<f32>(0.0);
  var sc = vec4<f32>(0.0);
  var mx = vec4<f32>(0.0);
  for (var p = t; p < ${npix}u; p += ${wg}u) {
    let hv = clamp(M[b + p * ${maps.c4Stride}u], vec4<f32>(0.0), vec4<f32>(1.0));
    let row = p / ${w}u;
    s += hv;
    sr += hv * f32(row);
    sc += hv * f32(p - row * ${w}u);
    mx = max(mx, hv);
  }
  rs[t] = s;
  rr[t] = sr;
  rc[t] = sc;
  rm[t] = mx;
  workgroupBarrier();
  ${steps
    .map(
      (st) => `if (t < ${st}u) {
    rs[t] += rs[t + ${st}u];
    rr[t] += rr[t + ${st}u];
    rc[t] += rc[t + ${st}u];
    rm[t] = max(rm[t], rm[t + ${st}u]);
  }
  workgroupBarrier();`,
    )
    .join('\n  ')}
  let kp = c4 * 4u + t;
  if (t < 4u && kp < ${k}u) {
    let d = max(rs[0][t], 1e-8);
    Y[${vec4Index(y, 'n', 'kp', '0u', '0u')}] = vec4<f32>(rr[0][t] / d, rc[0][t] / d, rm[0][t], 0.0);
  }
}`;
}
