/**
 * Random-access byte sources. A 700 MB checkpoint is read piece by piece (zip central directory,
 * then one storage at a time) instead of being loaded whole, so readers take a ByteSource.
 * No Node module is imported here: the file-path source is in ../platform/node.ts.
 */
import { fileChunks, localPathOf, openFile } from '../platform/node.ts';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A name for error messages (file path, URL or "<buffer>"). */
  readonly name: string;
  /** Reads exactly `length` bytes at `offset`; throws if the range is outside the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

// Kept here for callers that imported it from this module; it lives with the other Node-only code.
export { nodeImport } from '../platform/node.ts';

function checkRange(src: { size: number; name: string }, offset: number, length: number): void {
  // A NaN or fractional offset from a corrupt file must not slip past as an empty or shifted read.
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
    throw new Error(`${src.name}: read of ${length} bytes at offset ${offset}: not a whole-byte range; the file is corrupt`);
  }
  if (offset < 0 || length < 0 || offset + length > src.size) {
    throw new Error(
      `${src.name}: read of ${length} bytes at offset ${offset} runs past the end (size ${src.size}); the file is truncated or corrupt`,
    );
  }
}

export function bufferSource(data: ArrayBuffer | Uint8Array, name = '<buffer>'): ByteSource {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return {
    size: bytes.byteLength,
    name,
    async read(offset, length) {
      checkRange(this, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function blobSource(blob: Blob, name = (blob as File).name ?? '<blob>'): ByteSource {
  return {
    size: blob.size,
    name,
    async read(offset, length) {
      checkRange(this, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Node only: a file read with positional reads (no whole-file buffer). */
export async function fileSource(path: string): Promise<ByteSource> {
  const file = await openFile(path);
  const src: ByteSource = {
    size: file.size,
    name: path,
    async read(offset, length) {
      checkRange(src, offset, length);
      return file.read(offset, length);
    },
    close: () => file.close(),
  };
  return src;
}

/** Anything a whole file can come from: a URL (fetched; in Node also a path or file: URL), a File/Blob, or its bytes. */
export type WholeSource = string | URL | Blob | ArrayBuffer | Uint8Array;

/** Reads a whole source into memory, reporting bytes as they arrive; returns the bytes and a name for messages. */
export async function readAllBytes(
  source: WholeSource, opts: { onProgress?: (p: { loaded: number; total?: number }) => void; signal?: AbortSignal } = {},
): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return opts.onProgress?.({ loaded: source.length, total: source.length }), { bytes: source, name: '<buffer>' };
  if (source instanceof ArrayBuffer) return opts.onProgress?.({ loaded: source.byteLength, total: source.byteLength }), { bytes: new Uint8Array(source), name: '<buffer>' };
  let name: string;
  let total: number | undefined;
  let chunks: AsyncIterable<Uint8Array>;
  const path = localPathOf(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    name = (source as File).name ?? '<blob>';
    total = source.size;
    chunks = readerChunks(source.stream().getReader());
  } else if (path !== undefined) {
    name = path;
    ({ total, chunks } = await fileChunks(path, 1 << 20));
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
    opts.signal?.throwIfAborted();
    parts.push(c);
    loaded += c.length;
    opts.onProgress?.({ loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) bytes.set(p, o), (o += p.length);
  return { bytes, name };
}

export async function* readerChunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value) yield value;
  }
}
