/**
 * numpy arrays out of Python pickles and .npz files, for the MANO reader (mano.ts): the pickle
 * globals MANO files use (numpy reconstruct/dtype, chumpy Ch, scipy.sparse CSC/CSR) as inert
 * JavaScript stand-ins, array decoding (byte order, dtypes, Fortran order), sparse -> dense, and
 * .npy/.npz parsing. Nothing from the file is executed.
 */
import { PyGlobal, unpickle, UnsafePickleError } from './pickle.ts';
import type { ByteSource } from './source.ts';
import { ZipReader } from './zip.ts';
import { parseNpyHeader } from './npy.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

/**
 * A numpy array: shape and dtype known at once, values (C order, float64: integers up to 2^53
 * exact) decoded on first use of `data`. The byte count is checked when it is made, so shapes can
 * be checked against what the model needs before anything is decoded, and arrays nothing needs
 * are never decoded.
 */
export class NdArray {
  shape: number[] = [];
  /** numpy descr, e.g. '<f8', '>i4', '|u1'. */
  descr = '';
  /** False until setstate (BUILD) filled it, for arrays made by `_reconstruct`. */
  ready = false;
  private values: Float64Array = new Float64Array(0);
  private pending: (() => Float64Array) | undefined;

  get data(): Float64Array {
    if (this.pending) (this.values = this.pending()), (this.pending = undefined);
    return this.values;
  }
  set data(d: Float64Array) {
    this.values = d;
    this.pending = undefined;
  }
  /** Decodes the values later, on first use of `data`. */
  decodeLater(decode: () => Float64Array): void {
    this.pending = decode;
  }
  /** Takes over another array's shape, dtype and (pending) values: BUILD filling a `_reconstruct`ed array. */
  adopt(a: NdArray): void {
    this.shape = a.shape;
    this.descr = a.descr;
    this.values = a.values;
    this.pending = a.pending;
    this.ready = a.ready;
  }
}

/** A `numpy.dtype` under construction: REDUCE gives the kind+size, BUILD the byte order. */
class NpDType {
  constructor(public code: string, public order = '|') {}
  get descr(): string {
    return this.code.length && '<>|='.includes(this.code[0]) ? this.code : `${this.order}${this.code}`;
  }
}

/** An .npz entry the hand model does not need: listed (for messages), never read. */
export class NotRead {
  constructor(readonly entry: string) {}
}

/** A scipy.sparse CSC/CSR matrix in parts; densified only once the shape the model needs is known. */
export class SparseMatrix {
  constructor(
    readonly format: 'csc' | 'csr',
    readonly data: NdArray,
    readonly indices: NdArray,
    readonly indptr: NdArray,
    readonly shape: number[],
  ) {}
}

/** An object of a class we cannot run (chumpy, scipy.sparse): its class and its pickled state. */
export class PyObjectStub {
  state: unknown = undefined;
  constructor(readonly cls: string) {}
}

const KIND_SIZES: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

/**
 * Checks raw array bytes (any byte order, C or Fortran order) against dtype and shape, and returns
 * the array with its values to be decoded to C-order float64 on first use.
 */
export function decodeArray(raw: Uint8Array, descr: string, shape: readonly number[], fortran: boolean, what: string): NdArray {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m || !KIND_SIZES[m[2]]?.includes(Number(m[3]))) {
    throw new Error(`${what}: numpy dtype ${quoteUntrusted(descr)} is not supported (float16/32/64, (u)int8-64 and bool are)`);
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${what}: array shape [${shape.map((d) => quoteUntrusted(d)).join(', ')}] is not a list of whole sizes`);
  const [, order, kind] = m;
  const size = Number(m[3]);
  const little = order !== '>'; // '=' is native: every platform numpy ships for is little-endian
  const count = shape.reduce((a, b) => a * b, 1);
  // Checked before anything is allocated: a declared shape must be backed by bytes that are there.
  if (raw.length !== count * size) throw new Error(`${what}: array data has ${raw.length} bytes, expected ${count * size} for shape [${shape}] ${descr}`);
  const out = new NdArray();
  out.shape = [...shape];
  out.descr = descr;
  out.ready = true;
  out.decodeLater(() => {
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
    return fortran && shape.length > 1 ? fortranToC(flat, shape) : flat;
  });
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

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
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
        throw new UnsafePickleError(`${name}: numpy _reconstruct of ${cls instanceof PyGlobal ? quoteUntrusted(cls.qualname) : 'a non-class'}: refused`);
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
      throw new UnsafePickleError(`${name}: ${op} of ${cls instanceof PyGlobal ? quoteUntrusted(cls.qualname) : 'a non-class'}: refused`);
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
        obj.adopt(decodeArray(dataBytes(raw, name), dtypeOf(dtype, name), shapeOf(shape, name), !!fortran, name));
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

/** A pickled value as an array: numpy arrays, chumpy.ch.Ch (its 'x'), scipy CSC/CSR (densified to `want`). */
export function pickledArray(v: unknown, key: string, name: string, want?: readonly number[]): NdArray {
  const what = `${name}: '${key}'`;
  if (v instanceof NdArray) {
    if (!v.ready) throw new Error(`${what}: numpy array without data (no setstate)`);
    return v;
  }
  if (v instanceof SparseMatrix) return densify(v, want, what);
  if (v instanceof NotRead) throw new Error(`${what}: entry ${quoteUntrusted(v.entry)} was not read`);
  if (v instanceof PyObjectStub) {
    const st = v.state instanceof Map ? (v.state as Map<string, unknown>) : undefined;
    const cls = quoteUntrusted(v.cls);
    if (v.cls === 'chumpy.ch.Ch') {
      if (!st || !st.has('x')) throw new Error(`${what} is a chumpy.ch.Ch object without a stored array ('x')`);
      return pickledArray(st.get('x'), key, name, want);
    }
    if (SPARSE_CLASSES.includes(v.cls)) {
      if (!st) throw new Error(`${what} is a ${cls} without state`);
      const part = (k: string) => pickledArray(st.get(k), `${key}.${k}`, name);
      const shape = shapeOf(st.get('_shape') ?? st.get('shape'), `${what} (${cls} shape)`);
      return densify(new SparseMatrix(v.cls.includes('csr') ? 'csr' : 'csc', part('data'), part('indices'), part('indptr'), shape), want, what);
    }
    if (v.cls.startsWith('chumpy.')) {
      throw new Error(
        `${what} is a chumpy ${cls} object, which cannot be read without running chumpy: only chumpy.ch.Ch (a stored array) is supported. ` +
          `Re-save the model with plain numpy arrays (e.g. np.savez with np.array(value) for every key) and convert that.`,
      );
    }
    throw new Error(`${what} is a ${cls} object, not an array`);
  }
  throw new Error(`${what} is ${v === null ? 'None' : Array.isArray(v) ? 'a list/tuple' : typeof v}, not a numpy array`);
}

/**
 * A sparse matrix as a dense one of shape `want` (the model's, never the file's: a declared
 * 10^9 x 10^9 is refused, not allocated). indptr and indices are checked in full first, as scipy's
 * check_format does: whole numbers, indptr from 0 and non-decreasing, indices in range. A
 * fractional index would otherwise put a value nowhere (or in the wrong row) without a word.
 */
export function densify(s: SparseMatrix, want: readonly number[] | undefined, what: string): NdArray {
  const { format, data, indices, indptr, shape } = s;
  const fail = (msg: string): never => {
    throw new Error(`${what}: ${format} sparse matrix: ${msg}`);
  };
  if (!want || want.length !== 2) return fail('only J_regressor may be stored sparse');
  if (shape.length !== 2 || shape[0] !== want[0] || shape[1] !== want[1]) fail(`shape [${shape}] is not the ${want.join(' x ')} the hand model needs`);
  const [rows, cols] = want;
  const outer = format === 'csc' ? cols : rows;
  const inner = format === 'csc' ? rows : cols;
  const oneD = (a: NdArray) => (a.shape.length === 1 ? a.shape[0] : -1);
  if (oneD(indptr) !== outer + 1) fail(`indptr has shape [${indptr.shape}], expected [${outer + 1}]`);
  if (oneD(indices) < 0 || oneD(indices) !== oneD(data)) fail(`indices [${indices.shape}] and data [${data.shape}] are not two 1-D arrays of one length`);
  const ip = indptr.data;
  if (ip[0] !== 0) fail(`indptr[0] is ${ip[0]}, not 0`);
  for (let o = 0; o < outer; o++)
    if (!(Number.isInteger(ip[o + 1]) && ip[o + 1] >= ip[o])) fail(`indptr[${o + 1}] = ${ip[o + 1]} is not a whole number >= indptr[${o}] = ${ip[o]}`);
  const nnz = ip[outer];
  if (nnz > oneD(indices)) fail(`indptr ends at ${nnz}, past the ${oneD(indices)} stored entries`);
  const idx = indices.data;
  for (let p = 0; p < nnz; p++) {
    const i = idx[p];
    if (!(Number.isInteger(i) && i >= 0 && i < inner)) fail(`index ${i} at position ${p} is not a whole ${format === 'csc' ? 'row' : 'column'} number in [0, ${inner})`);
  }
  const values = data.data;
  const dense = new Float64Array(rows * cols);
  for (let o = 0; o < outer; o++) {
    for (let p = ip[o]; p < ip[o + 1]; p++) dense[format === 'csc' ? idx[p] * cols + o : o * cols + idx[p]] += values[p]; // duplicates add, as in scipy
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

/** Parses one .npy (any numeric dtype, either byte order, C or Fortran order); values decoded on use. */
export function parseNpyAny(bytes: Uint8Array, what: string): NdArray | { text: string } {
  const h = parseNpyHeader(bytes, what);
  const body = bytes.subarray(h.dataStart);
  if (/^[<>|=]?O$/.test(h.descr)) {
    throw new Error(`${what}: is a pickled object array (dtype O), which is not read (it would need allow_pickle); save it as a numeric array`);
  }
  if (h.itemSize === undefined) throw new Error(`${what}: numpy dtype ${quoteUntrusted(h.descr)} is not supported (a plain numeric array is)`);
  const u = /^([<>|=]?)U(\d+)$/.exec(h.descr); // a small unicode string (e.g. a sparse 'format')
  if (u) {
    if (h.count !== 1) throw new Error(`${what}: a text array of shape [${h.shape}], expected one string`);
    if (body.length < 4 * Number(u[2])) throw new Error(`${what}: text of ${u[2]} characters needs ${4 * Number(u[2])} bytes, the file holds ${body.length}`);
    let text = '';
    for (let i = 0; i < Number(u[2]); i++) {
      const c = new DataView(body.buffer, body.byteOffset + 4 * i, 4).getUint32(0, u[1] !== '>');
      if (c > 0x10ffff) throw new Error(`${what}: text holds ${c}, not a character`);
      if (c) text += String.fromCodePoint(c);
    }
    return { text };
  }
  return decodeArray(body.subarray(0, h.count * h.itemSize), h.descr, h.shape, h.fortran, what);
}

/**
 * An .npz (zip of .npy) whose entries are read one by one, on request, each refused unread when its
 * declared size is over what the caller can use: entries nobody asks for are never inflated.
 */
export class NpzFile {
  private constructor(private readonly zip: ZipReader, readonly name: string) {}

  static async open(source: ByteSource): Promise<NpzFile> {
    return new NpzFile(await ZipReader.open(source), source.name);
  }

  /** The array names in the file (entries ending in .npy), none read. */
  get keys(): string[] {
    return [...this.zip.entries.keys()].filter((e) => e.endsWith('.npy')).map((e) => e.slice(0, -4));
  }

  has(key: string): boolean {
    return this.zip.entries.has(`${key}.npy`);
  }

  /** One entry (values decoded on use); refused before inflating when it declares more than maxBytes. */
  async read(key: string, maxBytes: number): Promise<NdArray | { text: string }> {
    const what = `${this.name}: '${key}'`;
    const entry = this.zip.entries.get(`${key}.npy`);
    if (!entry) throw new Error(`${what}: no such array`);
    if (entry.size > maxBytes) throw new Error(`${what}: the entry declares ${entry.size} bytes, more than the ${maxBytes} this array can need`);
    return parseNpyAny(await this.zip.read(entry.name), what);
  }

  async array(key: string, maxBytes: number): Promise<NdArray> {
    const a = await this.read(key, maxBytes);
    if (!(a instanceof NdArray)) throw new Error(`${this.name}: '${key}' is text, not a numeric array`);
    return a;
  }

  /**
   * A sparse matrix stored in parts (`${key}_data`, `_indices`, `_indptr`, `_shape` [, `_format`],
   * or with '.'), or undefined when the parts are not there. maxBytes bounds each part.
   */
  async sparse(key: string, maxBytes: number): Promise<SparseMatrix | undefined> {
    for (const sep of ['_', '.']) {
      const p = (k: string) => `${key}${sep}${k}`;
      if (!['data', 'indices', 'indptr', 'shape'].every((k) => this.has(p(k)))) continue;
      const shapeArr = await this.array(p('shape'), 1024);
      const what = `${this.name}: '${p('shape')}'`;
      if (shapeArr.shape.length !== 1 || shapeArr.shape[0] !== 2) throw new Error(`${what}: has shape [${shapeArr.shape}], expected [2]`);
      const shape = shapeOf(Array.from(shapeArr.data), what);
      const f = this.has(p('format')) ? await this.read(p('format'), 1024) : { text: 'csc' };
      const format = f instanceof NdArray ? undefined : f.text;
      if (format !== 'csc' && format !== 'csr') throw new Error(`${this.name}: '${key}' sparse format ${quoteUntrusted(format ?? 'a numeric array')} is not csc or csr`);
      const [data, indices, indptr] = [await this.array(p('data'), maxBytes), await this.array(p('indices'), maxBytes), await this.array(p('indptr'), maxBytes)];
      return new SparseMatrix(format, data, indices, indptr, shape);
    }
    return undefined;
  }
}
