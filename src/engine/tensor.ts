import { ShapeError } from './errors.ts';

/**
 * Activation layout: NHWC with channels padded to a multiple of 4 ("nhwc4").
 *
 * Why: a conv is a sum over (kh, kw, ci); with channels innermost, each pixel's channels are one
 * contiguous run, read as vec4 loads (16-byte accesses), and every output thread writes one vec4
 * of 4 output channels. This is the layout the fastest WebGPU CNN kernels use (tfjs-webgpu's
 * NHWC vec4 conv path). Padding to 4 costs little (only the stem input, 3 -> 4, and the 1/21/63
 * channel heads pay it) and removes every tail case from inner loops.
 *
 * Invariant kept by every kernel: padded lanes (channel >= C) hold exactly 0, so a consumer may
 * read whole vec4s and multiply them with zero-padded weights safely.
 */
export type Layout = 'nhwc4';
export type DType = 'f32';

export interface TensorInfo {
  /** Logical shape [N, H, W, C]. */
  readonly shape: readonly [number, number, number, number];
  readonly dtype: DType;
  readonly layout: Layout;
}

export function pad4(c: number): number {
  return Math.ceil(c / 4) * 4;
}

export function checkShape(shape: readonly number[], what: string): asserts shape is [number, number, number, number] {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`${what}: shape must be [N, H, W, C] of positive integers, got [${shape.join(', ')}]`);
  }
}

/** Bytes a tensor of this logical shape takes in nhwc4 storage. */
export function storageBytes(shape: readonly number[]): number {
  const [n, h, w, c] = shape;
  return n * h * w * pad4(c) * 4;
}

/** NCHW float data (PyTorch order) -> nhwc4 storage with zero padding. */
export function packNCHW(data: ArrayLike<number>, shape: readonly [number, number, number, number]): Float32Array {
  const [n, c, h, w] = shape;
  if (data.length !== n * c * h * w) {
    throw new ShapeError(`packNCHW: data has ${data.length} values, shape [${shape.join(', ')}] needs ${n * c * h * w}`);
  }
  const c4 = pad4(c);
  const out = new Float32Array(n * h * w * c4);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c4 + ch] = data[((b * c + ch) * h + y) * w + x];
  return out;
}

/** nhwc4 storage of logical [N, H, W, C] -> NCHW Float32Array. */
export function unpackToNCHW(storage: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [n, h, w, c] = shape;
  const c4 = pad4(c);
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * c + ch) * h + y) * w + x] = storage[((b * h + y) * w + x) * c4 + ch];
  return out;
}

/** Indices of padded lanes in nhwc4 storage that hold a non-zero (the invariant says they must not). */
export function paddingViolations(storage: Float32Array, c: number): number {
  const c4 = pad4(c);
  let bad = 0;
  if (c4 === c) return 0;
  for (let i = 0; i < storage.length; i += c4) for (let ch = c; ch < c4; ch++) if (storage[i + ch] !== 0) bad++;
  return bad;
}

/** nhwc4 storage of logical [N, H, W, C] -> dense NHWC Float32Array (padding dropped). */
export function unpackNHWC(storage: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [n, h, w, c] = shape;
  const c4 = pad4(c);
  if (c4 === c) return storage.slice(0, n * h * w * c);
  const out = new Float32Array(n * h * w * c);
  for (let p = 0; p < n * h * w; p++) out.set(storage.subarray(p * c4, p * c4 + c), p * c);
  return out;
}

/** Dense NHWC float data (TensorFlow order) -> nhwc4 storage with zero padding. */
export function packNHWC(data: ArrayLike<number>, shape: readonly [number, number, number, number]): Float32Array {
  const [n, h, w, c] = shape;
  if (data.length !== n * h * w * c) throw new ShapeError(`packNHWC: data has ${data.length} values, shape [${shape.join(', ')}] needs ${n * h * w * c}`);
  const c4 = pad4(c);
  const out = new Float32Array(n * h * w * c4);
  for (let p = 0; p < n * h * w; p++) for (let ch = 0; ch < c; ch++) out[p * c4 + ch] = data[p * c + ch];
  return out;
}
