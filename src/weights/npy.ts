/**
 * NumPy .npy reader/writer (format versions 1-3), little-endian float32/float64 and uint8
 * (float16 and int32 read too), C order only. Used for golden fixtures; small enough that hand-writing beats a dependency.
 */
import { quoteUntrusted } from '../util/untrusted.ts';

export interface NpyArray {
  shape: number[];
  dtype: 'f32' | 'f64' | 'f16' | 'u8' | 'i32';
  /** The values as f32 (f64 rounded to nearest; f16, u8 exact; i32 exact below 2^24). */
  data: Float32Array;
  /** The original float64 values when dtype is f64. */
  f64?: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A checked .npy header: where the data starts and how many items of what size it declares. */
export interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  /** Product of the shape. */
  count: number;
  /** Bytes per item from descr ('<f8' 8, '<U3' 12), or undefined for object/structured dtypes. */
  itemSize: number | undefined;
  dataStart: number;
}

/**
 * Parses a .npy header (format versions 1-3) and checks it against the bytes present: every shape
 * entry a decimal integer (a fractional, negative, NaN or huge size is refused) and, when the item
 * size is known, count x item size no more than the data bytes there are. Nothing is allocated
 * from a declared size before this passes. Shared by readNpy (fixtures, CLI inputs) and the MANO
 * .npz reader.
 */
export function parseNpyHeader(bytes: Uint8Array, what: string, dtypes?: { accept: readonly string[]; want: string }): NpyHeader {
  const fail = (msg: string): never => {
    throw new Error(`${what}: not a supported .npy file: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) (headerLen = view.getUint16(8, true)), (start = 10);
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('header truncated');
    (headerLen = view.getUint32(8, true)), (start = 12);
  } else return fail(`format version ${major}`);
  if (start + headerLen > bytes.length) fail(`header of ${headerLen} bytes runs past the end of the file (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail(`unparsable header ${quoteUntrusted(header.trim())}`);
  if (dtypes && !dtypes.accept.includes(descr)) fail(`dtype ${quoteUntrusted(descr)} (want ${dtypes.want})`);
  const parts = shapeText.split(',').map((s) => s.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // '(3,)'
  if (parts.length === 1 && parts[0] === '') parts.pop(); // '()': a scalar
  // Python 2 wrote long sizes as '3L'. At most 15 digits: every size stays a safe integer.
  if (parts.length > 32 || !parts.every((p) => /^\d{1,15}L?$/.test(p))) fail(`shape (${quoteUntrusted(shapeText)}) is not a list of whole sizes`);
  const shape = parts.map((p) => parseInt(p, 10));
  const dataStart = start + headerLen;
  const available = bytes.length - dataStart;
  const m = /^[<>|=]?([fiubcU])(\d{1,6})$/.exec(descr);
  const itemSize = m ? Number(m[2]) * (m[1] === 'U' ? 4 : 1) : undefined;
  // Multiply with a bound at every step, so a huge shape fails here and never overflows.
  const cap = itemSize ? Math.floor(available / itemSize) : Number.MAX_SAFE_INTEGER;
  let count = 1;
  if (!shape.includes(0)) {
    for (const d of shape) {
      count *= d;
      if (count > cap) fail(`shape (${quoteUntrusted(shapeText)}) of ${quoteUntrusted(descr)} needs more bytes than the ${available} of data present`);
    }
  } else count = 0;
  return { descr, fortran: fortran === 'True', shape, count, itemSize, dataStart };
}

export function readNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${name}: not a supported .npy file: ${msg}`);
  };
  const sizes: Record<string, number> = { '<f4': 4, '<f8': 8, '<f2': 2, '|u1': 1, '<i4': 4 };
  const want = 'little-endian float32, float64, float16, int32 or uint8';
  const { descr, fortran, shape, count, dataStart } = parseNpyHeader(bytes, name, { accept: Object.keys(sizes), want });
  if (fortran) fail('Fortran order is not supported (save a C-contiguous array)');
  const size = sizes[descr];
  // An aligned copy (Uint8Array's slice: a Node Buffer's own slice would be a view of its pool).
  const raw = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + count * size);
  if (descr === '|u1') return { shape, dtype: 'u8', data: Float32Array.from(raw) };
  if (descr === '<i4') return { shape, dtype: 'i32', data: Float32Array.from(new Int32Array(raw.buffer)) };
  if (descr === '<f4') return { shape, dtype: 'f32', data: new Float32Array(raw.buffer) };
  if (descr === '<f8') {
    const f64 = new Float64Array(raw.buffer);
    return { shape, dtype: 'f64', data: Float32Array.from(f64), f64 };
  }
  const h = new Uint16Array(raw.buffer);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = h[i];
    const s = v & 0x8000 ? -1 : 1;
    const e = (v >> 10) & 0x1f;
    const m = v & 0x3ff;
    data[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return { shape, dtype: 'f16', data };
}

export function writeNpy(data: Float32Array | Float64Array | Uint8Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`writeNpy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const descr = data instanceof Float64Array ? '<f8' : data instanceof Uint8Array ? '|u1' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so that the data starts on a 64-byte boundary, header ends with '\n' (as numpy does).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
