import type { Tensor } from '../engine/index.ts';
import { activationWGSL, addendWGSL, vec4Index, type ActivationKind, type WindowShape } from './common.ts';

export interface DepthwiseConv2dSpec {
  x: Tensor;
  y: Tensor;
  win: WindowShape;
  /** Depth multiplier: output channel o reads input channel floor(o / m). */
  m: number;
  /** Consecutive output pixels along x per thread. */
  tx: number;
  wgX: number;
  wgY: number;
  act: ActivationKind;
  residual?: Tensor;
}

/**
 * Depthwise convolution on nhwc4 tensors. Each thread computes one vec4 of output channels at tx
 * consecutive output pixels of a row: per kernel row it loads the (tx - 1) * sw + kw input vec4s
 * those outputs need once and kw weight vec4s, and every input vec4 feeds up to kw outputs
 * (register blocking along x; the kernel row loop is the only loop, the rest is unrolled for the
 * shapes it is built for). Neighbouring threads take neighbouring channel groups of the same
 * pixels, so the loads coalesce. With m = 1 output group c4 reads input group c4 as one vec4;
 * with m > 1 each lane gathers its own input channel from X viewed as scalars.
 *
 * Weights are [kh][kw][co4] vec4s (lane = output channel). Out-of-map columns and rows are
 * zero (rows are skipped, columns selected to 0 from a clamped address). The epilogue is
 * conv2d's: acc*scale + shift, + residual, activation.
 */
export function depthwiseConv2dWGSL(s: DepthwiseConv2dSpec): string {
  const { x, y, tx, m } = s;
  const { kh, kw, sh, sw, pad } = s.win;
  const [, ih, iw, c] = x.shape;
  const [, oh, ow, co] = y.shape;
  const co4 = Math.ceil(co / 4);
  const xBlocks = Math.ceil(ow / tx);
  const cols = [...Array((tx - 1) * sw + kw).keys()];
  const outs = [...Array(tx).keys()];
  const taps = [...Array(kw).keys()];
  const load = (j: number) =>
    m === 1
      ? `X[${vec4Index(x, 'n', 'ry', `cx${j}`, 'c4')}]`
      : `gather(${vec4Index(x, 'n', 'ry', `cx${j}`, '0u')}, ch)`;
  return `
@group(0) @binding(0) var<storage, read> X: array<${m === 1 ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read> Wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> SS: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
${s.residual ? '@group(0) @binding(4) var<storage, read> R: array<vec4<f32>>;' : ''}
${
  m === 1
    ? ''
    : `
// The 4 lanes' input channels ch of the pixel whose first vec4 is p.
fn gather(p: u32, ch: vec4<u32>) -> vec4<f32> {
  let b = p * 4u;
  return vec4<f32>(X[b + ch.x], X[b + ch.y], X[b + ch.z], X[b + ch.w]);
}`
}

@compute @workgroup_size(${s.wgX}, ${s.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let b = gid.y;
  let n = gid.z;
  if (c4 >= ${co4}u || b >= ${oh * xBlocks}u) { return; }
  let oy = b / ${xBlocks}u;
  let ox0 = (b % ${xBlocks}u) * ${tx}u;
  let ix0 = i32(ox0 * ${sw}u) - ${pad.left};
  ${m === 1 ? '' : `// Padded output lanes read channel c - 1 (finite) times a zero weight.
  let ch = min((vec4<u32>(c4 * 4u) + vec4<u32>(0u, 1u, 2u, 3u)) / vec4<u32>(${m}u), vec4<u32>(${c - 1}u));`}
  ${cols.map((j) => `let ok${j} = ix0 + ${j} >= 0 && ix0 + ${j} < ${iw}; let cx${j} = u32(clamp(ix0 + ${j}, 0, ${iw - 1}));`).join('\n  ')}
  ${outs.map((t) => `var a${t} = vec4<f32>(0.0);`).join(' ')}
  for (var ky = 0u; ky < ${kh}u; ky++) {
    let iy = i32(oy * ${sh}u + ky) - ${pad.top};
    if (iy < 0 || iy >= ${ih}) { continue; }
    let ry = u32(iy);
    ${cols.map((j) => `let x${j} = select(vec4<f32>(0.0), ${load(j)}, ok${j});`).join('\n    ')}
    let wb = ky * ${kw * co4}u + c4;
    ${taps.map((k) => `let w${k} = Wt[wb + ${k * co4}u];`).join(' ')}
    ${outs.map((t) => `a${t} += ${taps.map((k) => `x${t * sw + k} * w${k}`).join(' + ')};`).join('\n    ')}
  }
  ${outs
    .map(
      (t) => `if (ox0 + ${t}u < ${ow}u) {
    let ox = ox0 + ${t}u;
    var v = a${t} * SS[c4] + SS[${co4}u + c4];
    ${s.residual ? addendWGSL('v', 'R', s.residual, co, 'n', 'oy', 'ox', 'c4') : ''}
    ${activationWGSL(s.act, 'v', `SS[${2 * co4}u + c4]`)}
    Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = v;
  }`,
    )
    .join('\n  ')}
}`;
}
