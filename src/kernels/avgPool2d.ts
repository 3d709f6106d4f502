import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, channelPixelTile, outputTensor, packScaleShift, pair, place, type Pair } from './common.ts';
import { avgPool2dWGSL } from './avgPool2d.wgsl.ts';

export interface AvgPool2dOptions {
  kernel: number | Pair;
  /** Defaults to the kernel size (PyTorch). */
  stride?: number | Pair;
  /** Per-channel affine after averaging (a folded BatchNorm: the "AvgPool + BN" shortcut). */
  scale?: Float32Array;
  shift?: Float32Array;
  /** Write into this tensor (e.g. a channel view) instead of a new one. */
  out?: Tensor;
}

/**
 * nn.AvgPool2d(kernel, stride) without padding, floor mode: x [N, H, W, C] ->
 * [N, floor((H - kh) / sh) + 1, floor((W - kw) / sw) + 1, C], optionally * scale + shift per channel.
 */
export function avgPool2d(g: Graph, name: string, x: Tensor, o: AvgPool2dOptions): Tensor {
  const [kh, kw] = pair(o.kernel, 1, `avgPool2d '${name}' kernel`);
  const [sh, sw] = pair(o.stride, 0, `avgPool2d '${name}' stride`);
  const stride: Pair = o.stride === undefined ? [kh, kw] : [sh, sw];
  if (kh < 1 || kw < 1 || stride[0] < 1 || stride[1] < 1) throw new ShapeError(`avgPool2d '${name}': kernel and stride must be >= 1`);
  const [n, ih, iw, c] = x.shape;
  if (ih < kh || iw < kw) throw new ShapeError(`avgPool2d '${name}': input '${x.name}' ${ih}x${iw} is smaller than kernel ${kh}x${kw}`);
  const oh = Math.floor((ih - kh) / stride[0]) + 1;
  const ow = Math.floor((iw - kw) / stride[1]) + 1;
  const y = outputTensor(g, name, 'avgPool2d', o.out, [n, oh, ow, c]);
  const c4 = ceilDiv(c, 4);
  const affine = !!(o.scale || o.shift);
  const [wgX, wgY] = channelPixelTile(c4);
  const bindings = [
    { tensor: x, access: 'read' as const },
    ...(affine ? [{ constant: g.constant(`${name}.scaleShift`, packScaleShift(c, c4 * 4, o.scale, o.shift)) }] : []),
    { tensor: y, access: 'write' as const },
  ];
  const spec = { x, y, kh, kw, sh: stride[0], sw: stride[1], affine, wgX, wgY };
  g.add(name, {
    kernel: 'avgPool2d',
    key: `${place(x)}>${place(y)} k${kh}x${kw} s${stride[0]}x${stride[1]} a${+affine}`,
    wgsl: () => avgPool2dWGSL(spec),
    workgroups: [ceilDiv(c4, wgX), ceilDiv(oh * ow, wgY), n],
    bindings,
    flops: n * oh * ow * c * (kh * kw + (affine ? 2 : 1)),
    bytes: 4 * n * pad4(c) * (oh * ow * kh * kw + oh * ow),
  });
  return y;
}
