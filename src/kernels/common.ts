import { ShapeError, type Graph, type Tensor } from '../engine/index.ts';

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export type Pair = [number, number];
export function pair(v: number | Pair | undefined, dflt: number, what: string): Pair {
  const p: Pair = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= 0)) throw new ShapeError(`${what} must be non-negative integers, got ${JSON.stringify(v)}`);
  return p;
}

/** Where a tensor sits in its buffer, for specialisation keys and WGSL constants. */
export function place(t: Tensor): string {
  return `${t.shape.join('x')}/${t.c4Stride}+${t.c4Offset}`;
}

/** WGSL expression for the vec4 index of (n, y, x, c4) in tensor t (all u32 expressions). */
export function vec4Index(t: Tensor, n: string, y: string, x: string, c4: string): string {
  const [, h, w] = t.shape;
  return `(((${n}) * ${h}u + (${y})) * ${w}u + (${x})) * ${t.c4Stride}u + ${t.c4Offset}u + (${c4})`;
}

/** Formats a float as a WGSL f32 literal. */
export function f32(v: number): string {
  if (!Number.isFinite(v)) throw new ShapeError(`non-finite constant ${v} in a kernel`);
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * WGSL for bilinear sampling of `buf` (tensor t, logical [N, LH, LW, C]) at output pixel (oy, ox)
 * of an OH x OW map, PyTorch's F.interpolate(mode='bilinear') rules. Defines `fn <fname>(n, oy, ox, c4) -> vec4<f32>`.
 */
export function bilinearSampler(fname: string, buf: string, t: Tensor, outH: number, outW: number, alignCorners: boolean): string {
  const [, lh, lw] = t.shape;
  // Source coordinate of one axis, as PyTorch computes it (scale from sizes, in f32).
  const coord = (o: string, lin: number, lout: number) =>
    alignCorners
      ? lout > 1
        ? `f32(${o}) * (${f32(lin - 1)} / ${f32(lout - 1)})`
        : '0.0'
      : `max((f32(${o}) + 0.5) * (${f32(lin)} / ${f32(lout)}) - 0.5, 0.0)`;
  return `
fn ${fname}(n: u32, oy: u32, ox: u32, c4: u32) -> vec4<f32> {
  let sy = ${coord('oy', lh, outH)};
  let sx = ${coord('ox', lw, outW)};
  let y0 = min(u32(sy), ${lh - 1}u);
  let x0 = min(u32(sx), ${lw - 1}u);
  let y1 = min(y0 + 1u, ${lh - 1}u);
  let x1 = min(x0 + 1u, ${lw - 1}u);
  let ly = sy - f32(y0);
  let lx = sx - f32(x0);
  let top = mix(${buf}[${vec4Index(t, 'n', 'y0', 'x0', 'c4')}], ${buf}[${vec4Index(t, 'n', 'y0', 'x1', 'c4')}], lx);
  let bot = mix(${buf}[${vec4Index(t, 'n', 'y1', 'x0', 'c4')}], ${buf}[${vec4Index(t, 'n', 'y1', 'x1', 'c4')}], lx);
  return mix(top, bot, ly);
}`;
}

export function checkSameBatchAndChannels(a: Tensor, b: Tensor, what: string): void {
  if (a.shape[0] !== b.shape[0] || a.shape[3] !== b.shape[3])
    throw new ShapeError(`${what}: '${b.name}' [${b.shape}] must match '${a.name}' [${a.shape}] in batch and channels`);
}

/** Per-channel affine epilogue y = acc * scale + shift, packed as vec4 scale[c4] then shift[c4]. */
export function packScaleShift(c: number, cPad: number, scale?: Float32Array, shift?: Float32Array, bias?: Float32Array): Float32Array {
  for (const [name, v] of [['scale', scale], ['shift', shift], ['bias', bias]] as const)
    if (v && v.length !== c) throw new ShapeError(`${name} has ${v.length} values, expected one per output channel (${c})`);
  const out = new Float32Array(2 * cPad);
  for (let i = 0; i < c; i++) {
    const s = scale ? scale[i] : 1;
    out[i] = s;
    out[cPad + i] = (bias ? bias[i] : 0) * s + (shift ? shift[i] : 0);
  }
  return out;
}

/** Smallest power of two >= v (1 for v <= 1). */
export function nextPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}

/**
 * Workgroup shape for kernels that give each thread one vec4 of channels at some pixel(s):
 * x runs over vec4 channel groups (so neighbouring threads touch neighbouring 16-byte words of a
 * pixel), y over pixels; `size` threads in all.
 */
export function channelPixelTile(c4: number, size = 64, maxX = 16): [number, number] {
  const wgX = Math.min(maxX, nextPow2(c4), size);
  return [wgX, size / wgX];
}

/** A 1-D range of `groups` workgroups split over x and y so neither exceeds 65535. */
export function grid1d(groups: number): [number, number, number] {
  return [Math.min(groups, 65535), ceilDiv(groups, 65535), 1];
}

/**
 * WGSL vec4<bool>: which lanes of channel group `c4` (a u32 expression) are real channels (< c).
 * Kernels whose math would not give 0 in padded lanes use it to keep the padding invariant.
 */
export function laneMask(c4: string, c: number): string {
  return `(vec4<u32>(${c4} * 4u) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(${c}u)`;
}

/** The tensor a kernel writes: `out` if given (checked against `shape`), else a new one. */
export function outputTensor(g: Graph, name: string, what: string, out: Tensor | undefined, shape: readonly [number, number, number, number]): Tensor {
  const y = out ?? g.tensor(name, shape);
  if (y.shape.join() !== shape.join())
    throw new ShapeError(`${what} '${name}': output '${y.name}' is [${y.shape}], expected [${shape.join(', ')}]`);
  return y;
}
