import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, channelPixelTile, outputTensor, pair, place, type Pair } from './common.ts';
import { maxPool2dWGSL } from './maxPool2d.wgsl.ts';

export interface MaxPool2dOptions {
  kernel: number | Pair;
  /** Defaults to the kernel size (PyTorch). */
  stride?: number | Pair;
  /** Implicit -inf padding, at most half the kernel (PyTorch's rule). */
  padding?: number | Pair;
  out?: Tensor;
}

/**
 * nn.MaxPool2d(kernel, stride, padding), floor mode: x [N, H, W, C] ->
 * [N, floor((H + 2ph - kh) / sh) + 1, floor((W + 2pw - kw) / sw) + 1, C].
 */
export function maxPool2d(g: Graph, name: string, x: Tensor, o: MaxPool2dOptions): Tensor {
  const [kh, kw] = pair(o.kernel, 1, `maxPool2d '${name}' kernel`);
  const [sh, sw] = o.stride === undefined ? [kh, kw] : pair(o.stride, 1, `maxPool2d '${name}' stride`);
  const [ph, pw] = pair(o.padding, 0, `maxPool2d '${name}' padding`);
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1) throw new ShapeError(`maxPool2d '${name}': kernel and stride must be >= 1`);
  if (2 * ph > kh || 2 * pw > kw)
    throw new ShapeError(`maxPool2d '${name}': padding ${ph},${pw} must be at most half of kernel ${kh}x${kw}`);
  const [n, ih, iw, c] = x.shape;
  const oh = Math.floor((ih + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((iw + 2 * pw - kw) / sw) + 1;
  if (oh < 1 || ow < 1)
    throw new ShapeError(`maxPool2d '${name}': input '${x.name}' ${ih}x${iw} is smaller than kernel ${kh}x${kw} with padding ${ph},${pw}`);
  const y = outputTensor(g, name, 'maxPool2d', o.out, [n, oh, ow, c]);
  const c4 = ceilDiv(c, 4);
  const [wgX, wgY] = channelPixelTile(c4);
  const spec = { x, y, kh, kw, sh, sw, ph, pw, wgX, wgY };
  g.add(name, {
    kernel: 'maxPool2d',
    key: `${place(x)}>${place(y)} k${kh}x${kw} s${sh}x${sw} p${ph}x${pw}`,
    wgsl: () => maxPool2dWGSL(spec),
    workgroups: [ceilDiv(c4, wgX), ceilDiv(oh * ow, wgY), n],
    bindings: [
      { tensor: x, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: n * oh * ow * c * kh * kw,
    bytes: 4 * n * pad4(c) * (oh * ow * kh * kw + oh * ow),
  });
  return y;
}
