import type { Tensor } from '../engine/index.ts';
import { f32, vec4Index } from './common.ts';

export interface PeakCompactSpec {
  maps: Tensor;
  pooled: Tensor;
  y: Tensor;
  threshold: number;
  capacity: number;
  wg: number;
}

/**
 * Peak compaction. One workgroup per batch item; its threads stride over the pixels. A pixel is a
 * peak when channel 0 of `maps` is >= the threshold and equals channel 0 of `pooled` (its max-pooled
 * copy: the same f32 values, so the test is exact). Each peak takes a slot from a workgroup atomic
 * counter (workgroup memory starts zeroed) and, if the slot is below the capacity, writes
 * (row, col, 0, 0) and then every channel group of `maps` at that pixel. After a barrier, thread 0
 * writes the header (peaks found, peaks stored, 0, 0) and the threads zero every slot past the
 * stored ones, so the whole output is defined on every run. Slot order is arrival order.
 */
export function peakCompactWGSL(s: PeakCompactSpec): string {
  const { maps, pooled, y, wg } = s;
  const [, h, w, c] = maps.shape;
  const mc4 = Math.ceil(c / 4);
  const e4 = mc4 + 1;
  const cap = s.capacity;
  const entry = (i: string, k: string) => vec4Index(y, 'n', '0u', `(${i}) + 1u`, k);
  return `
@group(0) @binding(0) var<storage, read> M: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;

var<workgroup> found: atomic<u32>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n = wid.x;
  for (var p = t; p < ${h * w}u; p += ${wg}u) {
    let row = p / ${w}u;
    let col = p - row * ${w}u;
    let v = M[${vec4Index(maps, 'n', 'row', 'col', '0u')}].x;
    let m = P[${vec4Index(pooled, 'n', 'row', 'col', '0u')}].x;
    if (v >= ${f32(s.threshold)} && v == m) {
      let i = atomicAdd(&found, 1u);
      if (i < ${cap}u) {
        Y[${entry('i', '0u')}] = vec4<f32>(f32(row), f32(col), 0.0, 0.0);
        for (var k = 0u; k < ${mc4}u; k++) {
          Y[${entry('i', '1u + k')}] = M[${vec4Index(maps, 'n', 'row', 'col', 'k')}];
        }
      }
    }
  }
  workgroupBarrier();
  let total = atomicLoad(&found);
  let stored = min(total, ${cap}u);
  if (t == 0u) {
    Y[${vec4Index(y, 'n', '0u', '0u', '0u')}] = vec4<f32>(f32(total), f32(stored), 0.0, 0.0);
    for (var k = 1u; k < ${e4}u; k++) {
      Y[${vec4Index(y, 'n', '0u', '0u', 'k')}] = vec4<f32>(0.0);
    }
  }
  for (var i = stored + t; i < ${cap}u; i += ${wg}u) {
    for (var k = 0u; k < ${e4}u; k++) {
      Y[${entry('i', 'k')}] = vec4<f32>(0.0);
    }
  }
}`;
}
