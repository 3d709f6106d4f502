/**
 * `hiu convert-mano <MANO_LEFT.pkl|MANO_RIGHT.pkl|file.npz> -o <out.safetensors> [--side left|right]`
 *
 * Reads the user's own MANO model (never shipped: see docs/mano-layer.md) with the restricted
 * unpickler / npz reader of src/weights/mano.ts and writes the engine's hand-asset safetensors.
 * Like `hiu convert`, it writes a temporary file next to the output and renames it into place only
 * on success, so a failure leaves no output file.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { HandSide, ManoAsset } from '../../src/model/manoAsset.ts';
import { MAX_MANO_FILE_BYTES, manoToSafetensors, readManoFile, type ManoFileInfo } from '../../src/weights/mano.ts';
import { checkInputFile, checkOutputPath, TempOutput } from './paths.ts';

export interface ConvertManoOptions {
  side?: HandSide;
  /** Metadata override (the hand-asset generator passes its own licence note). */
  info?: ManoFileInfo;
}

export interface ConvertManoResult {
  asset: ManoAsset;
  bytes: number;
  sha256: string;
}

/** Writes bytes to `output` through a temporary file + rename (nothing is left behind on failure). */
export async function writeAtomic(output: string, bytes: Uint8Array): Promise<void> {
  const temp = TempOutput.create(resolve(output), 'file', '-o');
  try {
    await writeFile(temp.tmp, bytes);
    temp.commit();
  } finally {
    temp.discard();
  }
}

/** Writes a ManoAsset as a hand-asset safetensors file (atomically). Returns the byte count. */
export async function writeManoAsset(asset: ManoAsset, output: string, info: ManoFileInfo = {}): Promise<number> {
  const bytes = manoToSafetensors(asset, info);
  await writeAtomic(output, bytes);
  return bytes.length;
}

export async function convertManoFile(input: string, output: string, opts: ConvertManoOptions = {}): Promise<ConvertManoResult> {
  checkInputFile(input, 'input', MAX_MANO_FILE_BYTES);
  checkOutputPath(output, '-o', 'file');
  const data = new Uint8Array(await readFile(input));
  const asset = await readManoFile(data, input, { side: opts.side }); // hostile / incomplete files fail here
  const sha256 = createHash('sha256').update(data).digest('hex');
  const bytes = await writeManoAsset(asset, output, { sourceSha256: sha256, sourceName: basename(input), ...opts.info });
  return { asset, bytes, sha256 };
}
