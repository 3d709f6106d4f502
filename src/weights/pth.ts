/**
 * Reads PyTorch checkpoints (torch.save) without Python: the zip format (torch >= 1.6) and the
 * legacy format (`_use_new_zipfile_serialization=False`). Tensors come back as lazy references
 * (storage key, offset, shape, stride, dtype); `readTensor` materialises one as a C-order
 * Float32Array, so a converter holds one storage at a time rather than the whole checkpoint.
 */
import type { ByteSource } from './source.ts';
import { ZipReader } from './zip.ts';
import { PickleTruncatedError, PyGlobal, unpickle } from './pickle.ts';
import { DTYPE_SIZE, bf16ToF32, f16ToF32, type DType } from './dtype.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

/**
 * A tensor may hold at most this many times the elements of its storage, plus
 * PTH_EXPANSION_ALLOWANCE: views that repeat elements through stride 0 (expand()) cost no file
 * bytes, so without a bound a 100 KB file can declare gigabytes of output. The same bound holds for
 * all the tensors a conversion writes against all the storages they read.
 */
export const PTH_MAX_EXPANSION = 16;
/** Elements any tensor may have regardless of its storage (small broadcast buffers). */
export const PTH_EXPANSION_ALLOWANCE = 1 << 16;

export interface StorageRef {
  readonly key: string;
  readonly dtype: DType;
  /** Elements in the storage (after elementOffset, for legacy storage views). */
  readonly numel: number;
  /** Legacy storage views only: offset in elements into the root storage. */
  readonly elementOffset: number;
}

export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly dtype: DType;
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor';
}

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'f32', HalfStorage: 'f16', BFloat16Storage: 'bf16', DoubleStorage: 'f64',
  LongStorage: 'i64', IntStorage: 'i32', ShortStorage: 'i16', CharStorage: 'i8', ByteStorage: 'u8', BoolStorage: 'bool',
};

class CheckpointError extends Error {}

const isStorageRef = (v: unknown): v is StorageRef =>
  typeof v === 'object' && v !== null && typeof (v as StorageRef).key === 'string' && (v as StorageRef).dtype in DTYPE_SIZE;

/** size/stride tuples: plain numbers here; their values are checked, with the tensor's name, by checkTensorView. */
const numbers = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v) || v.length > 64 || !v.every((x) => typeof x === 'number')) throw new CheckpointError(`tensor ${what} is not a tuple of ints`);
  return v as number[];
};

function makeTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef {
  if (!isStorageRef(storage)) throw new CheckpointError('tensor without a storage');
  if (typeof offset !== 'number') throw new CheckpointError(`tensor on storage ${quoteUntrusted(storage.key)}: storage offset is not an int`);
  const shape = numbers(size, 'size');
  const strides = numbers(stride, 'stride');
  if (shape.length !== strides.length) throw new CheckpointError('tensor size and stride differ in length');
  return { kind: 'tensor', storage, offset, shape, stride: strides, dtype: storage.dtype };
}

/** A file-provided value for a message: numbers as they are, anything else quoted. */
const shown = (v: unknown) => (typeof v === 'number' ? String(v) : quoteUntrusted(v));
const count = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Checks a tensor view before anything is read or allocated: offset, sizes and strides are
 * non-negative integers, every element it reads lies inside its storage, and it holds no more than
 * PTH_MAX_EXPANSION x its storage's elements (+ PTH_EXPANSION_ALLOWANCE). Throws naming the tensor.
 */
export function checkTensorView(t: TensorRef, name: string | undefined, file: string): void {
  const label = name === undefined ? `a tensor on storage ${quoteUntrusted(t.storage.key)}` : `tensor ${quoteUntrusted(name)}`;
  const bad = (msg: string): never => {
    throw new Error(`${file}: ${label}: ${msg}`);
  };
  if (!count(t.offset)) bad(`storage offset ${t.offset} is not a non-negative integer`);
  if (!t.shape.every(count)) bad(`size [${t.shape}] is not non-negative integers`);
  if (!t.stride.every(count)) bad(`stride [${t.stride}] is not non-negative integers`);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(numel)) bad(`size [${t.shape}] has too many elements`);
  const stNumel = t.storage.numel;
  if (numel === 0) return;
  let last = t.offset;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
  if (!(last < stNumel)) {
    bad(`view (offset ${t.offset}, size [${t.shape}], stride [${t.stride}]) reads element ${last}, outside its storage ${quoteUntrusted(t.storage.key)} of ${stNumel} elements`);
  }
  if (numel > PTH_MAX_EXPANSION * stNumel + PTH_EXPANSION_ALLOWANCE) {
    bad(`${numel} elements repeated from a storage of ${stNumel} (more than ${PTH_MAX_EXPANSION}x): refused`);
  }
}

/** Total elements a set of tensors may produce: PTH_MAX_EXPANSION x the distinct storages they read. */
export function checkTotalExpansion(tensors: Iterable<TensorRef>, file: string): void {
  const storages = new Map<string, number>();
  let total = 0;
  for (const t of tensors) {
    total += t.shape.reduce((a, b) => a * b, 1);
    storages.set(`${t.storage.key}@${t.storage.elementOffset}`, t.storage.numel);
  }
  const held = [...storages.values()].reduce((a, b) => a + b, 0);
  if (total > PTH_MAX_EXPANSION * held + PTH_EXPANSION_ALLOWANCE) {
    throw new Error(`${file}: the tensors hold ${total} elements but their storages only ${held} (more than ${PTH_MAX_EXPANSION}x through repeated views): refused`);
  }
}

/** The only globals a checkpoint may name. Storage classes are markers (never called). */
function allowlist(): Record<string, { call?: (args: unknown[]) => unknown }> {
  const g: Record<string, { call?: (args: unknown[]) => unknown }> = {
    'torch._utils._rebuild_tensor_v2': { call: (a) => makeTensor(a[0], a[1], a[2], a[3]) },
    'torch._utils._rebuild_tensor': { call: (a) => makeTensor(a[0], a[1], a[2], a[3]) },
    'torch._utils._rebuild_parameter': { call: (a) => a[0] }, // (data, requires_grad, hooks) -> data
    'collections.OrderedDict': {
      call: (a) => {
        if (a.length === 0) return new Map();
        throw new CheckpointError('OrderedDict with constructor arguments is not supported');
      },
    },
    // Python 3 pickles `bytes` at protocol 2 as _codecs.encode(str, 'latin1'): a pure function.
    '_codecs.encode': {
      call: (a) => {
        if (typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1')) throw new CheckpointError('unsupported _codecs.encode');
        return Uint8Array.from(a[0] as string, (c) => c.charCodeAt(0));
      },
    },
  };
  for (const name of Object.keys(STORAGE_DTYPES)) g[`torch.${name}`] = {};
  return g;
}

/**
 * A persistent id ('storage', storage class, key, location, numel[, view]) -> its root storage.
 * Each key must be declared with one class and numel throughout the pickle.
 */
function parseStorageId(pid: unknown, declared: Map<string, StorageRef>): { root: StorageRef; view: unknown } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new CheckpointError('unexpected persistent id (not a storage reference)');
  const [, cls, key, , numel, view] = pid;
  if (typeof key !== 'string') throw new CheckpointError(`storage key ${quoteUntrusted(key)} is not a string`);
  const dtype = cls instanceof PyGlobal && cls.module === 'torch' && Object.hasOwn(STORAGE_DTYPES, cls.name) ? STORAGE_DTYPES[cls.name] : undefined;
  if (!dtype) throw new CheckpointError(`storage ${quoteUntrusted(key)} has unknown storage type ${cls instanceof PyGlobal ? quoteUntrusted(cls.qualname) : quoteUntrusted(cls)}`);
  if (!count(numel)) throw new CheckpointError(`storage ${quoteUntrusted(key)} declares ${shown(numel)} elements, not a non-negative integer`);
  const prev = declared.get(key);
  if (prev && (prev.dtype !== dtype || prev.numel !== numel)) {
    throw new CheckpointError(`storage ${quoteUntrusted(key)} is declared twice, differently (${prev.dtype} x ${prev.numel}, then ${dtype} x ${numel})`);
  }
  const root = prev ?? { key, dtype, numel, elementOffset: 0 };
  declared.set(key, root);
  return { root, view };
}

export class TorchCheckpoint {
  /** The unpickled object (usually a Map of name -> TensorRef, or a dict wrapping one). */
  root: unknown = null;
  /** Root storages by key, as the pickle declares them (verified against the file at open). */
  private storages = new Map<string, StorageRef>();
  private storageData = new Map<string, { offset: number; length: number }>();
  private cache: { key: string; bytes: Uint8Array } | null = null;
  private zip: ZipReader | null = null;
  private zipPrefix = '';

  private constructor(
    readonly source: ByteSource,
    readonly format: 'zip' | 'legacy',
  ) {}

  static async open(source: ByteSource): Promise<TorchCheckpoint> {
    if (source.size < 4) throw new Error(`${source.name}: not a PyTorch checkpoint (file is ${source.size} bytes)`);
    const magic = await source.read(0, 4);
    if (magic[0] === 0x50 && magic[1] === 0x4b) {
      const ck = new TorchCheckpoint(source, 'zip');
      await ck.openZip();
      return ck;
    }
    if (magic[0] === 0x80) {
      const ck = new TorchCheckpoint(source, 'legacy');
      await ck.openLegacy();
      return ck;
    }
    throw new Error(`${source.name}: not a PyTorch checkpoint (neither a zip archive nor a legacy pickle)`);
  }

  private async openZip(): Promise<void> {
    const zip = (this.zip = await ZipReader.open(this.source));
    const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new Error(`${this.source.name}: zip archive has no <name>/data.pkl: not a torch.save checkpoint`);
    this.zipPrefix = pkl.slice(0, -'data.pkl'.length);
    const order = zip.entries.get(`${this.zipPrefix}byteorder`);
    if (order) {
      const text = new TextDecoder().decode(await zip.read(order.name));
      if (text !== 'little') throw new Error(`${this.source.name}: byte order ${quoteUntrusted(text)} is not supported`);
    }
    const data = await zip.read(pkl);
    this.root = this.unpickleMain(data, 0, pkl, (pid) => {
      // ('storage', storage_type, key, location, numel): the entry must hold exactly numel elements.
      const { root } = parseStorageId(pid, this.storages);
      const entry = zip.entries.get(`${this.zipPrefix}data/${root.key}`);
      if (!entry) throw new CheckpointError(`storage ${quoteUntrusted(root.key)} has no entry data/${quoteUntrusted(root.key)}`);
      const bytes = root.numel * DTYPE_SIZE[root.dtype];
      if (entry.size !== bytes) {
        throw new CheckpointError(`storage ${quoteUntrusted(root.key)} declares ${root.numel} ${root.dtype} elements (${bytes} bytes) but its entry holds ${entry.size} bytes`);
      }
      return root;
    }).value;
  }

  /** The main pickle with the tensor allowlist; checkpoint errors name the file. */
  private unpickleMain(bytes: Uint8Array, start: number, part: string, persistentLoad: (pid: unknown) => unknown) {
    try {
      return unpickle(bytes, { name: this.source.name, part, globals: allowlist(), persistentLoad }, start);
    } catch (e) {
      if (e instanceof CheckpointError) throw new Error(`${this.source.name}: ${e.message}`);
      throw e;
    }
  }

  /** Legacy layout: pickles of magic, protocol, sys_info, the object, the storage keys; then raw storages. */
  private async openLegacy(): Promise<void> {
    const name = this.source.name;
    let chunk = Math.min(this.source.size, 1 << 20);
    for (;;) {
      const bytes = await this.source.read(0, chunk);
      try {
        this.parseLegacyHead(bytes);
        break;
      } catch (e) {
        if (!(e instanceof PickleTruncatedError)) throw e;
        if (chunk === this.source.size) throw new Error(`${name}: legacy checkpoint is truncated (${e.message})`);
        chunk = Math.min(this.source.size, chunk * 4);
      }
    }
    await this.indexLegacy();
  }

  private parseLegacyHead(bytes: Uint8Array): void {
    const name = this.source.name;
    const plain = { name, part: 'the file', globals: {} };
    const magic = unpickle(bytes, plain, 0);
    if (magic.value !== 0x1950a86a20f9469cfc6cn) throw new Error(`${name}: not a PyTorch checkpoint (bad legacy magic number)`);
    const proto = unpickle(bytes, plain, magic.end);
    if (proto.value !== 1001) throw new Error(`${name}: unsupported legacy protocol version ${quoteUntrusted(proto.value)}`);
    const sys = unpickle(bytes, plain, proto.end);
    if (sys.value instanceof Map && sys.value.get('little_endian') === false) throw new Error(`${name}: big-endian checkpoint not supported`);
    this.storages.clear();
    const main = this.unpickleMain(bytes, sys.end, 'the file', (pid) => {
      // ('storage', storage_type, root_key, location, numel, view_metadata)
      const { root, view } = parseStorageId(pid, this.storages);
      if (view === null || view === undefined) return root;
      // (view_key, offset, size): a window of the root storage, in elements.
      const [, offset, size] = Array.isArray(view) ? view : [];
      if (!count(offset) || !count(size) || offset + size > root.numel) {
        throw new CheckpointError(`storage view of ${quoteUntrusted(root.key)} (offset ${shown(offset)}, size ${shown(size)}) lies outside its ${root.numel} elements`);
      }
      return { key: root.key, dtype: root.dtype, numel: size, elementOffset: offset } satisfies StorageRef;
    });
    const keys = unpickle(bytes, plain, main.end);
    if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new Error(`${name}: legacy storage key list missing or not strings`);
    this.root = main.value;
    this.legacyKeys = keys.value as string[];
    this.legacyDataStart = keys.end;
  }

  private legacyKeys: string[] = [];
  private legacyDataStart = 0;

  /** Legacy storages follow one another: [numel: u64][numel * element size bytes]. Index them once. */
  private async indexLegacy(): Promise<void> {
    let pos = this.legacyDataStart;
    const name = this.source.name;
    for (const key of this.legacyKeys) {
      const s = this.storages.get(key);
      if (!s) throw new Error(`${name}: storage ${quoteUntrusted(key)} listed but never referenced`);
      if (this.storageData.has(key)) throw new Error(`${name}: storage ${quoteUntrusted(key)} listed twice`);
      if (pos + 8 > this.source.size) throw new Error(`${name}: legacy checkpoint is truncated (storage ${quoteUntrusted(key)} is missing)`);
      const head = await this.source.read(pos, 8);
      const numel = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
      const length = numel * DTYPE_SIZE[s.dtype];
      if (numel !== s.numel) {
        throw new Error(`${name}: storage ${quoteUntrusted(key)} holds ${numel} elements at byte ${pos} but the pickle declares ${s.numel} ${s.dtype} elements`);
      }
      if (pos + 8 + length > this.source.size) {
        throw new Error(`${name}: legacy checkpoint is truncated (storage ${quoteUntrusted(key)} runs past the end of the file)`);
      }
      this.storageData.set(key, { offset: pos + 8, length });
      pos += 8 + length;
    }
  }

  /** The raw bytes of a storage (its whole root storage for legacy views). Caches the last one. */
  async readStorage(ref: StorageRef): Promise<Uint8Array> {
    if (this.cache?.key === ref.key) return this.cache.bytes;
    let bytes: Uint8Array;
    if (this.format === 'zip') {
      bytes = await this.zip!.read(`${this.zipPrefix}data/${ref.key}`);
    } else {
      const r = this.storageData.get(ref.key);
      if (!r) throw new Error(`${this.source.name}: storage ${quoteUntrusted(ref.key)} not found in the file`);
      bytes = await this.source.read(r.offset, r.length);
    }
    this.cache = { key: ref.key, bytes };
    return bytes;
  }

  /**
   * Materialises a tensor as C-order f32 (f16/bf16 exact, f64 rounded to nearest). The view is
   * checked (checkTensorView) before its storage is read or its output allocated; `name` is for messages.
   */
  async readTensor(t: TensorRef, name?: string): Promise<Float32Array> {
    checkTensorView(t, name, this.source.name);
    const raw = await this.readStorage(t.storage);
    const root = this.storages.get(t.storage.key);
    if (!root || raw.byteLength !== root.numel * DTYPE_SIZE[root.dtype]) {
      throw new Error(`${this.source.name}: storage ${quoteUntrusted(t.storage.key)} holds ${raw.byteLength} bytes, not the ${root?.numel} ${root?.dtype} elements declared`);
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(numel);
    if (numel === 0) return out;
    const elems = typedView(raw, t.dtype, t.storage.elementOffset);
    gather(elems, t.offset, t.shape, t.stride, out);
    return out;
  }

  async close(): Promise<void> {
    this.cache = null;
    await this.source.close?.();
  }
}

/** A typed element accessor over storage bytes (copies when the bytes are misaligned). */
function typedView(raw: Uint8Array, dtype: DType, elementOffset: number): ArrayLike<number> {
  const size = DTYPE_SIZE[dtype];
  const aligned = raw.byteOffset % size === 0 ? raw : raw.slice();
  const n = Math.floor(aligned.byteLength / size);
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  const sub = <T extends { subarray(a: number): T }>(a: T) => a.subarray(elementOffset);
  switch (dtype) {
    case 'f32': return sub(new Float32Array(buf, off, n));
    case 'f64': return sub(new Float64Array(buf, off, n));
    case 'f16': return sub(f16ToF32(new Uint16Array(buf, off, n)));
    case 'bf16': return sub(bf16ToF32(new Uint16Array(buf, off, n)));
    case 'i64': return sub(Float64Array.from(new BigInt64Array(buf, off, n), Number));
    case 'i32': return sub(new Int32Array(buf, off, n));
    case 'i16': return sub(new Int16Array(buf, off, n));
    case 'i8': return sub(new Int8Array(buf, off, n));
    case 'u8': case 'bool': return sub(new Uint8Array(buf, off, n));
  }
}

/** Copies a strided view into C order: contiguous last dimension as one copy, the rest by odometer. */
function gather(src: ArrayLike<number>, offset: number, shape: readonly number[], stride: readonly number[], out: Float32Array): void {
  const nd = shape.length;
  if (nd === 0) {
    out[0] = src[offset];
    return;
  }
  const inner = shape[nd - 1];
  const innerStride = stride[nd - 1];
  const idx = new Array(nd - 1).fill(0);
  let base = offset;
  for (let o = 0; o < out.length; o += inner) {
    if (innerStride === 1 && 'subarray' in src) out.set((src as Float32Array).subarray(base, base + inner), o);
    else for (let j = 0; j < inner; j++) out[o + j] = src[base + j * innerStride];
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += stride[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
}
