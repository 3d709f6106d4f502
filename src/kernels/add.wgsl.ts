import type { Tensor } from '../engine/index.ts';
import { activationWGSL, addendWGSL, vec4Index, vec4ThreadWGSL, type ActivationKind } from './common.ts';

export interface AddSpec {
  a: Tensor;
  b: Tensor;
  y: Tensor;
  /** Threads per workgroup (1-D over all vec4s of the output). */
  wg: number;
  act: ActivationKind;
}

/**
 * a + b then the activation, one vec4 per thread over (n, pixel, channel group). Groups past b's
 * channels take a alone; padded lanes are 0 + 0 and every activation keeps 0 at 0.
 */
export function addWGSL(s: AddSpec): string {
  const { a, b, y, wg } = s;
  return `
@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
${s.act === 'prelu' ? '@group(0) @binding(3) var<storage, read> S: array<vec4<f32>>;' : ''}

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${vec4ThreadWGSL(wg, y.shape)}
  var v = A[${vec4Index(a, 'n', 'oy', 'ox', 'c4')}];
  ${addendWGSL('v', 'B', b, y.channels, 'n', 'oy', 'ox', 'c4')}
  ${activationWGSL(s.act, 'v', 'S[c4]')}
  Y[${vec4Index(y, 'n', 'oy', 'ox', 'c4')}] = v;
}`;
}
