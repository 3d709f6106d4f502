/**
 * Random-access byte sources. A 700 MB checkpoint is read piece by piece (zip central directory,
 * then one storage at a time) instead of being loaded whole, so readers take a ByteSource.
 * No Node module is imported at top level: the file-path source loads node:fs lazily.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A name for error messages (file path, URL or "<buffer>"). */
  readonly name: string;
  /** Reads exactly `length` bytes at `offset`; throws if the range is outside the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/**
 * Imports a Node built-in at run time only. The specifier is a variable so that bundlers (Vite)
 * leave it alone: browser builds never reach these branches and get no node:* stubs or warnings.
 */
export function nodeImport<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

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
  const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  const src: ByteSource = {
    size,
    name: path,
    async read(offset, length) {
      checkRange(src, offset, length);
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at ${offset + done}`);
        done += bytesRead;
      }
      return buf;
    },
    async close() {
      await handle.close();
    },
  };
  return src;
}
