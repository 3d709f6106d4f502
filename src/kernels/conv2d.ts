import { pad4, ShapeError, type Dispatch, type Graph, type Tensor } from '../engine/index.ts';
import {
  activationKind, ceilDiv, checkAddend, nextPow2, paramWords, weightBytes, weightKey, checkSameBatchAndChannels, packScaleShift, place, preluSlopes, resizeCoordinates, resolveActivation, slidingWindow, windowKey,
  type Activation, type Pair, type Padding, type ResizeCoordinates,
} from './common.ts';
import { conv2dDirectWGSL, conv2dParams, conv2dWGSL, type Conv2dSpec, type Conv2dTile } from './conv2d.wgsl.ts';
import { conv2dTiledWGSL, TILED_THREADS, tiledChannelThreads } from './conv2dTiled.wgsl.ts';

export interface Conv2dOptions {
  /** PyTorch layout [Cout, Cin, KH, KW]. */
  weight: Float32Array;
  outChannels: number;
  kernel: number | Pair;
  stride?: number | Pair;
  /** Zero padding: a number or [h, w] for both sides, or each side (TensorFlow's asymmetric SAME). */
  padding?: Padding;
  /** Conv bias, added before scale/shift. */
  bias?: Float32Array;
  /** Per-output-channel affine after the conv (a folded BatchNorm): y = y * scale + shift. */
  scale?: Float32Array;
  shift?: Float32Array;
  /**
   * Added after scale/shift, before the activation (a bottleneck's shortcut). The output's N, H, W;
   * fewer channels than the output is TFLite's channel PAD on a shortcut (the rest add 0).
   */
  residual?: Tensor;
  /** Applied after the residual. */
  activation?: Activation;
  /** Shorthand for activation: 'relu'. */
  relu?: boolean;
  /** Bilinearly resized to the output size and added after the activation (the decoder's top-down path). */
  upsampleAdd?: { tensor: Tensor; alignCorners?: boolean; coordinates?: ResizeCoordinates };
  /** Write into this tensor (e.g. a channel view, which makes a concat free) instead of a new one. */
  out?: Tensor;
  /**
   * 'auto' (default): 'blocked' with 'tiled' offered as an alternative, which the engine runs
   * instead where its variant policy measures it faster (see VariantPolicy); 'blocked'
   * (register-blocked, no workgroup memory) or 'tiled' (implicit GEMM through workgroup memory)
   * alone; or 'direct', the one-output-per-thread yardstick used by the benchmark.
   */
  variant?: 'auto' | 'blocked' | 'tiled' | 'direct';
}

/**
 * 2D convolution, zero padding, PyTorch semantics. Shape rules: x is [N, H, W, Cin];
 * output is [N, floor((H + top + bottom - kh) / sh) + 1, ..., Cout]; weight has Cout*Cin*kh*kw
 * values; residual has the output's N, H, W and at most its channels; upsampleAdd has the
 * output's N and C and any spatial size.
 */
export function conv2d(g: Graph, name: string, x: Tensor, o: Conv2dOptions): Tensor {
  const what = `conv2d '${name}'`;
  const win = slidingWindow(what, x, o);
  const { kh, kw, oh, ow } = win;
  const [n, ih, iw, ci] = x.shape;
  const co = o.outChannels;
  if (o.weight.length !== co * ci * kh * kw)
    throw new ShapeError(`${what}: weight has ${o.weight.length} values, [${co}, ${ci}, ${kh}, ${kw}] needs ${co * ci * kh * kw}`);
  const y = o.out ?? g.tensor(name, [n, oh, ow, co]);
  if (y.shape.join() !== [n, oh, ow, co].join())
    throw new ShapeError(`${what}: output '${y.name}' is [${y.shape}], expected [${n}, ${oh}, ${ow}, ${co}]`);
  if (o.residual) checkAddend(y, o.residual, `${what} residual`);
  if (o.upsampleAdd) checkSameBatchAndChannels(y, o.upsampleAdd.tensor, `${what} upsampleAdd`);
  const act = resolveActivation(o, co, what);

  const co4 = ceilDiv(co, 4);
  const variant = o.variant ?? 'auto';
  if (!['auto', 'blocked', 'tiled', 'direct'].includes(variant)) throw new ShapeError(`${what}: unknown variant '${String(variant)}'`);
  if (variant === 'direct' && (o.residual || o.upsampleAdd))
    throw new ShapeError(`${what}: the direct variant has no residual or upsample epilogue`);
  // Register blocking: 4 pixels x 2 channel groups when there are channels to fill them. Its
  // channel padding fixes the weight packing, which every variant reads (the tiled kernel guards
  // its loads by co4), so variants can share one weight buffer.
  const tc = co4 >= 2 ? 2 : 1;
  const tp = oh * ow >= 4 ? 4 : 1;
  const coPad4 = ceilDiv(co4, tc) * tc;
  const coBlocks = coPad4 / tc;
  const wgX = Math.min(8, 2 ** Math.ceil(Math.log2(coBlocks)));
  const upsample = o.upsampleAdd && { t: o.upsampleAdd.tensor, coordinates: resizeCoordinates(o.upsampleAdd, `${what} upsampleAdd`) };
  const w = g.weights(`${name}.weight`, packConvWeight(o.weight, co, ci, kh, kw, coPad4 * 4));
  // The blocked kernel's spec; the direct one reads only its shapes, the tiled one adds its tile.
  const spec: Conv2dSpec = { x, y, w, win, coPad4, tp, tc, wgX, act: activationKind(act), residual: o.residual, upsample };
  const ss = g.constant(`${name}.scaleShift`, packScaleShift(co, coPad4 * 4, o.scale, o.shift, o.bias, preluSlopes(act)));
  const bindings = [
    { tensor: x, access: 'read' as const },
    { constant: w },
    { constant: ss },
    { tensor: y, access: 'write' as const },
    ...(o.residual ? [{ tensor: o.residual, access: 'read' as const }] : []),
    ...(o.upsampleAdd ? [{ tensor: o.upsampleAdd.tensor, access: 'read' as const }] : []),
  ];
  const macs = n * oh * ow * co * ci * kh * kw;
  const bytes = 4 * (n * ih * iw * pad4(ci) + n * oh * ow * pad4(co) * (1 + (o.residual ? 1 : 0))) + weightBytes(w) * o.weight.length;
  // Baked in: kernel size, blocking or tile, workgroup, epilogue and weight precision; shapes are params.
  const epilogue = `a:${spec.act}${o.residual ? ' res' : ''}${upsample ? ` up:${upsample.coordinates}` : ''}${weightKey(w)}`;
  if (variant === 'direct') {
    const total = n * oh * ow * coPad4 * 4;
    const wg = 64;
    const groups = ceilDiv(total, wg);
    g.add(name, {
      kernel: 'conv2dDirect', key: `${place(x)}>${place(y)} ${windowKey(win)} ${epilogue}`, wgsl: () => conv2dDirectWGSL(spec, wg), bindings, flops: 2 * macs, bytes,
      workgroups: [Math.min(groups, 65535), ceilDiv(groups, 65535), 1],
    });
    return y;
  }
  const blocked = (): Dispatch => {
    const params = conv2dParams(spec);
    return {
      kernel: 'conv2d', variant: 'blocked', key: `k${kh}x${kw} t${tp}x${tc} ${epilogue}`, wgsl: () => conv2dWGSL(spec, params),
      bindings, params: paramWords(params), flops: 2 * macs, bytes, workgroups: [ceilDiv(coBlocks, wgX), ceilDiv(ceilDiv(oh * ow, tp), 64 / wgX), n],
    };
  };
  const tiled = (): Dispatch => {
    const tile = conv2dTile(co4, kh * kw * ceilDiv(ci, 4));
    const tiledSpec: Conv2dSpec = { ...spec, tile };
    const params = conv2dParams(tiledSpec);
    return {
      kernel: 'conv2dTiled', variant: 'tiled', key: `k${kh}x${kw} tile${tile.tp}x${tile.tc4} ks${tile.ks} ${epilogue}`, wgsl: () => conv2dTiledWGSL(tiledSpec, params),
      bindings, params: paramWords(params), flops: 2 * macs, bytes, workgroups: [ceilDiv(co4, tile.tc4), ceilDiv(oh * ow, tile.tp), n],
    };
  };
  if (variant === 'auto') g.add(name, { ...blocked(), alternatives: [tiled()] });
  else g.add(name, variant === 'tiled' ? tiled() : blocked());
  return y;
}

/**
 * The tiled variant's tile for co4 output vec4 groups and k = kh * kw * ci4 K entries: up to 16
 * groups (4 channel threads x up to 4 groups each) by 64 pixels (16 pixel threads x 4), so each
 * thread does 16 vec4 FMAs per 2 workgroup reads at full width. Layers with fewer groups get
 * more pixels instead (4 * 64 / channel threads), keeping 64 threads x 4 pixels busy. The K slice
 * is 8 entries, fewer where K is shorter (no empty slots to load) or where the two arrays would
 * pass 16 KiB, WebGPU's guaranteed workgroup storage.
 */
export function conv2dTile(co4: number, k: number): Conv2dTile {
  const tc4 = Math.min(16, nextPow2(co4));
  const tp = 4 * (TILED_THREADS / tiledChannelThreads(tc4));
  let ks = Math.min(8, nextPow2(k));
  while (ks > 1 && (tp + 4 * tc4) * ks * 16 > 16384) ks /= 2;
  return { tp, tc4, ks };
}

/** [Cout, Cin, kh, kw] -> [kh][kw][ci4][coPad][4 lanes of ci] with zeros in the padding. */
export function packConvWeight(w: Float32Array, co: number, ci: number, kh: number, kw: number, coPad: number): Float32Array {
  const ci4 = ceilDiv(ci, 4);
  const out = new Float32Array(kh * kw * ci4 * coPad * 4);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const c4 = i >> 2;
          const lane = i & 3;
          const dst = ((((y * kw + x) * ci4 + c4) * (coPad / 4) + (o >> 2)) * 4 + lane) * 4 + (o & 3);
          out[dst] = w[((o * ci + i) * kh + y) * kw + x];
        }
  return out;
}
