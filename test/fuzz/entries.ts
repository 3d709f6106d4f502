/**
 * What a user's file goes through before any GPU work, per reader: the same functions the CLI
 * (`hiu convert`, `convert-mano`, `infer`, `hands`, `run`, `inspect`) and the API call. Each
 * returns a one-line description of what it loaded, or throws. A load that "succeeds" with a
 * result no model could use (non-finite weights, sizes that disagree) throws ResultError: the
 * issue asks for a named error or a correct result, never garbage.
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { convertFile } from '../../tools/convert/convert.ts';
import { convertManoFile } from '../../tools/convert/convertMano.ts';
import { decodeImage } from '../../tools/convert/infer.ts';
import { importTflite } from '../../src/import/index.ts';
import { imageToInput } from '../../src/model/preprocess.ts';
import type { ManoAsset } from '../../src/model/manoAsset.ts';
import { findStateDict } from '../../src/weights/convert.ts';
import { loadWeights } from '../../src/weights/loader.ts';
import { readManoFile } from '../../src/weights/mano.ts';
import { readNpy } from '../../src/weights/npy.ts';
import { TorchCheckpoint } from '../../src/weights/pth.ts';
import { fileSource } from '../../src/weights/source.ts';
import { readModelBundle } from '../../src/weights/tflite.ts';
import type { ReaderId } from './seeds.ts';

/** A reader returned something wrong instead of refusing the file. */
export class ResultError extends Error {
  override name = 'ResultError';
}

function allFinite(what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ResultError(`${what}: value ${data[i]} at ${i} was accepted`);
  }
}

async function checkWeights(path: string): Promise<string> {
  const w = await loadWeights(path);
  for (const [name, t] of w.tensors) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new ResultError(`tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    allFinite(`tensor '${name}'`, t.data);
  }
  return `${w.architecture}, ${w.tensors.size} tensors`;
}

function checkMano(a: ManoAsset): string {
  const V = a.numVertices;
  for (const [k, v] of Object.entries(a)) if (v instanceof Float32Array) allFinite(`MANO '${k}'`, v);
  if (!(V >= 1) || a.faces.length === 0 || a.faces.length % 3) throw new ResultError(`MANO asset with ${V} vertices and ${a.faces.length} face indices`);
  if (a.faces.some((f) => f >= V)) throw new ResultError('MANO face index past the vertices was accepted');
  return `MANO ${a.side}, ${V} vertices, ${a.faces.length / 3} faces`;
}

/** A file we wrote ourselves must load: its refusal means the conversion accepted something wrong. */
async function reloaded(load: () => Promise<string>): Promise<string> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof ResultError) throw e;
    throw new ResultError(`the converted file does not load: ${e instanceof Error ? e.message : typeof e}`);
  }
}

/** Runs one case: the input file is `input`; anything written goes to `outDir` (checked empty after). */
export async function runEntry(reader: ReaderId, input: string, outDir: string): Promise<string> {
  switch (reader) {
    case 'pth-convert': {
      // hiu convert, then the converted file must load.
      const out = join(outDir, 'out.safetensors');
      const r = await convertFile(input, out);
      try {
        return `${r.config.architecture}, ${r.tensors} tensors; reloaded: ${await reloaded(() => checkWeights(out))}`;
      } finally {
        rmSync(out, { force: true });
      }
    }
    case 'pth-read': {
      // What convert does with each tensor, for checkpoints that are not whole models.
      const source = await fileSource(input);
      try {
        const ck = await TorchCheckpoint.open(source);
        const { tensors } = findStateDict(ck.root, source.name);
        for (const [name, t] of tensors) {
          const data = await ck.readTensor(t);
          if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new ResultError(`tensor '${name}': ${data.length} values for shape [${t.shape}]`);
        }
        return `${tensors.size} tensors`;
      } finally {
        await source.close?.();
      }
    }
    case 'mano': {
      // hiu convert-mano, then the written hand asset must read back.
      const out = join(outDir, 'hand.safetensors');
      const r = await convertManoFile(input, out);
      try {
        checkMano(r.asset);
        return await reloaded(async () => checkMano(await readManoFile(new Uint8Array(readFileSync(out)), out)));
      } finally {
        rmSync(out, { force: true });
      }
    }
    case 'weights':
      return checkWeights(input);
    case 'npy': {
      const a = readNpy(new Uint8Array(readFileSync(input)), input);
      const n = a.shape.reduce((x, y) => x * y, 1);
      if (a.data.length !== n) throw new ResultError(`.npy of shape [${a.shape}] gave ${a.data.length} values`);
      return `${a.dtype} [${a.shape}]`;
    }
    case 'image': {
      // hiu infer / hiu hands: decode, then the network input.
      const img = decodeImage(input);
      if (!(img.width >= 1 && img.height >= 1) || img.data.length !== img.width * img.height * 4) {
        throw new ResultError(`decoded ${img.width}x${img.height} with ${img.data.length} bytes`);
      }
      allFinite('network input', imageToInput(img, 256));
      return `${img.width}x${img.height}`;
    }
    case 'tflite': {
      // hiu inspect / run and the API: read the model(s), then lower each to a graph (CPU only).
      const models = readModelBundle(new Uint8Array(readFileSync(input)), basename(input));
      const parts: string[] = [];
      for (const [entry, m] of models) parts.push(`${entry}: ${importTflite(m).graph.nodes.length} nodes`);
      return parts.join(', ');
    }
  }
}
