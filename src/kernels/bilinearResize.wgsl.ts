import type { Tensor } from '../engine/index.ts';
import { bilinearSampler, vec4Index, type ResizeCoordinates } from './common.ts';

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
export function bilinearResizeWGSL(s: BilinearResizeSpec): string {
  const { x, y } = s;
  const [, oh, ow, c] = y.shape;
  const c4 = Math.ceil(c / 4);
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;
${bilinearSampler('sample', 'X', x, oh, ow, s.coordinates)}

@compute @workgroup_size(${s.wgX}, ${s.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let p = gid.y;
  let n = gid.z;
  if (c4 >= ${c4}u || p >= ${oh * ow}u) { return; }
  let oy = p / ${ow}u;
  let ox = p % ${ow}u;
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = sample(n, oy, ox, c4);
}`;
}
