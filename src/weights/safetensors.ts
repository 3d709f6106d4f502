/**
 * safetensors: [u64 LE header length N][N bytes JSON header, space-padded][raw little-endian data].
 * Header: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }.
 * Written and read here directly: the format is a dozen lines, and streaming matters for 700 MB.
 * The header comes from outside: parseHeader checks it whole before a byte of data is allocated.
 */
import { quoteUntrusted } from '../util/untrusted.ts';
import { decodeUtf8 } from '../util/utf8.ts';

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
  /** Bytes of the data section the tensors fill (the file is dataStart + dataSize bytes). */
  dataSize: number;
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
  return { bytes, header: { tensors, metadata, dataStart: bytes.length, dataSize: off }, dataSize: off };
}

/**
 * Largest header accepted. An engine file has about 3000 tensors (some 300 KB of JSON); the cap
 * bounds what JSON.parse is handed before anything is known about the file.
 */
export const MAX_HEADER_BYTES = 16 << 20;
/** Most dimensions a tensor may declare (the engine's have at most 4). */
export const MAX_RANK = 8;

/** Reads the header length from the first 8 bytes (checked against the file size when known). */
export function headerLength(first8: Uint8Array, name: string, fileSize?: number): number {
  if (first8.length < 8) throw new Error(`${name}: truncated safetensors file (${first8.length} bytes; the header length alone takes 8)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${name}: not a safetensors file (header length ${n} bytes at offset 0; at most ${MAX_HEADER_BYTES} are accepted)`);
  }
  if (fileSize !== undefined && 8n + n > BigInt(fileSize)) {
    throw new Error(`${name}: truncated safetensors file (or not one): header of ${n} bytes, file of ${fileSize}`);
  }
  return Number(n);
}

/** A value from a header for a message: numbers and short number lists as they are, strings quoted, anything else described. */
export function describeValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return v.length <= 8 && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : `a list of ${v.length}`;
  return quoteUntrusted(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The JSON header as an object; one line naming the file and the header byte when it is not UTF-8 JSON. */
function headerJson(body: Uint8Array, name: string): Record<string, unknown> {
  const text = decodeUtf8(body);
  if (!text.ok) throw new Error(`${name}: not a safetensors file (header is not valid UTF-8 at byte ${8 + text.offset})`);
  let json: unknown;
  try {
    json = JSON.parse(text.text);
  } catch (e) {
    // The engine's own wording may quote the text; give only where it went wrong.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new Error(`${name}: not a safetensors file (header is not valid JSON${at === undefined ? ': it ends early' : ` near character ${at} of the header`})`);
  }
  if (!isObject(json)) throw new Error(`${name}: not a safetensors file (header is JSON but not an object)`);
  return json;
}

/** Bytes a tensor of this dtype and shape needs, or a one-line error naming it. */
function tensorBytes(name: string, key: string, dtype: StDType, shape: unknown): number {
  const what = `${name}: tensor ${quoteUntrusted(key)}`;
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isCount)) {
    throw new Error(`${what}: shape ${describeValue(shape)} is not a list of at most ${MAX_RANK} non-negative integers`);
  }
  if (shape.includes(0)) return 0;
  let bytes = ST_SIZE[dtype];
  for (const d of shape) {
    bytes *= d;
    if (bytes > Number.MAX_SAFE_INTEGER) throw new Error(`${what}: shape [${shape}] is impossibly large`);
  }
  return bytes;
}

/**
 * Parses and checks the JSON header before anything is allocated: every entry's dtype, shape
 * and byte range, the ranges back to back from 0 with no overlap, duplicate or gap, and, when
 * the file size is known, the data section exactly filling the rest of the file.
 */
export function parseHeader(body: Uint8Array, name: string, dtypes: readonly StDType[] = ST_FLOAT_DTYPES, fileSize?: number): StHeader {
  const json = headerJson(body, name);
  const rawMeta = json.__metadata__ ?? {};
  if (!isObject(rawMeta)) throw new Error(`${name}: safetensors __metadata__ is not an object`);
  for (const [k, v] of Object.entries(rawMeta)) {
    if (typeof v !== 'string') throw new Error(`${name}: safetensors __metadata__ ${quoteUntrusted(k)} is not a string`);
  }
  const metadata = rawMeta as Record<string, string>;
  const tensors: StTensorInfo[] = [];
  for (const [key, v] of Object.entries(json)) {
    if (key === '__metadata__') continue;
    const what = `${name}: tensor ${quoteUntrusted(key)}`;
    if (!isObject(v)) throw new Error(`${what}: header entry is not an object`);
    if (!dtypes.includes(v.dtype as StDType)) throw new Error(`${what} has dtype ${describeValue(v.dtype)}; only ${dtypes.join(' and ')} are supported`);
    const dtype = v.dtype as StDType;
    const bytes = tensorBytes(name, key, dtype, v.shape);
    const offsets = v.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1])) {
      throw new Error(`${what}: data_offsets ${describeValue(offsets)} are not two non-negative integers`);
    }
    const [begin, end] = offsets;
    if (end - begin !== bytes) {
      throw new Error(`${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${v.shape as number[]}] needs ${bytes}`);
    }
    tensors.push({ name: key, dtype, shape: v.shape as number[], begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const [i, t] of tensors.entries()) {
    if (t.begin < expect) {
      const prev = tensors[i - 1];
      throw new Error(`${name}: tensor ${quoteUntrusted(t.name)} (data bytes ${t.begin}..${t.end}) overlaps tensor ${quoteUntrusted(prev.name)} (bytes ${prev.begin}..${prev.end})`);
    }
    if (t.begin > expect) throw new Error(`${name}: tensor ${quoteUntrusted(t.name)} starts at data byte ${t.begin}, leaving a gap after byte ${expect}`);
    expect = t.end;
  }
  const dataStart = 8 + body.length;
  if (fileSize !== undefined && dataStart + expect !== fileSize) {
    throw new Error(
      dataStart + expect > fileSize
        ? `${name}: truncated safetensors file: the header declares ${expect} data bytes from offset ${dataStart}, the file has ${Math.max(0, fileSize - dataStart)}`
        : `${name}: ${fileSize - dataStart - expect} trailing bytes after the last tensor (data ends at offset ${dataStart + expect}, the file at ${fileSize})`,
    );
  }
  return { tensors, metadata, dataStart, dataSize: expect };
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
