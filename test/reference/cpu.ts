// Float64 CPU reference implementations ("the oracle") for the GPU kernel tests.
//
// Plain TypeScript with no dependencies: runs in Node (vitest) and in a browser bundle alike.
// Every tensor is NCHW, row-major, stored as { shape, data: Float64Array }.
// The loops are written for clarity first; they are fine for tensors up to a few 1e6 MACs.

import { mulberry32 } from '../../src/util/rng.ts';

export type Tensor64 = { shape: number[]; data: Float64Array };

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor filled with zeros. */
export function zeros(shape: readonly number[]): Tensor64 {
  return { shape: [...shape], data: new Float64Array(numel(shape)) };
}

/** Wrap existing values (copied) as a tensor; checks the element count. */
export function tensor(shape: readonly number[], values: ArrayLike<number>): Tensor64 {
  if (values.length !== numel(shape)) {
    throw new Error(`tensor: ${values.length} values for shape [${shape.join(', ')}]`);
  }
  return { shape: [...shape], data: Float64Array.from(values) };
}

/** Float32 copy of a tensor's (or array's) data, e.g. for uploading to the GPU. */
export function toFloat32(t: Tensor64 | Float64Array): Float32Array {
  return Float32Array.from(t instanceof Float64Array ? t : t.data);
}

function dims4(t: Tensor64, who: string): [number, number, number, number] {
  if (t.shape.length !== 4) {
    throw new Error(`${who}: expected a 4-d NCHW tensor, got shape [${t.shape.join(', ')}]`);
  }
  if (t.data.length !== numel(t.shape)) {
    throw new Error(`${who}: data length ${t.data.length} does not match shape [${t.shape.join(', ')}]`);
  }
  return [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function pair(v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  return [v[0], v[1]];
}

/** Padding per side; a number or [h, w] pads both sides alike (PyTorch). */
export type Pads = { top: number; bottom: number; left: number; right: number };
export type Padding = number | [number, number] | Pads;

function padsOf(p: Padding | undefined): Pads {
  if (p === undefined || typeof p === 'number' || Array.isArray(p)) {
    const [h, w] = pair(p, 0);
    return { top: h, bottom: h, left: w, right: w };
  }
  return p;
}

/**
 * TensorFlow's SAME padding of one axis, as TF computes it: the output has ceil(size / s)
 * pixels, pad_total = max((out - 1) * s + k - size, 0), before = floor(total / 2), the rest after.
 */
export function samePad(size: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** SAME pads of a [kh, kw] window with stride [sh, sw] on an h x w map. */
export function samePads(h: number, w: number, k: number | [number, number], s: number | [number, number] = 1): Pads {
  const [kh, kw] = pair(k, 1);
  const [sh, sw] = pair(s, 1);
  const [top, bottom] = samePad(h, kh, sh);
  const [left, right] = samePad(w, kw, sw);
  return { top, bottom, left, right };
}

/** Activation applied last; PReLU has one slope per channel (x >= 0 ? x : slope * x). */
export type Activation = 'none' | 'relu' | 'relu6' | { prelu: Float64Array };

function activateScalar(v: number, act: Activation, c: number): number {
  if (act === 'none') return v;
  if (act === 'relu') return v > 0 ? v : 0;
  if (act === 'relu6') return v < 0 ? 0 : v > 6 ? 6 : v;
  return v >= 0 ? v : act.prelu[c] * v;
}

/** The activation on an NCHW tensor. */
export function activate(x: Tensor64, act: Activation): Tensor64 {
  const [N, C, H, W] = dims4(x, 'activate');
  if (typeof act === 'object' && act.prelu.length !== C) throw new Error(`activate: ${act.prelu.length} PReLU slopes for ${C} channels`);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = activateScalar(x.data[i], act, Math.floor(i / (H * W)) % C);
  return { shape: [N, C, H, W], data: out };
}

// ---------------------------------------------------------------------------------------------
// Random data

/** Seeded PRNG (mulberry32): returns uniform values in [0, 1). */
export const makeRng = mulberry32;

/**
 * Uniform random tensor in [lo, hi). Values are rounded to float32 (Math.fround) so the
 * oracle sees exactly the numbers that a Float32Array upload gives the GPU.
 */
export function randomTensor(shape: readonly number[], rng: () => number, lo = -1, hi = 1): Tensor64 {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(lo + (hi - lo) * rng());
  return { shape: [...shape], data };
}

/** Uniform random Float64Array (float32-representable values) of a given length. */
export function randomArray(length: number, rng: () => number, lo = -1, hi = 1): Float64Array {
  const data = new Float64Array(length);
  for (let i = 0; i < length; i++) data[i] = Math.fround(lo + (hi - lo) * rng());
  return data;
}

// ---------------------------------------------------------------------------------------------
// Convolution

export type Conv2dOptions = {
  stride?: number | [number, number];
  pad?: Padding;
  /** per Cout, added first */
  bias?: Float64Array;
  /** per Cout: y = y * scale + shift (folded BatchNorm), after bias */
  scale?: Float64Array;
  shift?: Float64Array;
  /** the output's N, H, W and at most its channels (channels it lacks add 0); added before the activation */
  residual?: Tensor64;
  relu?: boolean;
  /** applied after the residual (relu: true is 'relu') */
  act?: Activation;
  /** same shape as the output; added after the activation */
  addAfter?: Tensor64;
};

/** Output size of a conv / pool along one axis (floor mode); `padAfter` defaults to `pad`. */
export function convOutSize(inSize: number, k: number, stride: number, pad: number, padAfter = pad): number {
  return Math.floor((inSize + pad + padAfter - k) / stride) + 1;
}

/** Output size [OH, OW] of a window; throws on an empty output. */
function windowOut(who: string, H: number, W: number, KH: number, KW: number, sh: number, sw: number, p: Pads): [number, number] {
  const OH = convOutSize(H, KH, sh, p.top, p.bottom);
  const OW = convOutSize(W, KW, sw, p.left, p.right);
  if (OH < 1 || OW < 1) throw new Error(`${who}: empty output ${OH}x${OW}`);
  return [OH, OW];
}

/** Strides, pads and output shape of a conv of x with w ([CO, *, KH, KW]); checks the epilogue operands. */
function convGeometry(who: string, x: Tensor64, w: Tensor64, opts: Conv2dOptions) {
  const [N, C, H, W] = dims4(x, `${who} x`);
  const [CO, CI, KH, KW] = dims4(w, `${who} w`);
  const [sh, sw] = pair(opts.stride, 1);
  const p = padsOf(opts.pad);
  const [OH, OW] = windowOut(who, H, W, KH, KW, sh, sw, p);
  const outShape = [N, CO, OH, OW];
  checkEpilogue(who, outShape, opts);
  return { N, C, H, W, CO, CI, KH, KW, sh, sw, p, OH, OW, outShape };
}

/** Checks the epilogue's operands against output [N, CO, OH, OW]. */
function checkEpilogue(who: string, outShape: number[], o: Conv2dOptions): void {
  const CO = outShape[1];
  for (const [name, v] of [['bias', o.bias], ['scale', o.scale], ['shift', o.shift], ['prelu', typeof o.act === 'object' ? o.act.prelu : undefined]] as const) {
    if (v && v.length !== CO) throw new Error(`${who}: ${name} has ${v.length} entries, want ${CO}`);
  }
  const r = o.residual;
  if (r && (r.shape.length !== 4 || r.shape[0] !== outShape[0] || r.shape[1] > CO || r.shape[2] !== outShape[2] || r.shape[3] !== outShape[3])) {
    throw new Error(`${who}: residual shape [${r.shape}] does not fit output [${outShape}]`);
  }
  if (o.addAfter && !sameShape(o.addAfter.shape, outShape)) {
    throw new Error(`${who}: addAfter shape [${o.addAfter.shape}] != output [${outShape}]`);
  }
  if (o.relu && o.act !== undefined && o.act !== 'relu') throw new Error(`${who}: relu and act disagree`);
}

/** In place on channel co of batch n: +bias, *scale +shift, +residual, activation, +addAfter. */
function applyEpilogue(out: Float64Array, n: number, co: number, CO: number, plane: number, o: Conv2dOptions): void {
  const b = o.bias ? o.bias[co] : 0;
  const s = o.scale ? o.scale[co] : 1;
  const t = o.shift ? o.shift[co] : 0;
  const act: Activation = o.act ?? (o.relu ? 'relu' : 'none');
  const r = o.residual;
  const rBase = r && co < r.shape[1] ? (n * r.shape[1] + co) * plane : -1;
  const oBase = (n * CO + co) * plane;
  for (let i = 0; i < plane; i++) {
    let v = (out[oBase + i] + b) * s + t;
    if (r && rBase >= 0) v += r.data[rBase + i];
    v = activateScalar(v, act, co);
    if (o.addAfter) v += o.addAfter.data[oBase + i];
    out[oBase + i] = v;
  }
}

/**
 * 2-d convolution (cross-correlation, as PyTorch), zero padding (per side if given so).
 * x: [N, Cin, H, W]; w: [Cout, Cin, KH, KW].
 * Epilogue order: +bias, *scale +shift, +residual, activation, +addAfter.
 */
export function conv2d(x: Tensor64, w: Tensor64, opts: Conv2dOptions = {}): Tensor64 {
  const { N, C, H, W, CO, CI, KH, KW, sh, sw, p, OH, OW, outShape } = convGeometry('conv2d', x, w, opts);
  if (CI !== C) throw new Error(`conv2d: input has ${C} channels, weight expects ${CI}`);

  const out = new Float64Array(N * CO * OH * OW);
  const xd = x.data;
  const wd = w.data;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const oBase = (n * CO + co) * OH * OW;
      for (let ci = 0; ci < C; ci++) {
        const xBase = (n * C + ci) * H * W;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wv = wd[((co * CI + ci) * KH + kh) * KW + kw];
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sh - p.top + kh;
              if (ih < 0 || ih >= H) continue;
              const xRow = xBase + ih * W;
              const oRow = oBase + oh * OW;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sw - p.left + kw;
                if (iw < 0 || iw >= W) continue;
                out[oRow + ow] += wv * xd[xRow + iw];
              }
            }
          }
        }
      }
      applyEpilogue(out, n, co, CO, OH * OW, opts);
    }
  }
  return { shape: outShape, data: out };
}

/**
 * Depthwise convolution (PyTorch Conv2d with groups = C; TFLite DEPTHWISE_CONV_2D): output
 * channel o = c * M + j convolves input channel c = floor(o / M) with filter w[o].
 * x: [N, C, H, W]; w: [C*M, 1, KH, KW]. Same padding and epilogue as conv2d.
 */
export function depthwiseConv2d(x: Tensor64, w: Tensor64, opts: Conv2dOptions & { depthMultiplier?: number } = {}): Tensor64 {
  const { N, C, H, W, CO, CI, KH, KW, sh, sw, p, OH, OW, outShape } = convGeometry('depthwiseConv2d', x, w, opts);
  const M = opts.depthMultiplier ?? 1;
  if (CI !== 1 || CO !== C * M) throw new Error(`depthwiseConv2d: weight [${w.shape}] does not fit ${C} channels x multiplier ${M}`);
  const out = new Float64Array(N * CO * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const xBase = (n * C + Math.floor(co / M)) * H * W;
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh - p.top + kh;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw - p.left + kw;
              if (iw >= 0 && iw < W) acc += w.data[(co * KH + kh) * KW + kw] * x.data[xBase + ih * W + iw];
            }
          }
          out[((n * CO + co) * OH + oh) * OW + ow] = acc;
        }
      }
      applyEpilogue(out, n, co, CO, OH * OW, opts);
    }
  }
  return { shape: outShape, data: out };
}

// ---------------------------------------------------------------------------------------------
// BatchNorm (eval mode)

/** Fold eval-mode BatchNorm into y = x * scale + shift. */
export function batchNormFold(
  gamma: Float64Array,
  beta: Float64Array,
  mean: Float64Array,
  variance: Float64Array,
  eps = 1e-5,
): { scale: Float64Array; shift: Float64Array } {
  const C = gamma.length;
  if (beta.length !== C || mean.length !== C || variance.length !== C) {
    throw new Error('batchNormFold: parameter lengths differ');
  }
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  return { scale, shift };
}

/** Eval-mode BatchNorm2d: (x - mean) / sqrt(var + eps) * gamma + beta, per channel. */
export function batchNorm(
  x: Tensor64,
  gamma: Float64Array,
  beta: Float64Array,
  mean: Float64Array,
  variance: Float64Array,
  eps = 1e-5,
): Tensor64 {
  const [N, C, H, W] = dims4(x, 'batchNorm');
  if (gamma.length !== C || beta.length !== C || mean.length !== C || variance.length !== C) {
    throw new Error(`batchNorm: parameters must have ${C} entries`);
  }
  const out = new Float64Array(x.data.length);
  const plane = H * W;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(variance[c] + eps);
      const base = (n * C + c) * plane;
      for (let i = base; i < base + plane; i++) {
        out[i] = (x.data[i] - mean[c]) * inv * gamma[c] + beta[c];
      }
    }
  }
  return { shape: [...x.shape], data: out };
}

/** Per-channel affine y = x * scale + shift on an NCHW tensor. */
export function channelAffine(x: Tensor64, scale: Float64Array, shift: Float64Array): Tensor64 {
  const [N, C, H, W] = dims4(x, 'channelAffine');
  const out = new Float64Array(x.data.length);
  const plane = H * W;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * plane;
      for (let i = base; i < base + plane; i++) out[i] = x.data[i] * scale[c] + shift[c];
    }
  }
  return { shape: [...x.shape], data: out };
}

// ---------------------------------------------------------------------------------------------
// Elementwise

function mapT(x: Tensor64, f: (v: number) => number): Tensor64 {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return { shape: [...x.shape], data: out };
}

export function relu(x: Tensor64): Tensor64 {
  return mapT(x, (v) => (v > 0 ? v : 0));
}

/** Numerically stable logistic sigmoid. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function sigmoid(x: Tensor64): Tensor64 {
  return mapT(x, sigmoidScalar);
}

/**
 * a + b. A 4-d b may have fewer channels than a (TFLite's channel PAD on a shortcut): the
 * channels it lacks add 0.
 */
export function add(a: Tensor64, b: Tensor64): Tensor64 {
  if (sameShape(a.shape, b.shape)) {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
    return { shape: [...a.shape], data: out };
  }
  const [N, C, H, W] = dims4(a, 'add a');
  const [nb, cb, hb, wb] = dims4(b, 'add b');
  if (nb !== N || cb > C || hb !== H || wb !== W) throw new Error(`add: shapes [${a.shape}] and [${b.shape}] do not fit`);
  const out = Float64Array.from(a.data);
  const plane = H * W;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < cb; c++) {
      for (let i = 0; i < plane; i++) out[(n * C + c) * plane + i] += b.data[(n * cb + c) * plane + i];
    }
  }
  return { shape: [...a.shape], data: out };
}

// ---------------------------------------------------------------------------------------------
// Pooling

/** PyTorch AvgPool2d(k, s): no padding, floor mode. */
export function avgPool2d(
  x: Tensor64,
  k: number | [number, number],
  s?: number | [number, number],
): Tensor64 {
  const [N, C, H, W] = dims4(x, 'avgPool2d');
  const [kh, kw] = pair(k, 1);
  const [sh, sw] = s === undefined ? [kh, kw] : pair(s, 1);
  const OH = convOutSize(H, kh, sh, 0);
  const OW = convOutSize(W, kw, sw, 0);
  if (OH < 1 || OW < 1) throw new Error(`avgPool2d: empty output ${OH}x${OW}`);
  const out = new Float64Array(N * C * OH * OW);
  const inv = 1 / (kh * kw);
  for (let nc = 0; nc < N * C; nc++) {
    const xBase = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) acc += x.data[xBase + (oh * sh + i) * W + (ow * sw + j)];
        }
        out[(nc * OH + oh) * OW + ow] = acc * inv;
      }
    }
  }
  return { shape: [N, C, OH, OW], data: out };
}

/** PyTorch MaxPool2d(k, s, pad), or TF's with SAME pads per side: floor mode, padding counts as -inf. */
export function maxPool2d(
  x: Tensor64,
  k: number | [number, number],
  s?: number | [number, number],
  pad: Padding = 0,
): Tensor64 {
  const [N, C, H, W] = dims4(x, 'maxPool2d');
  const [kh, kw] = pair(k, 1);
  const [sh, sw] = s === undefined ? [kh, kw] : pair(s, 1);
  const p = padsOf(pad);
  const [OH, OW] = windowOut('maxPool2d', H, W, kh, kw, sh, sw, p);
  const out = new Float64Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) {
    const xBase = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let m = -Infinity;
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh - p.top + i;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * sw - p.left + j;
            if (iw < 0 || iw >= W) continue;
            const v = x.data[xBase + ih * W + iw];
            if (v > m || Number.isNaN(v)) m = v;
          }
        }
        out[(nc * OH + oh) * OW + ow] = m;
      }
    }
  }
  return { shape: [N, C, OH, OW], data: out };
}

/** Adaptive average over H, W: [N, C, H, W] -> [N, C, 1, 1]. */
export function globalAvgPool(x: Tensor64): Tensor64 {
  const [N, C, H, W] = dims4(x, 'globalAvgPool');
  const plane = H * W;
  const out = new Float64Array(N * C);
  for (let nc = 0; nc < N * C; nc++) {
    let acc = 0;
    for (let i = nc * plane; i < (nc + 1) * plane; i++) acc += x.data[i];
    out[nc] = acc / plane;
  }
  return { shape: [N, C, 1, 1], data: out };
}

// ---------------------------------------------------------------------------------------------
// Bilinear resize (PyTorch F.interpolate(mode='bilinear', size=(outH, outW)), TFLite RESIZE_BILINEAR)

type Taps = { i0: Int32Array; i1: Int32Array; l1: Float64Array };

/** Source taps along one axis, exactly as PyTorch's upsample_bilinear2d computes them. */
export function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l1 = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    let src: number;
    if (alignCorners) {
      src = outSize > 1 ? (d * (inSize - 1)) / (outSize - 1) : 0;
    } else {
      src = (d + 0.5) * (inSize / outSize) - 0.5;
      if (src < 0) src = 0;
    }
    let a = Math.floor(src);
    if (a > inSize - 1) a = inSize - 1;
    i0[d] = a;
    i1[d] = Math.min(a + 1, inSize - 1);
    l1[d] = src - a;
  }
  return { i0, i1, l1 };
}

/** TFLite RESIZE_BILINEAR modes: align_corners, half_pixel_centers, or neither ('asymmetric'). */
export type ResizeCoordinates = 'alignCorners' | 'halfPixel' | 'asymmetric';

/**
 * Source taps along one axis as TFLite's reference kernel computes them (ComputeInterpolationValues):
 * scale = align_corners && out > 1 ? (in - 1) / (out - 1) : in / out; v = (o + 0.5) * scale - 0.5
 * with half_pixel_centers, else o * scale; lower = max(floor(v), 0), upper = min(ceil(v), in - 1),
 * weight of upper = v - lower. No clamp of v itself: below 0 both taps are pixel 0 and the
 * weights (1 - v, v) still sum to 1 on it, which is why this equals PyTorch's clamped form.
 */
export function tfliteBilinearTaps(inSize: number, outSize: number, mode: ResizeCoordinates): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l1 = new Float64Array(outSize);
  const scale = mode === 'alignCorners' && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const v = mode === 'halfPixel' ? (d + 0.5) * scale - 0.5 : d * scale;
    i0[d] = Math.max(Math.floor(v), 0);
    i1[d] = Math.min(Math.ceil(v), inSize - 1);
    l1[d] = v - i0[d];
  }
  return { i0, i1, l1 };
}

/** `mode`: PyTorch's align_corners flag, or a TFLite coordinate mode (tfliteBilinearTaps). */
export function bilinearResize(x: Tensor64, outH: number, outW: number, mode: boolean | ResizeCoordinates): Tensor64 {
  const [N, C, H, W] = dims4(x, 'bilinearResize');
  const taps = (i: number, o: number) => (typeof mode === 'boolean' ? bilinearTaps(i, o, mode) : tfliteBilinearTaps(i, o, mode));
  const ty = taps(H, outH);
  const tx = taps(W, outW);
  const out = new Float64Array(N * C * outH * outW);
  for (let nc = 0; nc < N * C; nc++) {
    const xBase = nc * H * W;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = ty.i0[oy];
      const y1 = ty.i1[oy];
      const ly1 = ty.l1[oy];
      const ly0 = 1 - ly1;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = tx.i0[ox];
        const x1 = tx.i1[ox];
        const lx1 = tx.l1[ox];
        const lx0 = 1 - lx1;
        const v =
          ly0 * (lx0 * x.data[xBase + y0 * W + x0] + lx1 * x.data[xBase + y0 * W + x1]) +
          ly1 * (lx0 * x.data[xBase + y1 * W + x0] + lx1 * x.data[xBase + y1 * W + x1]);
        out[(nc * outH + oy) * outW + ox] = v;
      }
    }
  }
  return { shape: [N, C, outH, outW], data: out };
}

// ---------------------------------------------------------------------------------------------
// Task attention module pieces

/**
 * Softmax over the 3 tasks of logits laid out as (n, c, t) with index (n*C + c)*3 + t.
 * Returns weights in the same layout.
 */
export function taskAttentionWeights(logits: Float64Array): Float64Array {
  if (logits.length % 3 !== 0) throw new Error('taskAttentionWeights: length not a multiple of 3');
  const a = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i += 3) {
    const m = Math.max(logits[i], logits[i + 1], logits[i + 2]);
    const e0 = Math.exp(logits[i] - m);
    const e1 = Math.exp(logits[i + 1] - m);
    const e2 = Math.exp(logits[i + 2] - m);
    const s = e0 + e1 + e2;
    a[i] = e0 / s;
    a[i + 1] = e1 / s;
    a[i + 2] = e2 / s;
  }
  return a;
}

/** out[n,c,h,w] = sum_t softmax_t(logits[n, c*3+t]) * feats[t][n,c,h,w]. */
export function taskAttention(logits: Float64Array, feats: readonly Tensor64[]): Tensor64 {
  if (feats.length !== 3) throw new Error('taskAttention: need exactly 3 feature tensors');
  const [N, C, H, W] = dims4(feats[0], 'taskAttention');
  for (const f of feats) {
    if (!sameShape(f.shape, feats[0].shape)) throw new Error('taskAttention: feature shapes differ');
  }
  if (logits.length !== N * C * 3) {
    throw new Error(`taskAttention: logits length ${logits.length}, want ${N * C * 3}`);
  }
  const a = taskAttentionWeights(logits);
  const plane = H * W;
  const out = new Float64Array(N * C * plane);
  for (let nc = 0; nc < N * C; nc++) {
    const a0 = a[nc * 3];
    const a1 = a[nc * 3 + 1];
    const a2 = a[nc * 3 + 2];
    for (let i = nc * plane; i < (nc + 1) * plane; i++) {
      out[i] = a0 * feats[0].data[i] + a1 * feats[1].data[i] + a2 * feats[2].data[i];
    }
  }
  return { shape: [N, C, H, W], data: out };
}

/** GAP each of three [N,C,H,W] features, interleave into [N, 3C] with index c*3 + t. */
export function tamGapInterleave(feats: readonly Tensor64[]): Float64Array {
  if (feats.length !== 3) throw new Error('tamGapInterleave: need exactly 3 feature tensors');
  const [N, C] = dims4(feats[0], 'tamGapInterleave');
  const out = new Float64Array(N * C * 3);
  for (let t = 0; t < 3; t++) {
    if (!sameShape(feats[t].shape, feats[0].shape)) throw new Error('tamGapInterleave: shapes differ');
    const g = globalAvgPool(feats[t]).data;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) out[n * C * 3 + c * 3 + t] = g[n * C + c];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dense (1x1 conv on 1x1 maps / fully connected)

export type DenseOptions = {
  bias?: Float64Array;
  /** y = y * scale + shift, after bias */
  scale?: Float64Array;
  shift?: Float64Array;
  relu?: boolean;
  /**
   * Sizes: the layer's Out is taken from outFeatures, else inFeatures (Out = w.length / In),
   * else the length of bias / scale / shift, else batch (In = x.length / batch).
   */
  outFeatures?: number;
  inFeatures?: number;
  batch?: number;
};

export type DenseLayer = DenseOptions & { w: Float64Array };

function denseSizes(x: Float64Array, w: Float64Array, o: DenseOptions): { N: number; In: number; Out: number } {
  let Out: number | undefined;
  let In: number | undefined;
  if (o.outFeatures !== undefined) Out = o.outFeatures;
  else if (o.inFeatures !== undefined) In = o.inFeatures;
  else if (o.bias) Out = o.bias.length;
  else if (o.scale) Out = o.scale.length;
  else if (o.shift) Out = o.shift.length;
  else if (o.batch !== undefined) In = x.length / o.batch;
  if (Out === undefined && In === undefined) {
    throw new Error('dense: cannot infer sizes; pass outFeatures, inFeatures or batch');
  }
  if (Out !== undefined) In = w.length / Out;
  else Out = w.length / (In as number);
  const N = x.length / (In as number);
  if (!Number.isInteger(In) || !Number.isInteger(Out) || !Number.isInteger(N) || N < 1) {
    throw new Error(`dense: inconsistent sizes x=${x.length} w=${w.length} -> N=${N} In=${In} Out=${Out}`);
  }
  return { N, In: In as number, Out };
}

/** y[n, o] = sum_i w[o, i] * x[n, i]; then +bias, *scale +shift, relu. x: [N, In], w: [Out, In]. */
export function dense(x: Float64Array, w: Float64Array, opts: DenseOptions = {}): Float64Array {
  const { N, In, Out } = denseSizes(x, w, opts);
  for (const [name, v] of [['bias', opts.bias], ['scale', opts.scale], ['shift', opts.shift]] as const) {
    if (v && v.length !== Out) throw new Error(`dense: ${name} has ${v.length} entries, want ${Out}`);
  }
  const y = new Float64Array(N * Out);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < Out; o++) {
      let acc = 0;
      const wBase = o * In;
      const xBase = n * In;
      for (let i = 0; i < In; i++) acc += w[wBase + i] * x[xBase + i];
      if (opts.bias) acc += opts.bias[o];
      if (opts.scale) acc *= opts.scale[o];
      if (opts.shift) acc += opts.shift[o];
      if (opts.relu && acc < 0) acc = 0;
      y[n * Out + o] = acc;
    }
  }
  return y;
}

/** Apply dense layers in order. The batch size is kept from the first layer's inference. */
export function denseChain(x: Float64Array, layers: readonly DenseLayer[]): Float64Array {
  let cur = x;
  let batch: number | undefined;
  for (const layer of layers) {
    const o: DenseOptions = { ...layer };
    if (o.outFeatures === undefined && o.inFeatures === undefined && o.batch === undefined && batch !== undefined) {
      o.batch = batch;
    }
    const { N } = denseSizes(cur, layer.w, o);
    batch = N;
    cur = dense(cur, layer.w, o);
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Heat-map keypoints ("Equation 1")

/**
 * maps [N, K, H, W] -> [N, K, 3] = (row, col, maxval), where h = clamp(map, 0, 1),
 * row = sum(h * rowIndex) / max(sum h, 1e-8), col likewise, maxval = max h.
 */
export function heatmapKeypoints(maps: Tensor64): Float64Array {
  const [N, K, H, W] = dims4(maps, 'heatmapKeypoints');
  const out = new Float64Array(N * K * 3);
  for (let nk = 0; nk < N * K; nk++) {
    const base = nk * H * W;
    let s = 0;
    let sr = 0;
    let sc = 0;
    let mx = 0;
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        let h = maps.data[base + r * W + c];
        h = h < 0 ? 0 : h > 1 ? 1 : h;
        s += h;
        sr += h * r;
        sc += h * c;
        if (h > mx) mx = h;
      }
    }
    const d = Math.max(s, 1e-8);
    out[nk * 3] = sr / d;
    out[nk * 3 + 1] = sc / d;
    out[nk * 3 + 2] = mx;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layout

/** Concatenate along the channel axis (dim 1). */
export function concatChannels(tensors: readonly Tensor64[]): Tensor64 {
  if (tensors.length === 0) throw new Error('concatChannels: no tensors');
  const [N, , H, W] = dims4(tensors[0], 'concatChannels');
  let CT = 0;
  for (const t of tensors) {
    const [n, c, h, w] = dims4(t, 'concatChannels');
    if (n !== N || h !== H || w !== W) throw new Error('concatChannels: N/H/W differ');
    CT += c;
  }
  const plane = H * W;
  const out = new Float64Array(N * CT * plane);
  for (let n = 0; n < N; n++) {
    let cOff = 0;
    for (const t of tensors) {
      const c = t.shape[1];
      const src = t.data.subarray(n * c * plane, (n + 1) * c * plane);
      out.set(src, (n * CT + cOff) * plane);
      cOff += c;
    }
  }
  return { shape: [N, CT, H, W], data: out };
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** Largest |value| (NaN if any value is NaN). */
export function maxAbs(t: Tensor64 | Float64Array | Float32Array): number {
  const d = t instanceof Float64Array || t instanceof Float32Array ? t : t.data;
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]);
    if (Number.isNaN(a)) return NaN;
    if (a > m) m = a;
  }
  return m;
}

export type CompareOptions = {
  rtol: number;
  atol: number;
  /** optional shape of the tensor, to print the worst index as a multi-index */
  shape?: readonly number[];
  /** optional label for the message */
  name?: string;
};

export type CompareResult = {
  ok: boolean;
  maxErr: number;
  worstIndex: number;
  nanCount: number;
  message: string;
};

function multiIndex(i: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length === 0) return `${i}`;
  const idx: number[] = new Array(shape.length);
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = r % shape[d];
    r = Math.floor(r / shape[d]);
  }
  return `${i} [${idx.join(', ')}]`;
}

/**
 * Element i passes if |actual[i] - expected[i]| <= atol + rtol * max|expected| (over the whole
 * tensor). NaN (or an infinity that does not equal expected) in actual always fails.
 */
export function compare(
  actual: Float32Array | Float64Array,
  expected: Float64Array,
  opts: CompareOptions,
): CompareResult {
  const label = opts.name ? `${opts.name}: ` : '';
  if (actual.length !== expected.length) {
    return {
      ok: false,
      maxErr: Infinity,
      worstIndex: -1,
      nanCount: 0,
      message: `${label}length mismatch: actual ${actual.length}, expected ${expected.length}`,
    };
  }
  const ref = maxAbs(expected);
  const tol = opts.atol + opts.rtol * ref;
  let maxErr = 0;
  let worst = -1;
  let nanCount = 0;
  let firstNan = -1;
  let failCount = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a)) {
      nanCount++;
      failCount++;
      if (firstNan < 0) firstNan = i;
      continue;
    }
    let err = a === e ? 0 : Math.abs(a - e);
    if (Number.isNaN(err)) err = Infinity; // e.g. expected NaN, or inf - inf
    if (!(err <= tol)) failCount++;
    if (worst < 0 || err > maxErr) {
      maxErr = err;
      worst = i;
    }
  }
  const ok = failCount === 0;
  if (nanCount > 0) {
    // a NaN in actual is the worst possible element: report the first one
    worst = firstNan;
    maxErr = NaN;
  }
  const w = worst >= 0 ? worst : 0;
  const at = actual.length
    ? `worst at ${multiIndex(w, opts.shape)}: actual ${actual[w]}, expected ${expected[w]}`
    : 'empty';
  const message =
    `${label}${ok ? 'ok' : 'MISMATCH'}: ${failCount}/${actual.length} out of tolerance, ` +
    `maxErr ${maxErr} (tol ${tol} = atol ${opts.atol} + rtol ${opts.rtol} * maxAbs(expected) ${ref}), ` +
    `${nanCount} NaN; ${at}`;
  return { ok, maxErr, worstIndex: worst, nanCount, message };
}
