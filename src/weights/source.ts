/**
 * Random-access byte sources. A 700 MB checkpoint is read piece by piece (zip central directory,
 * then one storage at a time) instead of being loaded whole, so readers take a ByteSource.
 * No Node module is imported here: the file-path source is in ../platform/node.ts.
 */
import { openFile } from '../platform/node.ts';

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
