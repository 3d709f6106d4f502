/**
 * Node side of `hiu convert`: hashes the source, streams the conversion into a temporary file next
 * to the output and renames it into place only on success, so a failure (or Ctrl-C) leaves no file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileSource } from '../../src/weights/source.ts';
import { TorchCheckpoint } from '../../src/weights/pth.ts';
import { convertCheckpoint, type ConvertResult } from '../../src/weights/convert.ts';
import { TempOutput } from './paths.ts';

export interface ConvertFileOptions {
  dtype?: 'f32' | 'f16';
  inputSize?: number;
  /** Convert NaN/Inf weights (and f16 overflow) instead of refusing them. */
  allowNonFinite?: boolean;
  onProgress?: (phase: 'hash' | 'convert', done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

export async function sha256File(path: string, onProgress?: (done: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.(done);
  }
  return hash.digest('hex');
}

export async function convertFile(input: string, output: string, opts: ConvertFileOptions = {}): Promise<ConvertResult> {
  const temp = TempOutput.create(resolve(output), 'file', '-o'); // made first: removed on any failure or SIGINT/SIGTERM
  let source: Awaited<ReturnType<typeof fileSource>> | undefined;
  let out: Awaited<ReturnType<typeof open>> | null = null;
  try {
    source = await fileSource(input);
    const ck = await TorchCheckpoint.open(source); // parses the pickle: hostile/corrupt files fail here
    const size = source.size;
    const sha = await sha256File(input, (d) => opts.onProgress?.('hash', d, size));
    out = await open(temp.tmp, 'w');
    const handle = out;
    const result = await convertCheckpoint(ck, async (chunk) => {
      let off = 0;
      while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
    }, {
      dtype: opts.dtype,
      inputSize: opts.inputSize,
      allowNonFinite: opts.allowNonFinite,
      sourceSha256: sha,
      sourceName: basename(input),
      onProgress: (d, t) => opts.onProgress?.('convert', d, t),
      onWarning: opts.onWarning,
    });
    await out.sync();
    await out.close();
    out = null;
    temp.commit();
    return result;
  } finally {
    // Each step on its own: none of them may throw over the error on its way out.
    await out?.close().catch(() => {});
    temp.discard();
    await Promise.resolve(source?.close?.()).catch(() => {});
  }
}
