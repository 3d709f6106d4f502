/**
 * MANO hand model files -> ManoAsset (docs/mano-layer.md). Reads, without Python and without
 * executing anything from the file:
 *  - the original Python-2 pickles (MANO_LEFT.pkl / MANO_RIGHT.pkl): a dict of numpy arrays
 *    (`numpy.core.multiarray._reconstruct` + `numpy.dtype` + setstate), `chumpy.ch.Ch` objects (the
 *    array is their stored 'x') and a `scipy.sparse` CSC J_regressor (densified to 16 x V);
 *  - numpy-only "cleaned" pickles (protocol 2-5, `numpy.core` or numpy 2's `numpy._core`);
 *  - `.npz` exports (dense J_regressor, or CSC/CSR parts `J_regressor_data`, `_indices`,
 *    `_indptr`, `_shape` [, `_format`], also spelled `J_regressor.data` ...);
 *  - the engine's own `.safetensors` written by `hiu convert-mano` (and tools/hand-asset).
 *
 * The pickle VM (pickle.ts) runs with a MANO-only allowlist (below); the checkpoint reader keeps
 * its own, stricter one. Globals are inert JavaScript stand-ins: markers and array builders.
 * Never commit a converted MANO file: the MANO licence forbids redistribution.
 */
import { manoAsset, tipIndicesFor, MANO_JOINTS, MANO_PCA, MANO_POSE_FEATURES, MANO_SHAPE, MANO_TIP_INDICES, type HandSide, type ManoAsset } from '../model/manoAsset.ts';
import { PyGlobal, unpickle, UnsafePickleError } from './pickle.ts';
import { headerLength, parseHeader, writeSafetensors } from './safetensors.ts';
import { bufferSource, nodeImport, type ByteSource } from './source.ts';
import { ZipReader } from './zip.ts';

/** `__metadata__.format` / `version` / `architecture` of hand asset files. */
export const MANO_FORMAT = 'hiu-mano';
export const MANO_FORMAT_VERSION = '1';
export const MANO_ARCHITECTURE = 'mano-hand';
export const MANO_LICENCE_NOTE =
  'Derived from the MANO model (https://mano.is.tue.mpg.de), licensed for non-commercial research only: do not redistribute this file.';

// ---------------------------------------------------------------------------------------------
// Arrays
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
function pickledArray(v: unknown, key: string, name: string): NdArray {
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

function densify(data: NdArray, indices: NdArray, indptr: NdArray, shape: number[], format: 'csc' | 'csr', what: string): NdArray {
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

// ---------------------------------------------------------------------------------------------
// dict of arrays -> ManoAsset
// ---------------------------------------------------------------------------------------------

/** Side from a file name: MANO_LEFT / MANO_RIGHT (also "mano-left", "hand_right"...), case-insensitive. */
export function sideFromName(name: string): HandSide | undefined {
  const base = name.split(/[\\/]/).pop() ?? name;
  const m = /(?:mano|hand)[_-]?(left|right)/i.exec(base);
  return m ? (m[1].toLowerCase() as HandSide) : undefined;
}

export interface ManoReadOptions {
  /** Overrides the side found in the file name (or the file's metadata). */
  side?: HandSide;
}

const KEYS: [key: string, meaning: string][] = [
  ['v_template', 'rest mesh, V x 3'],
  ['shapedirs', 'shape blend shapes, V x 3 x 10'],
  ['posedirs', 'pose blend shapes, V x 3 x 135'],
  ['J_regressor', 'joint regressor, 16 x V'],
  ['weights', 'skinning weights, V x 16'],
  ['kintree_table', 'kinematic tree, 2 x 16'],
  ['f', 'triangles, F x 3'],
  ['hands_components', 'pose PCA basis, 45 x 45'],
  ['hands_mean', 'mean finger pose, 45'],
];

/** Builds and validates a ManoAsset from MANO's keys (values: NdArray, or pickled chumpy/scipy stubs). */
export function manoAssetFromDict(dict: Map<string, unknown>, name: string, opts: ManoReadOptions = {}): ManoAsset {
  const side = opts.side ?? sideFromName(name);
  if (!side) throw new Error(`${name}: cannot tell the hand side from the file name (expected MANO_LEFT / MANO_RIGHT in it): pass --side left|right`);
  if (side !== 'left' && side !== 'right') throw new Error(`${name}: side must be left or right, got ${JSON.stringify(side)}`);
  const arrays = new Map<string, NdArray>();
  for (const [key, meaning] of KEYS) {
    if (!dict.has(key)) {
      const present = [...dict.keys()].map(String).sort().join(', ');
      throw new Error(`${name}: missing '${key}' (${meaning}); the file has: ${present || 'no keys'}`);
    }
    arrays.set(key, pickledArray(dict.get(key), key, name));
  }
  const vt = arrays.get('v_template')!;
  const V = vt.shape[0];
  const expect = (key: string, want: number[], note = '') => {
    const a = arrays.get(key)!;
    if (a.shape.length !== want.length || a.shape.some((d, i) => want[i] >= 0 && d !== want[i])) {
      const w = want.map((d) => (d < 0 ? 'F' : String(d))).join(' x ');
      throw new Error(`${name}: '${key}' has shape [${a.shape.join(', ')}], expected ${w}${note}`);
    }
    return a;
  };
  if (vt.shape.length !== 2 || vt.shape[1] !== 3 || V < 1) throw new Error(`${name}: 'v_template' has shape [${vt.shape.join(', ')}], expected V x 3`);
  const vNote = ` (V = ${V} from v_template)`;
  expect('shapedirs', [V, 3, MANO_SHAPE], vNote);
  expect('posedirs', [V, 3, MANO_POSE_FEATURES], vNote);
  expect('J_regressor', [MANO_JOINTS, V], vNote);
  expect('weights', [V, MANO_JOINTS], vNote);
  const kt = expect('kintree_table', [2, MANO_JOINTS]);
  const f = expect('f', [-1, 3]);
  expect('hands_components', [MANO_PCA, MANO_PCA]);
  const hm = arrays.get('hands_mean')!;
  if (hm.data.length !== MANO_PCA || hm.shape.length > 2) throw new Error(`${name}: 'hands_mean' has shape [${hm.shape.join(', ')}], expected 45`);

  // kintree_table: row 1 = joint ids, row 0 = parent ids (the root's is -1 or a huge unsigned value).
  const ids = Array.from(kt.data.subarray(MANO_JOINTS));
  const col = new Map(ids.map((id, i) => [id, i]));
  const parents = new Int32Array(MANO_JOINTS);
  for (let k = 0; k < MANO_JOINTS; k++) {
    const p = kt.data[k];
    parents[k] = p < 0 || p >= 2 ** 31 ? -1 : (col.get(p) ?? -2);
    if (parents[k] === -2) throw new Error(`${name}: kintree_table parent id ${p} of joint ${k} is not a joint id`);
  }
  for (let i = 0; i < f.data.length; i++) {
    const x = f.data[i];
    if (!(Number.isInteger(x) && x >= 0 && x < V)) throw new Error(`${name}: 'f' value ${x} at ${i} is not a vertex index (< ${V})`);
  }
  const f32 = (key: string) => Float32Array.from(arrays.get(key)!.data);
  return manoAsset({
    side,
    vTemplate: f32('v_template'),
    shapedirs: f32('shapedirs'),
    posedirs: f32('posedirs'),
    jRegressor: f32('J_regressor'),
    weights: f32('weights'),
    parents,
    faces: Uint32Array.from(f.data),
    handsComponents: f32('hands_components'),
    handsMean: f32('hands_mean'),
    tipIndices: V === 778 ? MANO_TIP_INDICES[side] : tipIndicesFor(side, V),
  });
}

// ---------------------------------------------------------------------------------------------
// safetensors (engine format)
// ---------------------------------------------------------------------------------------------

export interface ManoFileInfo {
  /** SHA-256 of the source file (hex), or a description for generated assets. */
  sourceSha256?: string;
  sourceName?: string;
  /** Licence note; defaults to MANO's (do not redistribute). */
  licence?: string;
  /** Extra metadata strings. */
  extra?: Record<string, string>;
}

/** The asset as a safetensors file: F32 arrays, I32 parents, U32 faces and tips. */
export function manoToSafetensors(a: ManoAsset, info: ManoFileInfo = {}): Uint8Array {
  const V = a.numVertices;
  const metadata: Record<string, string> = {
    format: MANO_FORMAT,
    version: MANO_FORMAT_VERSION,
    architecture: MANO_ARCHITECTURE,
    side: a.side,
    licence: info.licence ?? MANO_LICENCE_NOTE,
    ...(info.sourceSha256 !== undefined ? { source_sha256: info.sourceSha256 } : {}),
    ...(info.sourceName !== undefined ? { source_name: info.sourceName } : {}),
    ...info.extra,
  };
  return writeSafetensors(
    [
      { name: 'v_template', shape: [V, 3], data: a.vTemplate },
      { name: 'shapedirs', shape: [V, 3, MANO_SHAPE], data: a.shapedirs },
      { name: 'posedirs', shape: [V, 3, MANO_POSE_FEATURES], data: a.posedirs },
      { name: 'J_regressor', shape: [MANO_JOINTS, V], data: a.jRegressor },
      { name: 'weights', shape: [V, MANO_JOINTS], data: a.weights },
      { name: 'parents', shape: [MANO_JOINTS], data: a.parents },
      { name: 'f', shape: [a.faces.length / 3, 3], data: a.faces },
      { name: 'hands_components', shape: [MANO_PCA, MANO_PCA], data: a.handsComponents },
      { name: 'hands_mean', shape: [MANO_PCA], data: a.handsMean },
      { name: 'tip_indices', shape: [5], data: a.tipIndices },
    ],
    metadata,
  );
}

/** Parses an engine hand-asset safetensors file (whole bytes). */
export function manoFromSafetensors(bytes: Uint8Array, name: string, opts: ManoReadOptions = {}): { asset: ManoAsset; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${name}: truncated safetensors file`);
  const n = headerLength(bytes.subarray(0, 8), name, bytes.length);
  const header = parseHeader(bytes.subarray(8, 8 + n), name, ['F32', 'I32', 'U32']);
  const md = header.metadata;
  if (md.format !== MANO_FORMAT || md.architecture !== MANO_ARCHITECTURE) {
    throw new Error(`${name}: not a hand asset (metadata format '${md.format}', architecture '${md.architecture}'; expected '${MANO_FORMAT}', '${MANO_ARCHITECTURE}': convert MANO files with hiu convert-mano)`);
  }
  if (md.version !== MANO_FORMAT_VERSION) throw new Error(`${name}: hand asset version ${md.version} is not supported (this build reads ${MANO_FORMAT_VERSION})`);
  const get = (key: string, dtype: 'F32' | 'I32' | 'U32') => {
    const t = header.tensors.find((x) => x.name === key);
    if (!t) throw new Error(`${name}: missing tensor '${key}'`);
    if (t.dtype !== dtype) throw new Error(`${name}: tensor '${key}' is ${t.dtype}, expected ${dtype}`);
    if (header.dataStart + t.end > bytes.length) throw new Error(`${name}: truncated safetensors file: tensor '${key}' incomplete`);
    const raw = bytes.slice(header.dataStart + t.begin, header.dataStart + t.end); // aligned copy
    return dtype === 'F32' ? new Float32Array(raw.buffer) : dtype === 'I32' ? new Int32Array(raw.buffer) : new Uint32Array(raw.buffer);
  };
  const side = opts.side ?? (md.side as HandSide);
  const asset = manoAsset({
    side,
    vTemplate: get('v_template', 'F32') as Float32Array,
    shapedirs: get('shapedirs', 'F32') as Float32Array,
    posedirs: get('posedirs', 'F32') as Float32Array,
    jRegressor: get('J_regressor', 'F32') as Float32Array,
    weights: get('weights', 'F32') as Float32Array,
    parents: get('parents', 'I32') as Int32Array,
    faces: get('f', 'U32') as Uint32Array,
    handsComponents: get('hands_components', 'F32') as Float32Array,
    handsMean: get('hands_mean', 'F32') as Float32Array,
    tipIndices: get('tip_indices', 'U32') as Uint32Array,
  });
  return { asset, metadata: md };
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

export type ManoFileKind = 'pickle' | 'npz' | 'safetensors';

/** Guesses the kind from the first bytes. */
export function sniffManoFile(head: Uint8Array): ManoFileKind | undefined {
  // safetensors first: a header length like 0x0280 starts with the bytes of a protocol-2 pickle.
  if (head.length >= 9 && head[8] === 0x7b && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) return 'safetensors';
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'pickle';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'npz';
  return undefined;
}

/** Reads a MANO pickle / .npz / engine safetensors held in memory. */
export async function readManoFile(bytes: Uint8Array, name: string, opts: ManoReadOptions = {}): Promise<ManoAsset> {
  const kind = sniffManoFile(bytes);
  if (kind === 'pickle') return manoAssetFromDict(unpickleMano(bytes, name), name, opts);
  if (kind === 'npz') return manoAssetFromDict(await readNpz(bufferSource(bytes, name)), name, opts);
  if (kind === 'safetensors') return manoFromSafetensors(bytes, name, opts).asset;
  throw new Error(`${name}: not a MANO file (expected a protocol-2+ pickle such as MANO_RIGHT.pkl, an .npz, or a hand-asset .safetensors)`);
}

export type ManoSource = string | URL | Blob | ArrayBuffer | Uint8Array;

export interface ManoLoadOptions extends ManoReadOptions {
  onProgress?: (p: { loaded: number; total?: number }) => void;
  signal?: AbortSignal;
}

const isNodePath = (s: ManoSource): s is string =>
  typeof s === 'string' && !/^(https?|blob|data|file):/i.test(s) && typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

async function readAll(source: ManoSource, opts: ManoLoadOptions): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return opts.onProgress?.({ loaded: source.length, total: source.length }), { bytes: source, name: '<buffer>' };
  if (source instanceof ArrayBuffer) return opts.onProgress?.({ loaded: source.byteLength, total: source.byteLength }), { bytes: new Uint8Array(source), name: '<buffer>' };
  let name: string;
  let total: number | undefined;
  let chunks: AsyncIterable<Uint8Array>;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    name = (source as File).name ?? '<blob>';
    total = source.size;
    chunks = readerChunks(source.stream().getReader());
  } else if (isNodePath(source)) {
    const fsp = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
    const fs = await nodeImport<typeof import('node:fs')>('node:fs');
    name = source;
    total = (await fsp.stat(source)).size;
    chunks = fs.createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>;
  } else {
    name = String(source);
    const res = await fetch(name, { signal: opts.signal });
    if (!res.ok || !res.body) throw new Error(`${name}: HTTP ${res.status} ${res.statusText}`);
    const len = Number(res.headers.get('content-length'));
    total = Number.isFinite(len) && len > 0 && !res.headers.get('content-encoding') ? len : undefined;
    chunks = readerChunks(res.body.getReader());
  }
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for await (const c of chunks) {
    parts.push(c);
    loaded += c.length;
    opts.onProgress?.({ loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) bytes.set(p, o), (o += p.length);
  return { bytes, name };
}

async function* readerChunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value) yield value;
  }
}

/**
 * Loads a hand asset from a URL, File/Blob, ArrayBuffer/Uint8Array or (Node) a path: normally the
 * `.safetensors` written by `hiu convert-mano` or the licence-free assets/hand-*.safetensors; a MANO
 * pickle or .npz is read too (in the user's browser, never shipped). Returns a validated asset.
 */
export async function loadManoAsset(source: ManoSource, opts: ManoLoadOptions = {}): Promise<ManoAsset> {
  const { bytes, name } = await readAll(source, opts);
  return readManoFile(bytes, name, opts);
}
