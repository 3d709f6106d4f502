import type { Tensor } from '../engine/index.ts';
import { channelPixelEntryWGSL, paramsWGSL, tensorParams, u32Param, vec4IndexParams, type Param, type WindowShape } from './common.ts';

export interface MaxPool2dSpec {
  x: Tensor;
  y: Tensor;
  win: WindowShape;
  wgX: number;
  wgY: number;
}

/**
 * Max pooling, PyTorch semantics (padding counts as -inf, floor mode). One vec4 of channels at one
 * output pixel per thread. Each side's padding is smaller than the kernel, so every window holds at
 * least one real pixel: the loops run over the window clipped to the map and start from its first
 * pixel, so no -inf constant and no per-tap bounds test is needed. Padded lanes are max(0, ..., 0) = 0.
 */
/** Every shape value, window included, comes from the params: one pipeline serves every max pool. */
export function maxPool2dParams(s: MaxPool2dSpec): Param[] {
  const { kh, kw, sh, sw, pad } = s.win;
  const [, oh, ow, c] = s.y.shape;
  return [
    ...tensorParams('x', s.x), ...tensorParams('y', s.y), u32Param('c4', Math.ceil(c / 4)), u32Param('npix', oh * ow), u32Param('wgX', s.wgX),
    u32Param('kh', kh), u32Param('kw', kw), u32Param('sh', sh), u32Param('sw', sw), u32Param('padT', pad.top), u32Param('padL', pad.left),
  ];
}

export function maxPool2dWGSL(params: readonly Param[]): string {
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;
${paramsWGSL(params, 2)}

${channelPixelEntryWGSL('c4', 'p')}
  if (c4 >= P.c4 || p >= P.npix) { return; }
  let oy = p / P.yW;
  let ox = p % P.yW;
  let ys = i32(oy * P.sh) - i32(P.padT);
  let xs = i32(ox * P.sw) - i32(P.padL);
  let y0 = u32(max(ys, 0));
  let x0 = u32(max(xs, 0));
  let y1 = u32(min(ys + i32(P.kh), i32(P.xH)));
  let x1 = u32(min(xs + i32(P.kw), i32(P.xW)));
  var m = X[${vec4IndexParams('x', 'n', 'y0', 'x0', 'c4')}];
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      m = max(m, X[${vec4IndexParams('x', 'n', 'iy', 'ix', 'c4')}]);
    }
  }
  Y[${vec4IndexParams('y', 'n', 'oy', 'ox', 'c4')}] = m;
}`;
}
