import type { Tensor } from '../engine/index.ts';
import { f32, vec4Index } from './common.ts';

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

/**
 * Global average pool as a parallel reduction. Workgroup (block of wgX channel groups, n):
 * thread (lx, ly) sums pixels ly, ly + wgY, ... of channel group lx in a vec4 register, so a
 * warp reads wgX neighbouring vec4s of several pixels at once; then a tree over ly in workgroup
 * memory (log2(wgY) barrier steps, all in uniform control flow) and row 0 stores the means.
 *
 * Interleaved mode (TAM's 768-vector, index c*3+t): channel c goes to float c*count + index of
 * the output, stored as single floats; `count` dispatches with index 0..count-1 fill every lane.
 * The index-0 dispatch also zeroes the padded tail of the output vector (C*count not a multiple
 * of 4) so the padding invariant holds whatever order the dispatches run in.
 */
export function globalAvgPoolWGSL(s: GlobalAvgPoolSpec): string {
  const { x, y, wgX, wgY, count } = s;
  const [, h, w, c] = x.shape;
  const c4 = Math.ceil(c / 4);
  const npix = h * w;
  const inter = count > 1;
  const steps: number[] = [];
  for (let st = wgY / 2; st >= 1; st /= 2) steps.push(st);
  const yc = y.channels;
  const tail = inter && s.index === 0 && yc % 4 !== 0 ? [...Array(4 - (yc % 4)).keys()].map((i) => yc + i) : [];
  const ybase = `(${vec4Index(y, 'n', '0u', '0u', '0u')}) * 4u`;
  const store = inter
    ? `let v = red[lx] * ${f32(1 / npix)};
    let base = ${ybase} + c4 * ${4 * count}u + ${s.index}u;
    for (var j = 0u; j < 4u; j++) {
      if (c4 * 4u + j < ${c}u) { Y[base + j * ${count}u] = v[j]; }
    }`
    : `Y[${vec4Index(y, 'n', '0u', '0u', 'c4')}] = red[lx] * ${f32(1 / npix)};`;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<${inter ? 'f32' : 'vec4<f32>'}>;

var<workgroup> red: array<vec4<f32>, ${wgX * wgY}>;

@compute @workgroup_size(${wgX}, ${wgY}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let lx = lid.x;
  let ly = lid.y;
  let c4 = wid.x * ${wgX}u + lx;
  let n = wid.y;
  var acc = vec4<f32>(0.0);
  if (c4 < ${c4}u) {
    let b = ${vec4Index(x, 'n', '0u', '0u', 'c4')};
    for (var p = ly; p < ${npix}u; p += ${wgY}u) { acc += X[b + p * ${x.c4Stride}u]; }
  }
  red[ly * ${wgX}u + lx] = acc;
  workgroupBarrier();
  ${steps
    .map(
      (st) => `if (ly < ${st}u) { red[ly * ${wgX}u + lx] += red[(ly + ${st}u) * ${wgX}u + lx]; }
  workgroupBarrier();`,
    )
    .join('\n  ')}
  if (ly == 0u && c4 < ${c4}u) {
    ${store}
  }
  ${tail.length ? `if (wid.x == 0u && lx == 0u && ly == 0u) { ${tail.map((ch) => `Y[${ybase} + ${ch}u] = 0.0;`).join(' ')} }` : ''}
}`;
}
