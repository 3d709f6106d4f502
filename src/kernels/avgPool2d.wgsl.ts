import type { Tensor } from '../engine/index.ts';
import { f32, vec4Index } from './common.ts';

export interface AvgPool2dSpec {
  x: Tensor;
  y: Tensor;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  affine: boolean;
  wgX: number;
  wgY: number;
}

/**
 * Average pooling without padding (every window lies inside the map), one vec4 of 4 channels at
 * one output pixel per thread; x of the workgroup runs over channel groups so neighbouring
 * threads read neighbouring 16-byte words. Window taps are constant offsets from the window's
 * first vec4 (unrolled when the window is small: the bottleneck shortcut's 2x2). Optional
 * epilogue v = v * scale + shift (a folded BatchNorm); padded lanes stay 0 because their inputs,
 * scale and shift are 0.
 */
export function avgPool2dWGSL(s: AvgPool2dSpec): string {
  const { x, y, kh, kw } = s;
  const [, , iw] = x.shape;
  const [, oh, ow, c] = y.shape;
  const c4 = Math.ceil(c / 4);
  const rowStep = iw * x.c4Stride;
  const colStep = x.c4Stride;
  const unroll = kh * kw <= 16;
  const taps = unroll
    ? [...Array(kh * kw).keys()].map((t) => `acc += X[b + ${Math.floor(t / kw) * rowStep + (t % kw) * colStep}u];`).join('\n  ')
    : `for (var i = 0u; i < ${kh}u; i++) {
    for (var j = 0u; j < ${kw}u; j++) { acc += X[b + i * ${rowStep}u + j * ${colStep}u]; }
  }`;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
${s.affine ? '@group(0) @binding(1) var<storage, read> SS: array<vec4<f32>>;' : ''}
@group(0) @binding(${s.affine ? 2 : 1}) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${s.wgX}, ${s.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let p = gid.y;
  let n = gid.z;
  if (c4 >= ${c4}u || p >= ${oh * ow}u) { return; }
  let oy = p / ${ow}u;
  let ox = p % ${ow}u;
  let b = ${vec4Index(x, 'n', `oy * ${s.sh}u`, `ox * ${s.sw}u`, 'c4')};
  var acc = vec4<f32>(0.0);
  ${taps}
  var v = acc * ${f32(1 / (kh * kw))};
  ${s.affine ? `v = v * SS[c4] + SS[${c4}u + c4];` : ''}
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = v;
}`;
}
