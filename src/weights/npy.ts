/**
 * NumPy .npy reader/writer (format versions 1-3), little-endian float32/float64 and uint8
 * (float16 and int32 read too), C order only. Used for golden fixtures; small enough that hand-writing beats a dependency.
 */

export interface NpyArray {
  shape: number[];
  dtype: 'f32' | 'f64' | 'f16' | 'u8' | 'i32';
  /** The values as f32 (f64 rounded to nearest; f16, u8 exact; i32 exact below 2^24). */
  data: Float32Array;
  /** The original float64 values when dtype is f64. */
  f64?: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function readNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${name}: not a supported .npy file: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) (headerLen = view.getUint16(8, true)), (start = 10);
  else if (major === 2 || major === 3) (headerLen = view.getUint32(8, true)), (start = 12);
  else return fail(`format version ${major}`);
  if (start + headerLen > bytes.length) fail('header truncated');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail(`unparsable header ${header.trim()}`);
  if (fortran === 'True') fail('Fortran order is not supported (save a C-contiguous array)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`shape (${shapeText}) is not a list of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) fail(`shape (${shapeText}) is too large`);
  const dataStart = start + headerLen;
  const sizes: Record<string, number> = { '<f4': 4, '<f8': 8, '<f2': 2, '|u1': 1, '<i4': 4 };
  const size = sizes[descr] ?? fail(`dtype ${descr} (want little-endian float32, float64, float16, int32 or uint8)`);
  if (bytes.length - dataStart < count * size) fail(`data truncated (${bytes.length - dataStart} bytes for ${count} x ${size})`);
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
