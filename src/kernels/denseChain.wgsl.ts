import type { Constant, Tensor } from '../engine/index.ts';
import { vec4Index, weightBufferWGSL } from './common.ts';

export interface DenseLayerSpec {
  /** Input and output widths in vec4 groups. */
  in4: number;
  out4: number;
  /** Input slices (split-K): out4 * slices <= threads, a power of two. */
  slices: number;
  /** vec4 offsets of the layer's packed weights (in the weight buffer) and of its scale (shift follows, in the scale/shift buffer). */
  wOff: number;
  ssOff: number;
  relu: boolean;
}

export interface DenseChainSpec {
  x: Tensor;
  y: Tensor;
  /** Every layer's packed weights (f32 or f16 pairs). */
  w: Constant;
  layers: DenseLayerSpec[];
  threads: number;
  /** vec4 sizes of the two activation buffers (even layers write A, odd layers write B; 0 = unused). */
  aSize: number;
  bSize: number;
  /** vec4 size of the split-K scratch (0 when no layer splits). */
  partSize: number;
}

/**
 * A chain of small dense layers on one vector per batch item, in one dispatch: one workgroup per
 * item. Layer 0 reads its input straight from X (every thread of a slice reads the same word, a
 * cache broadcast), so the 2048-wide regressor input costs no workgroup memory; intermediate
 * activations ping-pong between two workgroup arrays (layer 0 writes A, layer 1 reads A and
 * writes B, ...), a barrier between layers, and the last layer stores to the output.
 *
 * Weights are packed per layer as [in4][out4][4] vec4s (entry j of group (i4, o4) holds input
 * i4*4+j for outputs o4*4..o4*4+3), so thread o4 does 16 multiply-adds per 4 vec4 loads and
 * neighbouring threads read neighbouring 64-byte blocks. When a layer has fewer output groups
 * than threads, the input is split over `slices` thread groups (thread t: o4 = t % out4,
 * slice t / out4, inputs i4 = slice, slice + slices, ...) and the partial sums are reduced by a
 * tree in workgroup memory, so narrow layers (61 outputs) still use every thread.
 * Epilogue y = acc * scale + shift (bias folded into shift) then ReLU; padded output lanes have
 * zero weights, scale and shift and so stay 0.
 */
export function denseChainWGSL(s: DenseChainSpec): string {
  const T = s.threads;
  const last = s.layers.length - 1;
  const body = s.layers.map((l, li) => {
    const src = li === 0 ? 'X' : li % 2 === 1 ? 'A' : 'B';
    const dst = li % 2 === 0 ? 'A' : 'B';
    const at = (i4: string) => (li === 0 ? `X[${vec4Index(s.x, 'n', '0u', '0u', i4)}]` : `${src}[${i4}]`);
    const store = (v: string, o4: string) =>
      li === last ? `Y[${vec4Index(s.y, 'n', '0u', '0u', o4)}] = ${v};` : `${dst}[${o4}] = ${v};`;
    const epi = (acc: string, o4: string) =>
      `var v = ${acc} * SS[${l.ssOff}u + ${o4}] + SS[${l.ssOff + l.out4}u + ${o4}];${l.relu ? ' v = max(v, vec4<f32>(0.0));' : ''} ${store('v', o4)}`;
    const dot = (o4: string, first: string, step: number) => `var acc = vec4<f32>(0.0);
    for (var i4 = ${first}; i4 < ${l.in4}u; i4 += ${step}u) {
      let a = ${at('i4')};
      let w = ${l.wOff}u + (i4 * ${l.out4}u + ${o4}) * 4u;
      acc += a.x * wv(w) + a.y * wv(w + 1u) + a.z * wv(w + 2u) + a.w * wv(w + 3u);
    }`;
    let code: string;
    if (l.slices === 1) {
      code = `for (var o4 = t; o4 < ${l.out4}u; o4 += ${T}u) {
    ${dot('o4', '0u', 1)}
    ${epi('acc', 'o4')}
  }`;
    } else {
      const steps: number[] = [];
      for (let st = l.slices / 2; st >= 1; st /= 2) steps.push(st);
      code = `{
    let o4 = t % ${l.out4}u;
    let sl = t / ${l.out4}u;
    if (sl < ${l.slices}u) {
      ${dot('o4', 'sl', l.slices)}
      part[t] = acc;
    }
  }
  workgroupBarrier();
  ${steps
    .map(
      (st) => `if (t < ${st * l.out4}u) { part[t] += part[t + ${st * l.out4}u]; }
  workgroupBarrier();`,
    )
    .join('\n  ')}
  if (t < ${l.out4}u) { ${epi('part[t]', 't')} }`;
      // The tree's last barrier orders the partial sums; the store below still needs one.
    }
    return `// layer ${li}: ${l.in4 * 4} -> ${l.out4 * 4}${l.relu ? ', relu' : ''}
  ${code}${li < last ? '\n  workgroupBarrier();' : ''}`;
  });
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
${weightBufferWGSL(s.w, 1, 'Wt', 'wv', 'vec4')}
@group(0) @binding(2) var<storage, read> SS: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;

${s.aSize ? `var<workgroup> A: array<vec4<f32>, ${s.aSize}>;` : ''}
${s.bSize ? `var<workgroup> B: array<vec4<f32>, ${s.bSize}>;` : ''}
${s.partSize ? `var<workgroup> part: array<vec4<f32>, ${s.partSize}>;` : ''}

@compute @workgroup_size(${T}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let n = wid.x;
  ${body.join('\n  ')}
}`;
}
