import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, outputTensor, packScaleShift, place, weightBytes, weightKey } from './common.ts';
import { denseChainWGSL, type DenseLayerSpec } from './denseChain.wgsl.ts';

export interface DenseLayer {
  /** PyTorch layout [Out, In] (a Linear, or a 1x1 conv's [Out, In, 1, 1]). */
  weight: Float32Array;
  bias?: Float32Array;
  /** y = (W x + bias) * scale + shift (a folded BatchNorm), then ReLU if asked. */
  scale?: Float32Array;
  shift?: Float32Array;
  relu?: boolean;
}

export interface DenseChainOptions {
  out?: Tensor;
}

/** Widest intermediate vector: two such buffers (16 KB) plus scratch fit in workgroup memory. */
export const DENSE_MAX_WIDTH = 2048;
const THREADS = 256;
/** Workgroup memory the chain may use (the 32 KB that desktop adapters give; TAM and the regressor need under 16 KB). */
const MAX_WORKGROUP_BYTES = 32768;

/**
 * A chain of dense layers (1x1 convs on a 1x1 map) in one dispatch: x [N, 1, 1, In] ->
 * [N, 1, 1, Out of the last layer]. Each layer's In is the previous width; its Out is
 * weight.length / In. Intermediate widths are at most 2048 (they live in workgroup memory);
 * the input and the output are not limited. TAM's six 1x1 convs on 768 values and the regressor's 2048->512->512->512->61
 * MLP each run as one of these.
 */
export function denseChain(g: Graph, name: string, x: Tensor, layers: DenseLayer[], o: DenseChainOptions = {}): Tensor {
  const [n, h, w, c] = x.shape;
  if (h !== 1 || w !== 1) throw new ShapeError(`denseChain '${name}': input '${x.name}' must be [N, 1, 1, C], got [${x.shape}]`);
  if (layers.length < 1) throw new ShapeError(`denseChain '${name}': no layers`);
  let width = c;
  const widths = [c];
  for (const [i, l] of layers.entries()) {
    const out = l.weight.length / width;
    if (!Number.isInteger(out) || out < 1)
      throw new ShapeError(`denseChain '${name}' layer ${i}: weight has ${l.weight.length} values, not [Out, ${width}] for its input width ${width}`);
    for (const [what, v] of [['bias', l.bias], ['scale', l.scale], ['shift', l.shift]] as const)
      if (v && v.length !== out) throw new ShapeError(`denseChain '${name}' layer ${i}: ${what} has ${v.length} values, expected ${out}`);
    width = out;
    widths.push(out);
  }
  // The input is read from memory and the output stored there; what lives in workgroup memory is
  // every width in between.
  const tooWide = widths.findIndex((v, i) => i > 0 && i < layers.length && v > DENSE_MAX_WIDTH);
  if (tooWide >= 0)
    throw new ShapeError(`denseChain '${name}': layer ${tooWide - 1} outputs ${widths[tooWide]} values, more than the ${DENSE_MAX_WIDTH} an intermediate vector may hold`);
  const y = outputTensor(g, name, 'denseChain', o.out, [n, 1, 1, width]);

  // Two constant buffers: every layer's packed weights (at the graph's weight precision), and
  // every layer's scale then shift (f32); the vec4 offsets are baked into the kernel.
  const weights = new Float32Array(layers.reduce((a, _, i) => a + pad4(widths[i]) * pad4(widths[i + 1]), 0));
  const ss = new Float32Array(widths.slice(1).reduce((a, v) => a + 2 * pad4(v), 0));
  const specs: DenseLayerSpec[] = [];
  let wAt = 0;
  let ssAt = 0;
  for (const [i, l] of layers.entries()) {
    const inW = widths[i];
    const outW = widths[i + 1];
    const in4 = ceilDiv(inW, 4);
    const out4 = ceilDiv(outW, 4);
    for (let oc = 0; oc < outW; oc++)
      for (let ic = 0; ic < inW; ic++)
        weights[wAt + (((ic >> 2) * out4 + (oc >> 2)) * 4 + (ic & 3)) * 4 + (oc & 3)] = l.weight[oc * inW + ic];
    ss.set(packScaleShift(outW, out4 * 4, l.scale, l.shift, l.bias), ssAt);
    let slices = 1;
    while (slices * 2 * out4 <= THREADS && slices * 2 <= in4) slices *= 2;
    specs.push({ in4, out4, slices, wOff: wAt / 4, ssOff: ssAt / 4, relu: !!l.relu });
    wAt += in4 * out4 * 16;
    ssAt += out4 * 8;
  }
  // Layer i (not the last) writes A when i is even, B when odd.
  const maxOut = (parity: number) => Math.max(0, ...specs.slice(0, -1).filter((_, i) => i % 2 === parity).map((s) => s.out4));
  const aSize = maxOut(0);
  const bSize = maxOut(1);
  const partSize = Math.max(0, ...specs.filter((s) => s.slices > 1).map((s) => s.slices * s.out4));
  const shared = 16 * (aSize + bSize + partSize);
  if (shared > MAX_WORKGROUP_BYTES)
    throw new ShapeError(`denseChain '${name}': widths [${widths}] need ${shared} bytes of workgroup memory, more than ${MAX_WORKGROUP_BYTES}`);
  const wt = g.weights(`${name}.weight`, weights);
  const spec = { x, y, w: wt, layers: specs, threads: THREADS, aSize, bSize, partSize };
  const macs = widths.slice(1).reduce((s, v, i) => s + v * widths[i], 0);
  g.add(name, {
    kernel: 'denseChain',
    key: `${place(x)}>${place(y)} ${widths.join('-')} r${layers.map((l) => +!!l.relu).join('')}${weightKey(wt)}`,
    wgsl: () => denseChainWGSL(spec),
    workgroups: [n, 1, 1],
    bindings: [
      { tensor: x, access: 'read' },
      { constant: wt },
      { constant: g.constant(`${name}.scaleShift`, ss) },
      { tensor: y, access: 'write' },
    ],
    flops: 2 * n * macs,
    bytes: weightBytes(wt) * weights.length + 4 * (ss.length + n * (pad4(c) + pad4(width))),
  });
  return y;
}
