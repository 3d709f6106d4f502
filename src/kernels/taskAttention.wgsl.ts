import type { Tensor } from '../engine/index.ts';
import { laneMask, vec4Index } from './common.ts';

export interface TaskAttentionSpec {
  logits: Tensor;
  feats: [Tensor, Tensor, Tensor];
  y: Tensor;
  /** Output pixels per thread (they share one softmax). */
  tp: number;
  wgX: number;
  wgY: number;
}

/**
 * TAM's weighted sum: per channel c, a_t = softmax over t of logits[c*3 + t] (max subtracted),
 * out = sum_t a_t * feats[t]. A thread takes one vec4 of channels at tp pixels: its 12 logits are
 * the three vec4s 3*c4 .. 3*c4+2 of the logits vector, de-interleaved with swizzles, and the
 * softmax is computed once for all tp pixels. When C is not a multiple of 4 the last group's
 * reads are clamped to the logits vector and its padded lanes are selected to 0.
 */
export function taskAttentionWGSL(s: TaskAttentionSpec): string {
  const { logits, feats, y, tp } = s;
  const [, h, w, c] = y.shape;
  const c4 = Math.ceil(c / 4);
  const npix = h * w;
  const l4 = Math.ceil(logits.channels / 4);
  const ragged = c % 4 !== 0;
  const lidx = (k: number) => (ragged ? `min(3u * c4 + ${k}u, ${l4 - 1}u)` : `3u * c4 + ${k}u`);
  const pix = [...Array(tp).keys()];
  return `
@group(0) @binding(0) var<storage, read> L: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> F0: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> F1: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> F2: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${s.wgX}, ${s.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let pb = gid.y * ${tp}u;
  let n = gid.z;
  if (c4 >= ${c4}u || pb >= ${npix}u) { return; }
  let lb = ${vec4Index(logits, 'n', '0u', '0u', '0u')};
  let q0 = L[lb + ${lidx(0)}];
  let q1 = L[lb + ${lidx(1)}];
  let q2 = L[lb + ${lidx(2)}];
  // (c0t0 c0t1 c0t2 c1t0) (c1t1 c1t2 c2t0 c2t1) (c2t2 c3t0 c3t1 c3t2) -> one vec4 per task.
  let l0 = vec4<f32>(q0.x, q0.w, q1.z, q2.y);
  let l1 = vec4<f32>(q0.y, q1.x, q1.w, q2.z);
  let l2 = vec4<f32>(q0.z, q1.y, q2.x, q2.w);
  let m = max(l0, max(l1, l2));
  let e0 = exp(l0 - m);
  let e1 = exp(l1 - m);
  let e2 = exp(l2 - m);
  let inv = 1.0 / (e0 + e1 + e2);
  ${ragged ? `let keep = ${laneMask('c4', c)};
  let a0 = select(vec4<f32>(0.0), e0 * inv, keep);
  let a1 = select(vec4<f32>(0.0), e1 * inv, keep);
  let a2 = select(vec4<f32>(0.0), e2 * inv, keep);` : `let a0 = e0 * inv;
  let a1 = e1 * inv;
  let a2 = e2 * inv;`}
  ${pix
    .map(
      (i) => `if (pb + ${i}u < ${npix}u) {
    let p = pb + ${i}u;
    let oy = p / ${w}u;
    let ox = p % ${w}u;
    let v = a0 * F0[${vec4Index(feats[0], 'n', 'oy', 'ox', 'c4')}] + a1 * F1[${vec4Index(feats[1], 'n', 'oy', 'ox', 'c4')}] + a2 * F2[${vec4Index(feats[2], 'n', 'oy', 'ox', 'c4')}];
    Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = ${ragged ? 'select(vec4<f32>(0.0), v, keep)' : 'v'};
  }`,
    )
    .join('\n  ')}
}`;
}
