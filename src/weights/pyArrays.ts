/**
 * numpy arrays out of Python pickles and .npz files, for the MANO reader (mano.ts): the pickle
 * globals MANO files use (numpy reconstruct/dtype, chumpy Ch, scipy.sparse CSC/CSR) as inert
 * JavaScript stand-ins, array decoding (byte order, dtypes, Fortran order), sparse -> dense, and
 * .npy/.npz parsing. Nothing from the file is executed.
 */
import { PyGlobal, unpickle, UnsafePickleError } from './pickle.ts';
import type { ByteSource } from './source.ts';
import { ZipReader } from './zip.ts';

/** `__metadata__.format` / `version` / `architecture` of hand asset files. */
// ---------------------------------------------------------------------------------------------

/** A decoded numpy array: C-order values as float64 (integers up to 2^53 exact). */
export class NdArray {
  shape: number[] = [];
  /** numpy descr, e.g. '<f8', '>i4', '|u1'. */
  descr = '';
  data: Float64Array = new Float64Array(0);
  /** False until setstate (BUILD) filled it, for arrays made by `_reconstruct`. */
  ready = false;
}

/** A `numpy.dtype` under construction: REDUCE gives the kind+size, BUILD the byte order. */
class NpDType {
  constructor(public code: string, public order = '|') {}
  get descr(): string {
    return this.code.length && '<>|='.includes(this.code[0]) ? this.code : `${this.order}${this.code}`;
  }
}

/** An .npz entry that could not be decoded: an error only if the asset needs it. */
class Unreadable {
  constructor(readonly message: string) {}
}

/** An object of a class we cannot run (chumpy, scipy.sparse): its class and its pickled state. */
export class PyObjectStub {
  state: unknown = undefined;
  constructor(readonly cls: string) {}
}

const KIND_SIZES: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

/** Decodes raw array bytes (any byte order, C or Fortran order) to C-order float64. */
export function decodeArray(raw: Uint8Array, descr: string, shape: readonly number[], fortran: boolean, what: string): NdArray {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m || !KIND_SIZES[m[2]]?.includes(Number(m[3]))) {
    throw new Error(`${what}: numpy dtype '${descr}' is not supported (float16/32/64, (u)int8-64 and bool are)`);
  }
  const [, order, kind] = m;
  const size = Number(m[3]);
  const little = order !== '>'; // '=' is native: every platform numpy ships for is little-endian
  const count = shape.reduce((a, b) => a * b, 1);
  if (raw.length !== count * size) throw new Error(`${what}: array data has ${raw.length} bytes, expected ${count * size} for shape [${shape}] ${descr}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const flat = new Float64Array(count);
  for (let i = 0, o = 0; i < count; i++, o += size) {
    let x: number;
    if (kind === 'f') {
      if (size === 8) x = v.getFloat64(o, little);
      else if (size === 4) x = v.getFloat32(o, little);
      else {
        const h = v.getUint16(o, little);
        const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, mm = h & 0x3ff;
        x = e === 0 ? s * mm * 2 ** -24 : e === 31 ? (mm ? NaN : s * Infinity) : s * (1 + mm / 1024) * 2 ** (e - 15);
      }
    } else if (kind === 'i') {
      x = size === 8 ? Number(v.getBigInt64(o, little)) : size === 4 ? v.getInt32(o, little) : size === 2 ? v.getInt16(o, little) : v.getInt8(o);
    } else {
      x = size === 8 ? Number(v.getBigUint64(o, little)) : size === 4 ? v.getUint32(o, little) : size === 2 ? v.getUint16(o, little) : v.getUint8(o);
    }
    flat[i] = x;
  }
  const out = new NdArray();
  out.shape = [...shape];
  out.descr = descr;
  out.data = fortran && shape.length > 1 ? fortranToC(flat, shape) : flat;
  out.ready = true;
  return out;
}

function fortranToC(src: Float64Array, shape: readonly number[]): Float64Array {
  const n = shape.length;
  const fStride = new Array<number>(n);
  fStride[0] = 1;
  for (let k = 1; k < n; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array<number>(n).fill(0);
  const dst = new Float64Array(src.length);
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    for (let k = 0; k < n; k++) f += idx[k] * fStride[k];
    dst[c] = src[f];
    for (let k = n - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return dst;
}

/** Bytes from pickled array data: py3 bytes, or a py2 str read as latin-1 (one char per byte). */
function dataBytes(d: unknown, what: string): Uint8Array {
  if (d instanceof Uint8Array) return d;
  if (typeof d === 'string') {
    const b = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const c = d.charCodeAt(i);
      if (c > 255) throw new Error(`${what}: array data is a text string with non-latin-1 characters (not raw bytes)`);
      b[i] = c;
    }
    return b;
  }
  if (Array.isArray(d)) throw new Error(`${what}: an object (dtype 'O') array cannot be read; save plain numeric arrays`);
  throw new Error(`${what}: array data is not bytes`);
}

// ---------------------------------------------------------------------------------------------
// The MANO pickle allowlist: inert stand-ins only
// ---------------------------------------------------------------------------------------------

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const shapeOf = (x: unknown, what: string): number[] => {
  if (!Array.isArray(x) || !x.every((d) => isInt(d) && d >= 0)) throw new Error(`${what}: array shape is not a tuple of sizes`);
  return x as number[];
};
const dtypeOf = (x: unknown, what: string): string => {
  if (x instanceof NpDType) return x.descr;
  if (typeof x === 'string') return x;
  throw new Error(`${what}: array dtype is not a numpy.dtype`);
};

const SPARSE_CLASSES = ['scipy.sparse.csc.csc_matrix', 'scipy.sparse._csc.csc_matrix', 'scipy.sparse.csr.csr_matrix', 'scipy.sparse._csr.csr_matrix'];
/** chumpy modules whose classes may appear (as inert stubs; only chumpy.ch.Ch can be read). */
const CHUMPY_MODULE = /^chumpy(\.(ch|ch_ops|reordering|linalg|logic|utils|extras|optimization))?$/;

/** The globals a MANO pickle may name, keyed "module.name", for unpickle(). */
export function manoPickleGlobals(name: string): Record<string, { call?: (args: unknown[]) => unknown }> {
  const g: Record<string, { call?: (args: unknown[]) => unknown }> = {};
  const reconstruct = {
    call: (args: unknown[]) => {
      const cls = args[0];
      if (!(cls instanceof PyGlobal) || !/^numpy\.(ndarray|matrix)$/.test(cls.qualname)) {
        throw new UnsafePickleError(`${name}: numpy _reconstruct of ${cls instanceof PyGlobal ? `'${cls.qualname}'` : 'a non-class'}: refused`);
      }
      return new NdArray();
    },
  };
  const frombuffer = {
    call: (args: unknown[]) => {
      const [buf, dtype, shape, order] = args;
      return decodeArray(dataBytes(buf, name), dtypeOf(dtype, name), shapeOf(shape, name), order === 'F', name);
    },
  };
  for (const core of ['numpy.core', 'numpy._core']) {
    g[`${core}.multiarray._reconstruct`] = reconstruct;
    g[`${core}.numeric._frombuffer`] = frombuffer;
  }
  g['numpy.ndarray'] = {};
  g['numpy.matrix'] = {};
  g['numpy.dtype'] = {
    call: (args: unknown[]) => {
      if (typeof args[0] !== 'string') throw new Error(`${name}: numpy.dtype() of a non-string`);
      return new NpDType(args[0]);
    },
  };
  g['_codecs.encode'] = {
    call: (args: unknown[]) => {
      if (typeof args[0] !== 'string' || (args[1] !== 'latin1' && args[1] !== 'latin-1')) throw new Error(`${name}: _codecs.encode is only accepted for latin1 bytes`);
      return dataBytes(args[0], name);
    },
  };
  const stub = (args: unknown[], op: string): PyObjectStub => {
    const cls = args[0];
    if (!(cls instanceof PyGlobal) || !(SPARSE_CLASSES.includes(cls.qualname) || CHUMPY_MODULE.test(cls.module))) {
      throw new UnsafePickleError(`${name}: ${op} of ${cls instanceof PyGlobal ? `'${cls.qualname}'` : 'a non-class'}: refused`);
    }
    return new PyObjectStub(cls.qualname);
  };
  for (const m of ['copy_reg', 'copyreg']) {
    g[`${m}._reconstructor`] = {
      call: (args) => {
        const base = args[1];
        if (!(base instanceof PyGlobal) || !/^(__builtin__|builtins)\.object$/.test(base.qualname) || args[2] !== null) {
          throw new UnsafePickleError(`${name}: copy_reg._reconstructor with a base other than object: refused`);
        }
        return stub(args, 'copy_reg._reconstructor');
      },
    };
    g[`${m}.__newobj__`] = { call: (args) => stub(args, 'copy_reg.__newobj__') };
  }
  for (const m of ['__builtin__', 'builtins']) {
    g[`${m}.object`] = {};
    g[`${m}.set`] = { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) };
    g[`${m}.frozenset`] = { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) };
  }
  for (const c of SPARSE_CLASSES) g[c] = { call: () => new PyObjectStub(c) }; // NEWOBJ on the class
  return g;
}

/** unpickle() options for MANO files: the allowlist above, chumpy class stubs, setstate stand-ins. */
function manoUnpickleOptions(name: string) {
  return {
    name,
    py2Strings: 'latin1' as const,
    globals: manoPickleGlobals(name),
    resolveGlobal: (module: string, cls: string) =>
      CHUMPY_MODULE.test(module) && /^[A-Za-z_]\w*$/.test(cls) ? { call: () => new PyObjectStub(`${module}.${cls}`) } : undefined,
    build: (obj: unknown, state: unknown): boolean => {
      if (obj instanceof NdArray) {
        if (!Array.isArray(state) || (state.length !== 4 && state.length !== 5)) throw new Error(`${name}: unexpected ndarray state`);
        const [shape, dtype, fortran, raw] = state.length === 5 ? state.slice(1) : state;
        const a = decodeArray(dataBytes(raw, name), dtypeOf(dtype, name), shapeOf(shape, name), !!fortran, name);
        Object.assign(obj, a);
        return true;
      }
      if (obj instanceof NpDType) {
        if (Array.isArray(state) && typeof state[1] === 'string') obj.order = state[1];
        return true;
      }
      if (obj instanceof PyObjectStub) {
        obj.state = Array.isArray(state) && state[0] instanceof Map ? state[0] : state; // (dict, slotstate)
        return true;
      }
      return false;
    },
  };
}

/** Runs a MANO pickle through the restricted VM; returns its top-level dict. */
export function unpickleMano(bytes: Uint8Array, name: string): Map<string, unknown> {
  if (bytes[0] !== 0x80) throw new Error(`${name}: not a pickle of protocol 2 or later (MANO files are protocol 2)`);
  const { value } = unpickle(bytes, manoUnpickleOptions(name));
  if (!(value instanceof Map)) throw new Error(`${name}: the pickle holds ${Array.isArray(value) ? 'a list/tuple' : typeof value}, not a dict of MANO arrays`);
  return value as Map<string, unknown>;
}

/** A pickled value as an array: numpy arrays, chumpy.ch.Ch (its 'x'), scipy CSC/CSR (densified). */
export function pickledArray(v: unknown, key: string, name: string): NdArray {
  const what = `${name}: '${key}'`;
  if (v instanceof Unreadable) throw new Error(v.message);
  if (v instanceof NdArray) {
    if (!v.ready) throw new Error(`${what}: numpy array without data (no setstate)`);
    return v;
  }
  if (v instanceof PyObjectStub) {
    const st = v.state instanceof Map ? (v.state as Map<string, unknown>) : undefined;
    if (v.cls === 'chumpy.ch.Ch') {
      if (!st || !st.has('x')) throw new Error(`${what} is a chumpy.ch.Ch object without a stored array ('x')`);
      return pickledArray(st.get('x'), key, name);
    }
    if (SPARSE_CLASSES.includes(v.cls)) {
      if (!st) throw new Error(`${what} is a ${v.cls} without state`);
      const part = (k: string) => pickledArray(st.get(k), `${key}.${k}`, name);
      const shape = shapeOf(st.get('_shape') ?? st.get('shape'), `${what} (${v.cls} shape)`);
      return densify(part('data'), part('indices'), part('indptr'), shape, v.cls.includes('csr') ? 'csr' : 'csc', what);
    }
    if (v.cls.startsWith('chumpy.')) {
      throw new Error(
        `${what} is a chumpy '${v.cls}' object, which cannot be read without running chumpy: only chumpy.ch.Ch (a stored array) is supported. ` +
          `Re-save the model with plain numpy arrays (e.g. np.savez with np.array(value) for every key) and convert that.`,
      );
    }
    throw new Error(`${what} is a '${v.cls}' object, not an array`);
  }
  throw new Error(`${what} is ${v === null ? 'None' : Array.isArray(v) ? 'a list/tuple' : typeof v}, not a numpy array`);
}

export function densify(data: NdArray, indices: NdArray, indptr: NdArray, shape: number[], format: 'csc' | 'csr', what: string): NdArray {
  if (shape.length !== 2) throw new Error(`${what}: sparse matrix shape [${shape}] is not 2-D`);
  const [rows, cols] = shape;
  const outer = format === 'csc' ? cols : rows;
  const inner = format === 'csc' ? rows : cols;
  if (indptr.data.length !== outer + 1) throw new Error(`${what}: ${format} indptr has ${indptr.data.length} entries, expected ${outer + 1}`);
  const nnz = indptr.data[outer];
  if (data.data.length < nnz || indices.data.length < nnz) throw new Error(`${what}: ${format} data/indices shorter than indptr says (${nnz})`);
  const dense = new Float64Array(rows * cols);
  for (let o = 0; o < outer; o++) {
    const lo = indptr.data[o], hi = indptr.data[o + 1];
    if (!(lo <= hi && hi <= nnz)) throw new Error(`${what}: ${format} indptr is not non-decreasing`);
    for (let p = lo; p < hi; p++) {
      const i = indices.data[p];
      if (!(i >= 0 && i < inner)) throw new Error(`${what}: ${format} index ${i} out of range`);
      dense[format === 'csc' ? i * cols + o : o * cols + i] += data.data[p];
    }
  }
  const a = new NdArray();
  a.shape = [rows, cols];
  a.descr = data.descr;
  a.data = dense;
  a.ready = true;
  return a;
}

// ---------------------------------------------------------------------------------------------
// .npy / .npz
// ---------------------------------------------------------------------------------------------

/** Parses one .npy (any numeric dtype, either byte order, C or Fortran order). */
export function parseNpyAny(bytes: Uint8Array, what: string): NdArray | { text: string } {
  const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${what}: not a .npy array (bad magic)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const [len, start] = major === 1 ? [v.getUint16(8, true), 10] : major === 2 || major === 3 ? [v.getUint32(8, true), 12] : [-1, 0];
  if (len < 0 || start + len > bytes.length) throw new Error(`${what}: unsupported or truncated .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${what}: unparsable .npy header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const body = bytes.subarray(start + len);
  if (/^[<>|=]?O$/.test(descr)) {
    throw new Error(`${what}: is a pickled object array (dtype O), which is not read (it would need allow_pickle); save it as a numeric array`);
  }
  const u = /^([<>|=]?)U(\d+)$/.exec(descr); // a small unicode string array (e.g. a sparse 'format')
  if (u) {
    const n = Number(u[2]);
    let text = '';
    for (let i = 0; i < n && 4 * i + 4 <= body.length; i++) {
      const c = new DataView(body.buffer, body.byteOffset + 4 * i, 4).getUint32(0, u[1] !== '>');
      if (c) text += String.fromCodePoint(c);
    }
    return { text };
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const size = Number(/\d+$/.exec(descr)?.[0] ?? 0);
  return decodeArray(body.subarray(0, count * size), descr, shape, fortran === 'True', what);
}

/** Reads an .npz (zip of .npy) into a key -> array map, densifying a sparse J_regressor stored in parts. */
export async function readNpz(source: ByteSource): Promise<Map<string, unknown>> {
  const zip = await ZipReader.open(source);
  const out = new Map<string, unknown>();
  const texts = new Map<string, string>();
  for (const entry of zip.entries.keys()) {
    if (!entry.endsWith('.npy')) continue;
    const key = entry.slice(0, -4);
    let a: NdArray | { text: string };
    try {
      a = parseNpyAny(await zip.read(entry), `${source.name}: '${key}'`);
    } catch (e) {
      out.set(key, new Unreadable((e as Error).message)); // e.g. an object array of a key we do not need
      continue;
    }
    if (a instanceof NdArray) out.set(key, a);
    else texts.set(key, a.text);
  }
  if (!out.has('J_regressor')) {
    for (const sep of ['_', '.']) {
      const p = (k: string) => {
        const a = out.get(`J_regressor${sep}${k}`);
        return a instanceof NdArray ? a : undefined;
      };
      const [data, indices, indptr, shape] = [p('data'), p('indices'), p('indptr'), p('shape')];
      if (data && indices && indptr && shape) {
        const format = texts.get(`J_regressor${sep}format`) ?? 'csc';
        if (format !== 'csc' && format !== 'csr') throw new Error(`${source.name}: J_regressor sparse format '${format}' is not csc or csr`);
        out.set('J_regressor', densify(data, indices, indptr, Array.from(shape.data), format, `${source.name}: 'J_regressor'`));
        break;
      }
    }
  }
  return out;
}
