/**
 * safetensors: [u64 LE header length N][N bytes JSON header, space-padded][raw little-endian data].
 * Header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }.
 * Written and read here directly: the format is a dozen lines, and streaming matters for 700 MB.
 */

/** `__metadata__.format` / `format_version` of engine weight files (bump the version on layout changes). */
export const FORMAT_NAME = 'hiu-weights';
export const FORMAT_VERSION = '1';

export type StDType = 'F32' | 'F16' | 'I32' | 'U32';
export const ST_SIZE: Record<StDType, number> = { F32: 4, F16: 2, I32: 4, U32: 4 };
/** What parseHeader accepts unless told otherwise (engine weight files are float only). */
export const ST_FLOAT_DTYPES: readonly StDType[] = ['F32', 'F16'];

export interface StTensorInfo {
  name: string;
  dtype: StDType;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface StHeader {
  tensors: StTensorInfo[];
  metadata: Record<string, string>;
  /** Absolute byte offset at which the data section starts (8 + N). */
  dataStart: number;
}

/** Lays out tensors back to back in the given order; returns the encoded header and the plan. */
export function encodeHeader(
  entries: { name: string; dtype: StDType; shape: readonly number[] }[],
  metadata: Record<string, string>,
): { bytes: Uint8Array; header: StHeader; dataSize: number } {
  const json: Record<string, unknown> = { __metadata__: metadata };
  const tensors: StTensorInfo[] = [];
  let off = 0;
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1) * ST_SIZE[e.dtype];
    json[e.name] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [off, off + n] };
    tensors.push({ name: e.name, dtype: e.dtype, shape: [...e.shape], begin: off, end: off + n });
    off += n;
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - ((8 + new TextEncoder().encode(text).length) % 8)) % 8); // data starts 8-aligned
  const body = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + body.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(body.length), true);
  bytes.set(body, 8);
  return { bytes, header: { tensors, metadata, dataStart: bytes.length }, dataSize: off };
}

/** Reads the header length from the first 8 bytes (checked against the file size when known). */
export function headerLength(first8: Uint8Array, name: string, fileSize?: number): number {
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > 100_000_000n) throw new Error(`${name}: not a safetensors file (header length ${n} is impossible)`);
  if (fileSize !== undefined && 8n + n > BigInt(fileSize)) {
    throw new Error(`${name}: truncated safetensors file (or not one): header of ${n} bytes, file of ${fileSize}`);
  }
  return Number(n);
}

export function parseHeader(body: Uint8Array, name: string, dtypes: readonly StDType[] = ST_FLOAT_DTYPES): StHeader {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    throw new Error(`${name}: not a safetensors file (header is not JSON: ${(e as Error).message})`);
  }
  const metadata = (json.__metadata__ ?? {}) as Record<string, string>;
  const tensors: StTensorInfo[] = [];
  for (const [key, v] of Object.entries(json)) {
    if (key === '__metadata__') continue;
    const t = v as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    if (!dtypes.includes(t.dtype as StDType)) throw new Error(`${name}: tensor '${key}' has dtype ${t.dtype}; only ${dtypes.join(' and ')} are supported`);
    const dtype = t.dtype as StDType;
    const [begin, end] = t.data_offsets ?? [];
    const numel = (t.shape ?? []).reduce((a, b) => a * b, 1);
    if (!Array.isArray(t.shape) || typeof begin !== 'number' || typeof end !== 'number' || end - begin !== numel * ST_SIZE[dtype]) {
      throw new Error(`${name}: tensor '${key}' has an inconsistent header entry`);
    }
    tensors.push({ name: key, dtype, shape: t.shape, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin);
  let expect = 0;
  for (const t of tensors) {
    if (t.begin !== expect) throw new Error(`${name}: tensor '${t.name}' data overlaps or leaves a gap (offset ${t.begin}, expected ${expect})`);
    expect = t.end;
  }
  return { tensors, metadata, dataStart: 8 + body.length };
}

/** Whole-buffer writer, for small files and tests. */
export function writeSafetensors(
  tensors: { name: string; shape: readonly number[]; data: Float32Array | Uint16Array | Int32Array | Uint32Array; dtype?: StDType }[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const inferred = (d: Float32Array | Uint16Array | Int32Array | Uint32Array): StDType =>
    d instanceof Uint16Array ? 'F16' : d instanceof Int32Array ? 'I32' : d instanceof Uint32Array ? 'U32' : 'F32';
  const entries = tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype ?? inferred(t.data) }));
  const { bytes, header, dataSize } = encodeHeader(entries, metadata);
  const out = new Uint8Array(bytes.length + dataSize);
  out.set(bytes);
  tensors.forEach((t, i) => {
    const info = header.tensors[i];
    if (t.data.byteLength !== info.end - info.begin) throw new Error(`writeSafetensors: '${t.name}' data does not match its shape`);
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), header.dataStart + info.begin);
  });
  return out;
}
