/**
 * Reads PyTorch checkpoints (torch.save) without Python: the zip format (torch >= 1.6) and the
 * legacy format (`_use_new_zipfile_serialization=False`). Tensors come back as lazy references
 * (storage key, offset, shape, stride, dtype); `readTensor` materialises one as a C-order
 * Float32Array, so a converter holds one storage at a time rather than the whole checkpoint.
 */
import type { ByteSource } from './source.ts';
import { ZipReader } from './zip.ts';
import { PickleTruncatedError, unpickle } from './pickle.ts';
import { DTYPE_SIZE, bf16ToF32, f16ToF32, type DType } from './dtype.ts';

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

const ints = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new Error(`checkpoint: ${what} is not a tuple of ints`);
  }
  return v as number[];
};

function makeTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef {
  if (typeof storage !== 'object' || storage === null || !('key' in storage)) throw new Error('checkpoint: tensor without a storage');
  if (typeof offset !== 'number') throw new Error('checkpoint: tensor storage offset is not an int');
  const s = storage as StorageRef;
  const shape = ints(size, 'tensor size');
  const strides = ints(stride, 'tensor stride');
  if (shape.length !== strides.length) throw new Error('checkpoint: tensor size and stride differ in length');
  return { kind: 'tensor', storage: s, offset, shape, stride: strides, dtype: s.dtype };
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
        throw new Error('checkpoint: OrderedDict with constructor arguments is not supported');
      },
    },
    // Python 3 pickles `bytes` at protocol 2 as _codecs.encode(str, 'latin1'): a pure function.
    '_codecs.encode': {
      call: (a) => {
        if (typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1')) throw new Error('checkpoint: unsupported _codecs.encode');
        return Uint8Array.from(a[0] as string, (c) => c.charCodeAt(0));
      },
    },
  };
  for (const name of Object.keys(STORAGE_DTYPES)) g[`torch.${name}`] = {};
  return g;
}

function storageDType(t: unknown): DType {
  const name = (t as { name?: string })?.name;
  const d = name ? STORAGE_DTYPES[name] : undefined;
  if (!d) throw new Error(`checkpoint: unknown storage type ${String(name)}`);
  return d;
}

export class TorchCheckpoint {
  /** The unpickled object (usually a Map of name -> TensorRef, or a dict wrapping one). */
  root: unknown = null;
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
      if (text !== 'little') throw new Error(`${this.source.name}: byte order '${text}' is not supported`);
    }
    const data = await zip.read(pkl);
    this.root = unpickle(data, {
      name: this.source.name,
      globals: allowlist(),
      persistentLoad: (pid) => {
        // ('storage', storage_type, key, location, numel)
        if (!Array.isArray(pid) || pid[0] !== 'storage' || typeof pid[2] !== 'string') throw new Error(`${this.source.name}: unexpected persistent id`);
        return { key: pid[2], dtype: storageDType(pid[1]), numel: Number(pid[4]), elementOffset: 0 } satisfies StorageRef;
      },
    }).value;
  }

  /** Legacy layout: pickles of magic, protocol, sys_info, the object, the storage keys; then raw storages. */
  private async openLegacy(): Promise<void> {
    const name = this.source.name;
    let chunk = Math.min(this.source.size, 1 << 20);
    for (;;) {
      const bytes = await this.source.read(0, chunk);
      try {
        this.parseLegacyHead(bytes);
        return;
      } catch (e) {
        if (!(e instanceof PickleTruncatedError)) throw e;
        if (chunk === this.source.size) throw new Error(`${name}: legacy checkpoint is truncated (${e.message})`);
        chunk = Math.min(this.source.size, chunk * 4);
      }
    }
  }

  private storages = new Map<string, StorageRef>();

  private parseLegacyHead(bytes: Uint8Array): void {
    const name = this.source.name;
    const plain = { name, globals: {} };
    const magic = unpickle(bytes, plain, 0);
    if (magic.value !== 0x1950a86a20f9469cfc6cn) throw new Error(`${name}: not a PyTorch checkpoint (bad legacy magic number)`);
    const proto = unpickle(bytes, plain, magic.end);
    if (proto.value !== 1001) throw new Error(`${name}: unsupported legacy protocol version ${String(proto.value)}`);
    const sys = unpickle(bytes, plain, proto.end);
    if (sys.value instanceof Map && sys.value.get('little_endian') === false) throw new Error(`${name}: big-endian checkpoint not supported`);
    this.storages.clear();
    const main = unpickle(bytes, {
      name,
      globals: allowlist(),
      persistentLoad: (pid) => {
        // ('storage', storage_type, root_key, location, numel, view_metadata)
        if (!Array.isArray(pid) || pid[0] !== 'storage' || typeof pid[2] !== 'string') throw new Error(`${name}: unexpected persistent id`);
        const dtype = storageDType(pid[1]);
        const root = { key: pid[2], dtype, numel: Number(pid[4]), elementOffset: 0 };
        if (!this.storages.has(root.key)) this.storages.set(root.key, root);
        const view = pid[5];
        if (Array.isArray(view)) return { key: root.key, dtype, numel: Number(view[2]), elementOffset: Number(view[1]) };
        return root;
      },
    }, sys.end);
    const keys = unpickle(bytes, plain, main.end);
    if (!Array.isArray(keys.value)) throw new Error(`${name}: legacy storage key list missing`);
    this.root = main.value;
    this.legacyKeys = keys.value.map(String);
    this.legacyDataStart = keys.end;
  }

  private legacyKeys: string[] = [];
  private legacyDataStart = 0;

  /** Legacy storages follow one another: [numel: u64][numel * element size bytes]. Index them once. */
  private async indexLegacy(): Promise<void> {
    let pos = this.legacyDataStart;
    for (const key of this.legacyKeys) {
      const s = this.storages.get(key);
      if (!s) throw new Error(`${this.source.name}: storage ${key} listed but never referenced`);
      const head = await this.source.read(pos, 8);
      const numel = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
      const length = numel * DTYPE_SIZE[s.dtype];
      if (pos + 8 + length > this.source.size) {
        throw new Error(`${this.source.name}: legacy checkpoint is truncated (storage ${key} runs past the end of the file)`);
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
      if (this.storageData.size === 0 && this.legacyKeys.length) await this.indexLegacy();
      const r = this.storageData.get(ref.key);
      if (!r) throw new Error(`${this.source.name}: storage ${ref.key} not found`);
      bytes = await this.source.read(r.offset, r.length);
    }
    this.cache = { key: ref.key, bytes };
    return bytes;
  }

  /** Materialises a tensor as C-order f32 (f16/bf16 exact, f64 rounded to nearest). */
  async readTensor(t: TensorRef): Promise<Float32Array> {
    const raw = await this.readStorage(t.storage);
    const size = DTYPE_SIZE[t.dtype];
    const stNumel = Math.floor(raw.byteLength / size) - t.storage.elementOffset;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(numel);
    if (numel === 0) return out;
    let last = t.offset;
    for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
    if (t.offset < 0 || last >= stNumel || t.stride.some((s) => s < 0)) {
      throw new Error(`${this.source.name}: tensor view (offset ${t.offset}, shape [${t.shape}], stride [${t.stride}]) lies outside its storage of ${stNumel} elements`);
    }
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
