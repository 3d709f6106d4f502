import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import {
  activationKind, ceilDiv, channelPixelTile, checkAddend, outputTensor, packScaleShift, paramWords, preluSlopes, resolveActivation, slidingWindow, weightBytes, weightKey,
  type Activation, type Pair, type Padding,
} from './common.ts';
import { depthwiseConv2dParams, depthwiseConv2dWGSL, type DepthwiseConv2dSpec } from './depthwiseConv2d.wgsl.ts';

export interface DepthwiseConv2dOptions {
  /** PyTorch layout [C*M, 1, KH, KW] (Conv2d with groups = C). */
  weight: Float32Array;
  kernel: number | Pair;
  stride?: number | Pair;
  /** Zero padding: a number or [h, w] for both sides, or each side (TensorFlow's asymmetric SAME). */
  padding?: Padding;
  /** M, output channels per input channel (default 1): output channel o reads input channel floor(o / M). */
  depthMultiplier?: number;
  /** Conv bias, added before scale/shift. */
  bias?: Float32Array;
  /** Per-output-channel affine after the conv (a folded BatchNorm): y = y * scale + shift. */
  scale?: Float32Array;
  shift?: Float32Array;
  /** Added before the activation; the output's N, H, W and at most its channels (the rest add 0). */
  residual?: Tensor;
  activation?: Activation;
  /** Write into this tensor (e.g. a channel view) instead of a new one. */
  out?: Tensor;
}

/**
 * Depthwise 2D convolution (PyTorch Conv2d with groups = C, TFLite DEPTHWISE_CONV_2D), zero
 * padding: x [N, H, W, C] -> [N, floor((H + top + bottom - kh) / sh) + 1, ..., C*M].
 * Epilogue: acc*scale + shift (bias folded), + residual, activation.
 */
export function depthwiseConv2d(g: Graph, name: string, x: Tensor, o: DepthwiseConv2dOptions): Tensor {
  const what = `depthwiseConv2d '${name}'`;
  const win = slidingWindow(what, x, o);
  const { kh, kw, oh, ow } = win;
  const m = o.depthMultiplier ?? 1;
  if (!Number.isInteger(m) || m < 1) throw new ShapeError(`${what}: depthMultiplier must be a positive integer, got ${m}`);
  const [n, ih, iw, c] = x.shape;
  const co = c * m;
  if (o.weight.length !== co * kh * kw)
    throw new ShapeError(`${what}: weight has ${o.weight.length} values, [${co}, 1, ${kh}, ${kw}] needs ${co * kh * kw}`);
  const y = outputTensor(g, name, 'depthwiseConv2d', o.out, [n, oh, ow, co]);
  if (o.residual) checkAddend(y, o.residual, `${what} residual`);
  const act = resolveActivation(o, co, what);

  const co4 = ceilDiv(co, 4);
  // Output pixels per thread along x: consecutive outputs share (kw - sw) input columns per row.
  const tx = Math.min(4, ow);
  const xBlocks = ceilDiv(ow, tx);
  const [wgX, wgY] = channelPixelTile(co4);
  const w = g.weights(`${name}.weight`, packDepthwiseWeight(o.weight, co, kh, kw));
  const spec: DepthwiseConv2dSpec = { x, y, w, win, m, tx, wgX, wgY, act: activationKind(act), residual: o.residual };
  const params = depthwiseConv2dParams(spec);
  g.add(name, {
    kernel: 'depthwiseConv2d',
    // Baked in: kernel size, x stride, block width, gather or not, epilogue; shapes are params.
    key: `k${kh}x${kw} sw${win.sw} ${m === 1 ? 'vec4' : 'gather'} tx${tx} a:${spec.act}${o.residual ? ' res' : ''}${weightKey(w)}`,
    wgsl: () => depthwiseConv2dWGSL(spec, params),
    params: paramWords(params),
    workgroups: [ceilDiv(co4, wgX), ceilDiv(oh * xBlocks, wgY), n],
    bindings: [
      { tensor: x, access: 'read' },
      { constant: w },
      { constant: g.constant(`${name}.scaleShift`, packScaleShift(co, co4 * 4, o.scale, o.shift, o.bias, preluSlopes(act))) },
      { tensor: y, access: 'write' },
      ...(o.residual ? [{ tensor: o.residual, access: 'read' as const }] : []),
    ],
    flops: 2 * n * oh * ow * co * kh * kw,
    bytes: 4 * (n * ih * iw * pad4(c) + n * oh * ow * pad4(co) * (1 + (o.residual ? 1 : 0))) + weightBytes(w) * o.weight.length,
  });
  return y;
}

/** [C*M, 1, kh, kw] -> [kh][kw][co4] vec4s (lane = output channel within its group), zeros in the padding. */
export function packDepthwiseWeight(w: Float32Array, co: number, kh: number, kw: number): Float32Array {
  const coPad = pad4(co);
  const out = new Float32Array(kh * kw * coPad);
  for (let o = 0; o < co; o++)
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * coPad + o] = w[(o * kh + y) * kw + x];
  return out;
}
