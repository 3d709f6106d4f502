import { pad4, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, grid1d, outputTensor, place } from './common.ts';
import { sigmoidWGSL } from './sigmoid.wgsl.ts';

export interface SigmoidOptions {
  out?: Tensor;
}

/** Elementwise 1 / (1 + exp(-x)): the mask head's logit -> probability. Same shape as x. */
export function sigmoid(g: Graph, name: string, x: Tensor, o: SigmoidOptions = {}): Tensor {
  const [n, h, w, c] = x.shape;
  const y = outputTensor(g, name, 'sigmoid', o.out, [n, h, w, c]);
  const wg = 64;
  const vecs = n * h * w * ceilDiv(c, 4);
  const spec = { x, y, wg };
  g.add(name, {
    kernel: 'sigmoid',
    key: `${place(x)}>${place(y)}`,
    wgsl: () => sigmoidWGSL(spec),
    workgroups: grid1d(ceilDiv(vecs, wg)),
    bindings: [
      { tensor: x, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: 4 * n * h * w * c,
    bytes: 8 * n * h * w * pad4(c),
  });
  return y;
}
