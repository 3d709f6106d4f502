import type { Tensor } from '../engine/index.ts';
import { f32Param, paramsWGSL, tensorParams, u32Param, vec4IndexParams, type Param } from './common.ts';

export interface GlobalAvgPoolSpec {
  x: Tensor;
  y: Tensor;
  /** Write channel c to output channel c * count + index (scalar stores); count 1 = plain. */
  count: number;
  index: number;
  /** Workgroup: wgX channel groups x wgY threads that stride over the pixels. */
  wgX: number;
  wgY: number;
}

/** Sizes, the workgroup's layout and the interleave slot come from the params: one pipeline serves every pool. */
export function globalAvgPoolParams(s: GlobalAvgPoolSpec): Param[] {
  const [, h, w, c] = s.x.shape;
  const yc = s.y.channels;
  // The index-0 dispatch zeroes the output's padded tail, floats [yc, pad4(yc)).
  const zeroTail = s.index === 0 && yc % 4 !== 0;
  return [
    ...tensorParams('x', s.x), ...tensorParams('y', s.y), u32Param('c', c), u32Param('c4', Math.ceil(c / 4)), u32Param('npix', h * w), f32Param('inv', 1 / (h * w)),
    u32Param('wgX', s.wgX), u32Param('wgY', s.wgY), u32Param('count', s.count), u32Param('index', s.index),
    u32Param('tailFrom', yc), u32Param('tailTo', zeroTail ? Math.ceil(yc / 4) * 4 : yc),
  ];
}

/**
 * Global average pool as a parallel reduction. Workgroup (block of wgX channel groups, n) of
 * GAP_THREADS threads, laid out wgX x wgY: thread (lx, ly) sums pixels ly, ly + wgY, ... of channel group lx in a vec4 register, so a
 * warp reads wgX neighbouring vec4s of several pixels at once; then a tree over ly in workgroup
 * memory (log2(wgY) barrier steps, in a loop in uniform control flow) and row 0 stores the means.
 *
 * Channel c goes to float c*count + index of the output, stored as single floats: plain pooling
 * is count 1, index 0; TAM's 768-vector (index c*3+t) is filled by `count` dispatches with index
 * 0..count-1. The index-0 dispatch also zeroes the padded tail of the output vector (C*count not
 * a multiple of 4) so the padding invariant holds whatever order the dispatches run in.
 */
export function globalAvgPoolWGSL(params: readonly Param[]): string {
  const ybase = `(${vec4IndexParams('y', 'n', '0u', '0u', '0u')}) * 4u`;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
${paramsWGSL(params, 2)}

var<workgroup> red: array<vec4<f32>, ${GAP_THREADS}>;

@compute @workgroup_size(${GAP_THREADS}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lx = lid % P.wgX;
  let ly = lid / P.wgX;
  let c4 = wid.x * P.wgX + lx;
  let n = wid.y;
  var acc = vec4<f32>(0.0);
  if (c4 < P.c4 && ly < P.wgY) {
    let b = ${vec4IndexParams('x', 'n', '0u', '0u', 'c4')};
    for (var p = ly; p < P.npix; p += P.wgY) { acc += X[b + p * P.xS]; }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var st = P.wgY / 2u; st >= 1u; st /= 2u) {
    if (ly < st) { red[lid] += red[lid + st * P.wgX]; }
    workgroupBarrier();
  }
  if (ly == 0u && c4 < P.c4) {
    let v = red[lid] * P.inv;
    let base = ${ybase} + c4 * 4u * P.count + P.index;
    for (var j = 0u; j < 4u; j++) {
      if (c4 * 4u + j < P.c) { Y[base + j * P.count] = v[j]; }
    }
  }
  if (wid.x == 0u && lid == 0u) { for (var ch = P.tailFrom; ch < P.tailTo; ch++) { Y[${ybase} + ch] = 0.0; } }
}`;
}

/**
 * Threads per workgroup (wgX * wgY <= this). Small: each thread loops over many pixels anyway,
 * and barriers cost per thread (on SwiftShader 64 threads pool TAM's 16 x 16 maps 4-8x faster than 256).
 */
export const GAP_THREADS = 64;
