import type { Constant, Tensor } from '../engine/index.ts';
import { activationWGSL, channelPixelEntryWGSL, paramsWGSL, tensorParams, u32Param, vec4IndexParams, weightBufferWGSL, type ActivationKind, type Param, type WindowShape } from './common.ts';

export interface DepthwiseConv2dSpec {
  x: Tensor;
  y: Tensor;
  /** Packed weights (f32 or f16 pairs). */
  w: Constant;
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
/** Shape values the kernel reads from its params (kernel width, x stride and tx stay baked in: they size the unrolled row). */
export function depthwiseConv2dParams(s: DepthwiseConv2dSpec): Param[] {
  const { x, y, win } = s;
  const [, oh, ow, co] = y.shape;
  return [
    ...tensorParams('x', x), ...tensorParams('y', y),
    u32Param('co4', Math.ceil(co / 4)), u32Param('xBlocks', Math.ceil(ow / s.tx)), u32Param('blocks', oh * Math.ceil(ow / s.tx)), u32Param('wgX', s.wgX),
    u32Param('sh', win.sh), { name: 'padT', type: 'i32', value: win.pad.top }, { name: 'padL', type: 'i32', value: win.pad.left },
    u32Param('m', s.m), u32Param('cLast', x.channels - 1),
    ...(s.residual ? [...tensorParams('r', s.residual), u32Param('r4', Math.ceil(s.residual.channels / 4))] : []),
  ];
}

export function depthwiseConv2dWGSL(s: DepthwiseConv2dSpec, params: readonly Param[]): string {
  const { tx, m } = s;
  const { kh, kw, sw } = s.win;
  const cols = [...Array((tx - 1) * sw + kw).keys()];
  const outs = [...Array(tx).keys()];
  const taps = [...Array(kw).keys()];
  const load = (j: number) =>
    m === 1
      ? `X[${vec4IndexParams('x', 'n', 'ry', `cx${j}`, 'c4')}]`
      : `gather(${vec4IndexParams('x', 'n', 'ry', `cx${j}`, '0u')}, ch)`;
  return `
@group(0) @binding(0) var<storage, read> X: array<${m === 1 ? 'vec4<f32>' : 'f32'}>;
${weightBufferWGSL(s.w, 1, 'Wt', 'wv', 'vec4')}
@group(0) @binding(2) var<storage, read> SS: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
${s.residual ? '@group(0) @binding(4) var<storage, read> R: array<vec4<f32>>;' : ''}
${paramsWGSL(params, s.residual ? 5 : 4)}
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

${channelPixelEntryWGSL('c4', 'b')}
  let co4 = P.co4;
  if (c4 >= co4 || b >= P.blocks) { return; }
  let ih = i32(P.xH);
  let iw = i32(P.xW);
  let oy = b / P.xBlocks;
  let ox0 = (b % P.xBlocks) * ${tx}u;
  let ix0 = i32(ox0 * ${sw}u) - P.padL;
  ${m === 1 ? '' : `// Padded output lanes read channel c - 1 (finite) times a zero weight.
  let ch = min((vec4<u32>(c4 * 4u) + vec4<u32>(0u, 1u, 2u, 3u)) / vec4<u32>(P.m), vec4<u32>(P.cLast));`}
  ${cols.map((j) => `let ok${j} = ix0 + ${j} >= 0 && ix0 + ${j} < iw; let cx${j} = u32(clamp(ix0 + ${j}, 0, iw - 1));`).join('\n  ')}
  ${outs.map((t) => `var a${t} = vec4<f32>(0.0);`).join(' ')}
  for (var ky = 0u; ky < ${kh}u; ky++) {
    let iy = i32(oy * P.sh + ky) - P.padT;
    if (iy < 0 || iy >= ih) { continue; }
    let ry = u32(iy);
    ${cols.map((j) => `let x${j} = select(vec4<f32>(0.0), ${load(j)}, ok${j});`).join('\n    ')}
    let wb = ky * ${kw}u * co4 + c4;
    ${taps.map((k) => `let w${k} = wv(wb + ${k}u * co4);`).join(' ')}
    ${outs.map((t) => `a${t} += ${taps.map((k) => `x${t * sw + k} * w${k}`).join(' + ')};`).join('\n    ')}
  }
  ${outs
    .map(
      (t) => `if (ox0 + ${t}u < P.yW) {
    let ox = ox0 + ${t}u;
    var v = a${t} * SS[c4] + SS[co4 + c4];
    ${s.residual ? `if (c4 < P.r4) { v += R[${vec4IndexParams('r', 'n', 'oy', 'ox', 'c4')}]; }` : ''}
    ${activationWGSL(s.act, 'v', 'SS[2u * co4 + c4]')}
    Y[${vec4IndexParams('y', 'n', 'oy', 'ox', 'c4')}] = v;
  }`,
    )
    .join('\n  ')}
}`;
}
