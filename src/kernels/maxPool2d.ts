import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, channelPixelTile, outputTensor, paramWords, slidingWindow, type Pair, type Padding } from './common.ts';
import { maxPool2dParams, maxPool2dWGSL } from './maxPool2d.wgsl.ts';

export interface MaxPool2dOptions {
  kernel: number | Pair;
  /** Defaults to the kernel size (PyTorch). */
  stride?: number | Pair;
  /**
   * Implicit -inf padding (padded cells never win): a number or [h, w] for both sides, or each
   * side (TensorFlow's asymmetric SAME). Each side must be smaller than the kernel.
   */
  padding?: Padding;
  out?: Tensor;
}

/**
 * nn.MaxPool2d(kernel, stride, padding), floor mode, or TFLite MAX_POOL_2D with explicit SAME
 * pads: x [N, H, W, C] -> [N, floor((H + top + bottom - kh) / sh) + 1, ..., C].
 */
export function maxPool2d(g: Graph, name: string, x: Tensor, o: MaxPool2dOptions): Tensor {
  const what = `maxPool2d '${name}'`;
  const win = slidingWindow(what, x, o, 'kernel');
  const { pad, oh, ow } = win;
  // Then every window holds at least one real pixel (TensorFlow's SAME pads never reach the kernel size).
  if (Math.max(pad.top, pad.bottom) >= win.kh || Math.max(pad.left, pad.right) >= win.kw)
    throw new ShapeError(`${what}: padding ${pad.top},${pad.bottom},${pad.left},${pad.right} must be smaller than kernel ${win.kh}x${win.kw} on each side`);
  const [n, , , c] = x.shape;
  const y = outputTensor(g, name, 'maxPool2d', o.out, [n, oh, ow, c]);
  const c4 = ceilDiv(c, 4);
  const [wgX, wgY] = channelPixelTile(c4);
  const params = maxPool2dParams({ x, y, win, wgX, wgY });
  g.add(name, {
    kernel: 'maxPool2d',
    key: '',
    wgsl: () => maxPool2dWGSL(params),
    params: paramWords(params),
    workgroups: [ceilDiv(c4, wgX), ceilDiv(oh * ow, wgY), n],
    bindings: [
      { tensor: x, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: n * oh * ow * c * win.kh * win.kw,
    bytes: 4 * n * pad4(c) * (oh * ow * win.kh * win.kw + oh * ow),
  });
  return y;
}
