import { ShapeError, type Constant, type Graph, type Tensor } from '../engine/index.ts';

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export type Pair = [number, number];
export function pair(v: number | Pair | undefined, dflt: number, what: string): Pair {
  const p: Pair = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= 0)) throw new ShapeError(`${what} must be non-negative integers, got ${JSON.stringify(v)}`);
  return p;
}

/** Padding per side. TensorFlow's SAME is asymmetric: for stride 2 on an even size the odd pixel goes after. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
/** A number or [h, w] pads both sides alike (PyTorch); an object pads each side on its own. */
export type Padding = number | Pair | Pads;

export function pads(v: Padding | undefined, what: string): Pads {
  if (v === undefined || typeof v === 'number' || Array.isArray(v)) {
    const [h, w] = pair(v, 0, what);
    return { top: h, bottom: h, left: w, right: w };
  }
  const p: Pads = { top: v.top, bottom: v.bottom, left: v.left, right: v.right };
  if (!Object.values(p).every((x) => Number.isInteger(x) && x >= 0)) throw new ShapeError(`${what} must be non-negative integers, got ${JSON.stringify(v)}`);
  return p;
}

/** Kernel, stride, padding and output size of a sliding-window op on x. */
export interface WindowShape {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: Pads;
  oh: number;
  ow: number;
}

/**
 * The window of a conv or pool (`what` names it in errors): output size
 * floor((H + top + bottom - kh) / sh) + 1, likewise for W. Stride defaults to 1 (convs) or to
 * the kernel size (pools).
 */
export function slidingWindow(what: string, x: Tensor, o: { kernel: number | Pair; stride?: number | Pair; padding?: Padding }, defaultStride: 'one' | 'kernel' = 'one'): WindowShape {
  const [kh, kw] = pair(o.kernel, 1, `${what} kernel`);
  const [sh, sw] = o.stride === undefined && defaultStride === 'kernel' ? [kh, kw] : pair(o.stride, 1, `${what} stride`);
  const pad = pads(o.padding, `${what} padding`);
  if (kh < 1 || kw < 1 || sh < 1 || sw < 1) throw new ShapeError(`${what}: kernel and stride must be >= 1`);
  const [, ih, iw] = x.shape;
  const oh = Math.floor((ih + pad.top + pad.bottom - kh) / sh) + 1;
  const ow = Math.floor((iw + pad.left + pad.right - kw) / sw) + 1;
  if (oh < 1 || ow < 1) throw new ShapeError(`${what}: input '${x.name}' ${ih}x${iw} is smaller than kernel ${kh}x${kw} with padding ${padsText(pad)}`);
  return { kh, kw, sh, sw, pad, oh, ow };
}

const padsText = (p: Pads) => `${p.top},${p.bottom},${p.left},${p.right}`;

/** Pipeline-key part fixing a window's shape. */
export function windowKey(w: WindowShape): string {
  return `k${w.kh}x${w.kw} s${w.sh}x${w.sw} p${padsText(w.pad)}`;
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
 * How a resize maps output pixel o to a source coordinate along an axis of in -> out pixels:
 * 'alignCorners' o * (in - 1) / (out - 1) (PyTorch align_corners=True, TFLite align_corners);
 * 'halfPixel' (o + 0.5) * in / out - 0.5, clamped at 0 (PyTorch align_corners=False, TFLite
 * half_pixel_centers; TFLite's own clamping of the taps gives the same values);
 * 'asymmetric' o * in / out (TFLite with both flags false, TF1's legacy resize).
 */
export type ResizeCoordinates = 'alignCorners' | 'halfPixel' | 'asymmetric';

/** The coordinate mode from `coordinates`, or from the PyTorch-style `alignCorners` flag (default false). */
export function resizeCoordinates(o: { alignCorners?: boolean; coordinates?: ResizeCoordinates }, what: string): ResizeCoordinates {
  const fromFlag: ResizeCoordinates = o.alignCorners ? 'alignCorners' : 'halfPixel';
  const c = o.coordinates ?? fromFlag;
  if (!['alignCorners', 'halfPixel', 'asymmetric'].includes(c)) throw new ShapeError(`${what}: unknown coordinates '${String(c)}'`);
  if (o.alignCorners !== undefined && (c === 'alignCorners') !== o.alignCorners)
    throw new ShapeError(`${what}: alignCorners: ${o.alignCorners} contradicts coordinates '${c}'`);
  return c;
}

/** Per-axis scale of a resize from `lin` to `lout` pixels, as f32 (what the coordinate formula multiplies by). */
export function resizeScale(lin: number, lout: number, coords: ResizeCoordinates): number {
  if (coords === 'alignCorners') return lout > 1 ? Math.fround((lin - 1) / (lout - 1)) : 0;
  return Math.fround(lin / lout);
}

/** Params of bilinearSamplerParams for tensor t sampled onto an OH x OW map. */
export function samplerParams(prefix: string, t: Tensor, outH: number, outW: number, coords: ResizeCoordinates): Param[] {
  const [, lh, lw] = t.shape;
  return [...tensorParams(prefix, t), f32Param(`${prefix}SY`, resizeScale(lh, outH, coords)), f32Param(`${prefix}SX`, resizeScale(lw, outW, coords))];
}

/**
 * WGSL for bilinear sampling of `buf` (the tensor placed by samplerParams(prefix, ...), logical
 * [N, LH, LW, C]) at output pixel (oy, ox) of the map it is resized to (see ResizeCoordinates).
 * Defines `fn <fname>(n, oy, ox, c4) -> vec4<f32>`.
 */
export function bilinearSamplerParams(fname: string, buf: string, prefix: string, coords: ResizeCoordinates): string {
  return samplerWGSL(fname, buf, coords, `P.${prefix}H`, `P.${prefix}W`, `P.${prefix}SY`, `P.${prefix}SX`, (y, x) => vec4IndexParams(prefix, 'n', y, x, 'c4'));
}

// Every mode gives a coordinate >= 0, so floor is u32(); the upper tap is clamped to the map.
function samplerWGSL(fname: string, buf: string, coords: ResizeCoordinates, lh: string, lw: string, scaleY: string, scaleX: string, at: (y: string, x: string) => string): string {
  const coord = (o: string, scale: string) =>
    coords === 'halfPixel' ? `max((f32(${o}) + 0.5) * ${scale} - 0.5, 0.0)` : `f32(${o}) * ${scale}`;
  return `
fn ${fname}(n: u32, oy: u32, ox: u32, c4: u32) -> vec4<f32> {
  let sy = ${coord('oy', scaleY)};
  let sx = ${coord('ox', scaleX)};
  let y0 = min(u32(sy), ${lh} - 1u);
  let x0 = min(u32(sx), ${lw} - 1u);
  let y1 = min(y0 + 1u, ${lh} - 1u);
  let x1 = min(x0 + 1u, ${lw} - 1u);
  let ly = sy - f32(y0);
  let lx = sx - f32(x0);
  let top = mix(${buf}[${at('y0', 'x0')}], ${buf}[${at('y0', 'x1')}], lx);
  let bot = mix(${buf}[${at('y1', 'x0')}], ${buf}[${at('y1', 'x1')}], lx);
  return mix(top, bot, ly);
}`;
}

/** Elementwise activation applied last in a kernel's epilogue (TFLite's fused RELU/RELU6 and PRELU ops). */
export type Activation = 'none' | 'relu' | 'relu6' | { prelu: Float32Array /* one slope per output channel */ };
export type ActivationKind = 'none' | 'relu' | 'relu6' | 'prelu';

/** `activation`, or the older `relu: true` shorthand; PReLU slopes must be one per channel. */
export function resolveActivation(o: { activation?: Activation; relu?: boolean }, channels: number, what: string): Activation {
  const a = o.activation ?? (o.relu ? 'relu' : 'none');
  if (typeof a === 'object') {
    if (!(a.prelu instanceof Float32Array) || a.prelu.length !== channels)
      throw new ShapeError(`${what}: PReLU needs one slope per output channel (${channels}), got ${a.prelu?.length}`);
  } else if (!['none', 'relu', 'relu6'].includes(a)) throw new ShapeError(`${what}: unknown activation '${String(a)}'`);
  if (o.relu && a !== 'relu') throw new ShapeError(`${what}: relu: true contradicts activation ${typeof a === 'object' ? 'prelu' : a}`);
  return a;
}

export const activationKind = (a: Activation): ActivationKind => (typeof a === 'object' ? 'prelu' : a);
export const preluSlopes = (a: Activation): Float32Array | undefined => (typeof a === 'object' ? a.prelu : undefined);

/**
 * WGSL statement applying the activation to variable `v` of `type` (vec4<f32> or f32); `slope`
 * is the PReLU slope expression (packed with zeros in padded lanes, so those stay 0).
 */
export function activationWGSL(kind: ActivationKind, v: string, slope: string, type = 'vec4<f32>'): string {
  const zero = `${type}(0.0)`;
  switch (kind) {
    case 'none':
      return '';
    case 'relu':
      return `${v} = max(${v}, ${zero});`;
    case 'relu6':
      return `${v} = clamp(${v}, ${zero}, ${type}(6.0));`;
    case 'prelu':
      return `${v} = select(${v} * ${slope}, ${v}, ${v} >= ${zero});`;
  }
}

/**
 * Checks a tensor added to an output: same N, H, W and at most as many channels. Fewer channels
 * is TFLite's channel PAD on a shortcut: the missing channels add 0.
 */
export function checkAddend(y: Tensor, r: Tensor, what: string): void {
  if (r.shape[0] !== y.shape[0] || r.shape[1] !== y.shape[1] || r.shape[2] !== y.shape[2] || r.channels > y.channels)
    throw new ShapeError(`${what}: '${r.name}' is [${r.shape}], expected [${y.shape.slice(0, 3)}, <= ${y.channels}]`);
}

/**
 * WGSL `v += buf[...]` of addend r at (n, y, x, c4). Groups past r's last one add nothing; r's own
 * padded lanes are 0, so a partial last group adds 0 in the missing channels too.
 */
export function addendWGSL(v: string, buf: string, r: Tensor, outChannels: number, n: string, y: string, x: string, c4: string): string {
  const add = `${v} += ${buf}[${vec4Index(r, n, y, x, c4)}];`;
  const r4 = ceilDiv(r.channels, 4);
  return r4 < ceilDiv(outChannels, 4) ? `if (${c4} < ${r4}u) { ${add} }` : add;
}

export function checkSameBatchAndChannels(a: Tensor, b: Tensor, what: string): void {
  if (a.shape[0] !== b.shape[0] || a.shape[3] !== b.shape[3])
    throw new ShapeError(`${what}: '${b.name}' [${b.shape}] must match '${a.name}' [${a.shape}] in batch and channels`);
}

/**
 * Per-channel affine epilogue y = acc * scale + shift, packed as vec4 scale[c4] then shift[c4],
 * then, given PReLU slopes, slope[c4]. Padded lanes are 0, so they stay 0.
 */
export function packScaleShift(c: number, cPad: number, scale?: Float32Array, shift?: Float32Array, bias?: Float32Array, slopes?: Float32Array): Float32Array {
  for (const [name, v] of [['scale', scale], ['shift', shift], ['bias', bias], ['PReLU slopes', slopes]] as const)
    if (v && v.length !== c) throw new ShapeError(`${name} has ${v.length} values, expected one per output channel (${c})`);
  const out = new Float32Array((slopes ? 3 : 2) * cPad);
  for (let i = 0; i < c; i++) {
    const s = scale ? scale[i] : 1;
    out[i] = s;
    out[cPad + i] = (bias ? bias[i] : 0) * s + (shift ? shift[i] : 0);
    if (slopes) out[2 * cPad + i] = slopes[i];
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

/**
 * WGSL prologue of a kernel with one thread per output vec4 over a 1-D grid (see grid1d):
 * returns early past the end, else defines c4, ox, oy, n of output shape [N, H, W, C].
 */
export function vec4ThreadWGSL(wg: number, shape: readonly [number, number, number, number]): string {
  const [n, h, w, c] = shape;
  const c4 = ceilDiv(c, 4);
  return `let i = gid.x + gid.y * ${wg * 65535}u;
  if (i >= ${n * h * w * c4}u) { return; }
  let c4 = i % ${c4}u;
  let q = i / ${c4}u;
  let ox = q % ${w}u;
  let oy = (q / ${w}u) % ${h}u;
  let n = q / ${w * h}u;`;
}

/**
 * A shape value a kernel reads from its uniform params (see Dispatch.params) instead of baking it
 * into the WGSL: layers that differ only in such values share one pipeline.
 */
export interface Param {
  name: string;
  type: 'u32' | 'i32' | 'f32';
  value: number;
}

export const u32Param = (name: string, value: number): Param => ({ name, type: 'u32', value });
export const f32Param = (name: string, value: number): Param => ({ name, type: 'f32', value });

/** The params struct and its binding, read in WGSL as `P.<name>`. */
export function paramsWGSL(params: readonly Param[], binding: number): string {
  return `struct Params { ${params.map((p) => `${p.name}: ${p.type},`).join(' ')} }
@group(0) @binding(${binding}) var<uniform> P: Params;`;
}

/** The params' values as the raw words of the uniform buffer. */
export function paramWords(params: readonly Param[]): Uint32Array {
  const words = new Uint32Array(params.length);
  const view = new DataView(words.buffer);
  params.forEach((p, i) => {
    if (p.type === 'f32') view.setFloat32(4 * i, p.value, true);
    else if (p.type === 'i32') view.setInt32(4 * i, p.value, true);
    else view.setUint32(4 * i, p.value, true);
  });
  return words;
}

/** Params placing tensor t in its buffer (height, width, vec4 channel stride and offset), named `<prefix>H` etc. */
export function tensorParams(prefix: string, t: Tensor): Param[] {
  const [, h, w] = t.shape;
  return [u32Param(`${prefix}H`, h), u32Param(`${prefix}W`, w), u32Param(`${prefix}S`, t.c4Stride), u32Param(`${prefix}O`, t.c4Offset)];
}

/** vec4Index for a tensor placed by tensorParams(prefix, ...). */
export function vec4IndexParams(prefix: string, n: string, y: string, x: string, c4: string): string {
  return `(((${n}) * P.${prefix}H + (${y})) * P.${prefix}W + (${x})) * P.${prefix}S + P.${prefix}O + (${c4})`;
}

/**
 * Entry point of a kernel laid out by channelPixelTile: 64 threads per workgroup, `wgX` of them
 * (a param, so the layout costs no pipeline) across vec4 channel groups and 64 / wgX across
 * pixels; defines `<c>` (channel group), `<p>` (pixel or block index) and n. Dispatch
 * [ceil(c4 / wgX), ceil(pixels / (64 / wgX)), N].
 */
export function channelPixelEntryWGSL(c: string, p: string): string {
  return `@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ${c} = wid.x * P.wgX + lid % P.wgX;
  let ${p} = wid.y * (64u / P.wgX) + lid / P.wgX;
  let n = wid.z;`;
}

/**
 * WGSL for a weight buffer at `binding` stored as `c.dtype` (see Graph.weights), read through
 * `fn <fn>(i: u32)`: 'vec4' reads vec4 i (f16: two u32 words, widened with unpack2x16float),
 * 'scalar' reads element i. Kernels read weights only through this, so both precisions share
 * one kernel source.
 */
export function weightBufferWGSL(c: Constant, binding: number, buf: string, fn: string, read: 'vec4' | 'scalar'): string {
  const decl = (type: string) => `@group(0) @binding(${binding}) var<storage, read> ${buf}: array<${type}>;`;
  if (c.dtype === 'f32')
    return read === 'vec4'
      ? `${decl('vec4<f32>')}\nfn ${fn}(i: u32) -> vec4<f32> { return ${buf}[i]; }`
      : `${decl('f32')}\nfn ${fn}(i: u32) -> f32 { return ${buf}[i]; }`;
  return read === 'vec4'
    ? `${decl('vec2<u32>')}\nfn ${fn}(i: u32) -> vec4<f32> { let p = ${buf}[i]; return vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y)); }`
    : `${decl('u32')}\nfn ${fn}(i: u32) -> f32 { return unpack2x16float(${buf}[i >> 1u])[i & 1u]; }`;
}

/** Pipeline-key part for a weight constant's storage (nothing for f32, so f32 keys are unchanged). */
export const weightKey = (c: Constant): string => (c.dtype === 'f32' ? '' : ` w:${c.dtype}`);

/** Bytes per weight value as stored (for the profiler's byte counts). */
export const weightBytes = (c: Constant): number => (c.dtype === 'f16' ? 2 : 4);
