import type { Tensor } from '../engine/index.ts';
import { vec4Index, type WindowShape } from './common.ts';

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
export function maxPool2dWGSL(s: MaxPool2dSpec): string {
  const { x, y } = s;
  const { kh, kw, sh, sw, pad } = s.win;
  const [, ih, iw] = x.shape;
  const [, oh, ow, c] = y.shape;
  const c4 = Math.ceil(c / 4);
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${s.wgX}, ${s.wgY}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let p = gid.y;
  let n = gid.z;
  if (c4 >= ${c4}u || p >= ${oh * ow}u) { return; }
  let oy = p / ${ow}u;
  let ox = p % ${ow}u;
  let ys = i32(oy * ${sh}u) - ${pad.top};
  let xs = i32(ox * ${sw}u) - ${pad.left};
  let y0 = u32(max(ys, 0));
  let x0 = u32(max(xs, 0));
  let y1 = u32(min(ys + ${kh}, ${ih}));
  let x1 = u32(min(xs + ${kw}, ${iw}));
  var m = X[${vec4Index(x, 'n', 'y0', 'x0', 'c4')}];
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      m = max(m, X[${vec4Index(x, 'n', 'iy', 'ix', 'c4')}]);
    }
  }
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = m;
}`;
}
