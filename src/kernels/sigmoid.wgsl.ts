import type { Tensor } from '../engine/index.ts';
import { laneMask, vec4Index, vec4ThreadWGSL } from './common.ts';

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
  const c = y.channels;
  const ragged = c % 4 !== 0;
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${vec4ThreadWGSL(wg, y.shape)}
  let v = 1.0 / (1.0 + exp(-X[${vec4Index(x, 'n', 'oy', 'ox', 'c4')}]));
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = ${ragged ? `select(vec4<f32>(0.0), v, ${laneMask('c4', c)})` : 'v'};
}`;
}
