import type { Tensor } from '../engine/index.ts';
import { laneMask, vec4Index } from './common.ts';

export interface SigmoidSpec {
  x: Tensor;
  y: Tensor;
  /** Threads per workgroup (1-D over all vec4s of the output). */
  wg: number;
}

/**
 * Elementwise logistic sigmoid, one vec4 per thread over (n, pixel, channel group). sigmoid(0)
 * is 0.5, so the padded lanes of the last channel group are selected to 0 by channel index.
 */
export function sigmoidWGSL(s: SigmoidSpec): string {
  const { x, y, wg } = s;
  const [n, h, w, c] = y.shape;
  const c4 = Math.ceil(c / 4);
  const total = n * h * w * c4;
  const ragged = c % 4 !== 0;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * ${wg * 65535}u;
  if (i >= ${total}u) { return; }
  let c4 = i % ${c4}u;
  let q = i / ${c4}u;
  let ox = q % ${w}u;
  let oy = (q / ${w}u) % ${h}u;
  let n = q / ${w * h}u;
  let v = 1.0 / (1.0 + exp(-X[${vec4Index(x, 'n', 'oy', 'ox', 'c4')}]));
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = ${ragged ? `select(vec4<f32>(0.0), v, ${laneMask('c4', c)})` : 'v'};
}`;
}
