import type { Tensor } from '../engine/index.ts';
import { bilinearSamplerParams, channelPixelEntryWGSL, paramsWGSL, samplerParams, tensorParams, u32Param, vec4IndexParams, type Param, type ResizeCoordinates } from './common.ts';

export interface BilinearResizeSpec {
  x: Tensor;
  y: Tensor;
  coordinates: ResizeCoordinates;
  wgX: number;
  wgY: number;
}

/**
 * Bilinear resize (F.interpolate(mode='bilinear'), TFLite RESIZE_BILINEAR), one vec4 of channels at one output pixel per
 * thread: four vec4 taps, mixed. Neighbouring threads take neighbouring channel groups of the
 * same taps, so the loads coalesce. Padded lanes mix zeros and stay 0.
 */
export function bilinearResizeParams(s: BilinearResizeSpec): Param[] {
  const [, oh, ow, c] = s.y.shape;
  return [...samplerParams('x', s.x, oh, ow, s.coordinates), ...tensorParams('y', s.y), u32Param('c4', Math.ceil(c / 4)), u32Param('npix', oh * ow), u32Param('wgX', s.wgX)];
}

export function bilinearResizeWGSL(s: BilinearResizeSpec, params: readonly Param[]): string {
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;
${paramsWGSL(params, 2)}
${bilinearSamplerParams('sample', 'X', 'x', s.coordinates)}

${channelPixelEntryWGSL('c4', 'p')}
  if (c4 >= P.c4 || p >= P.npix) { return; }
  let oy = p / P.yW;
  let ox = p % P.yW;
  Y[${vec4IndexParams('y', 'n', 'oy', 'ox', 'c4')}] = sample(n, oy, ox, c4);
}`;
}
