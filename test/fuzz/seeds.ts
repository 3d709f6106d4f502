/**
 * The files the fuzz mutates, grouped by the reader they go to, each with the mutator that knows
 * its format: committed fixtures (checkpoints, MANO files, .npy), the shipped hand assets and
 * MediaPipe models, and a few made here in memory (engine weight files converted from the small
 * checkpoints, a JPEG, a small PNG, a .task bundle) because nothing of that kind is committed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';
import {
  mutateBytes, mutateJpeg, mutateWith, mutateNpy, mutatePickle, mutatePng, mutateSafetensors, mutateZip, type Mutated, type Rng,
} from './mutate.ts';

/** The entry points the fuzz drives (entries.ts runs them). */
export const READERS = ['pth-convert', 'pth-read', 'mano', 'weights', 'npy', 'image', 'tflite'] as const;
export type ReaderId = (typeof READERS)[number];

/** Share of the cases each reader gets (checkpoints and MANO files are the riskiest readers). */
export const READER_WEIGHTS: Record<ReaderId, number> = {
  'pth-convert': 24, 'pth-read': 10, mano: 20, weights: 12, npy: 8, image: 12, tflite: 14,
};

export interface SeedFile {
  reader: ReaderId;
  /** File name the case is written under (MANO reads the side from it; images their kind from the extension). */
  name: string;
  bytes: Uint8Array;
  mutate: (bytes: Uint8Array, rng: Rng) => Mutated;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string) => new Uint8Array(readFileSync(join(REPO_ROOT, rel)));

const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;

/** torch checkpoints: pickle-aware in data.pkl (zip) or in the leading pickles (legacy), bytes elsewhere. */
function mutateCheckpoint(b: Uint8Array, rng: Rng): Mutated {
  if (isZip(b)) {
    return mutateZip(b, rng, (name, data, r) =>
      name.endsWith('.pkl') && r.chance(0.7) ? mutatePickle(data, r) : mutateBytes(data, r));
  }
  return rng.chance(0.6) ? mutatePickle(b, rng) : mutateBytes(b, rng);
}

function mutateMano(b: Uint8Array, rng: Rng): Mutated {
  if (isZip(b)) return mutateZip(b, rng, (_, data, r) => (r.chance(0.6) ? mutateNpy(data, r) : mutateBytes(data, r)));
  if (b[0] === 0x80) return rng.chance(0.7) ? mutatePickle(b, rng) : mutateBytes(b, rng);
  return mutateSafetensors(b, rng);
}

/** FlatBuffers: half the time an offset/length/count word (inflateLength), else any byte mutation. */
function mutateTflite(b: Uint8Array, rng: Rng): Mutated {
  if (isZip(b)) return mutateZip(b, rng, (_, data, r) => mutateTflite(data, r));
  return rng.chance(0.5) ? mutateWith('inflateLength', b, rng) : mutateBytes(b, rng);
}

/** The files of a repository folder whose names match, in a fixed order (case generation depends on it). */
const files = (dir: string, pattern: RegExp) =>
  existsSync(join(REPO_ROOT, dir)) ? readdirSync(join(REPO_ROOT, dir)).sort().filter((f) => pattern.test(f)).map((f) => `${dir}/${f}`) : [];

/** A JPEG and a small PNG made from a committed picture (no JPEG is committed). */
function images(): SeedFile[] {
  const png = PNG.sync.read(Buffer.from(read('docs/hand-asset-rest.png')));
  const crop = (w: number, h: number) => {
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) png.data.copy(data, y * w * 4, y * png.width * 4, (y * png.width + w) * 4);
    return { width: w, height: h, data };
  };
  const jpg = new Uint8Array(jpeg.encode(crop(160, 120), 80).data);
  const small = new PNG({ width: 48, height: 40 });
  crop(48, 40).data.copy(small.data);
  const smallPng = new Uint8Array(PNG.sync.write(small));
  return [
    ...files('docs', /\.png$/).map((f) => ({ reader: 'image' as const, name: basename(f), bytes: read(f), mutate: mutatePng })),
    { reader: 'image', name: 'small.png', bytes: smallPng, mutate: mutatePng },
    { reader: 'image', name: 'photo.jpg', bytes: jpg, mutate: mutateJpeg },
    { reader: 'image', name: 'photo-copy.jpeg', bytes: jpg, mutate: mutateJpeg },
  ];
}

/** Engine weight files (f32 and f16) converted in memory from the committed small checkpoints. */
async function weightFiles(): Promise<SeedFile[]> {
  const out: SeedFile[] = [];
  for (const [rel, dtype] of [['test/fixtures/hiu-small/plain.zip.pth', 'f32'], ['test/fixtures/hiu-small/plain.zip.pth', 'f16'], ['test/fixtures/detector-small/module.zip.pth', 'f32']] as const) {
    const { bytes } = await convertCheckpointBytes(read(rel), basename(rel), { dtype });
    out.push({ reader: 'weights', name: `${rel.split('/')[2]}-${dtype}.safetensors`, bytes, mutate: mutateSafetensors });
  }
  return out;
}

export async function loadSeeds(): Promise<SeedFile[]> {
  const seeds: SeedFile[] = [];
  const add = (reader: ReaderId, rels: string[], mutate: SeedFile['mutate']) =>
    seeds.push(...rels.map((rel) => ({ reader, name: basename(rel), bytes: read(rel), mutate })));
  add('pth-convert', [...files('test/fixtures/hiu-small', /\.pth$/), ...files('test/fixtures/detector-small', /\.pth$/), ...files('test/fixtures/bad', /\.pth$/)], mutateCheckpoint);
  add('pth-read', files('test/fixtures/tensors', /\.pth$/), mutateCheckpoint);
  add('mano', [...files('test/fixtures/mano', /\.(pkl|npz)$/), ...files('assets', /^hand-.*\.safetensors$/)], mutateMano);
  add('npy', [
    ...files('test/fixtures/tensors', /\.npy$/), 'test/fixtures/hiu-small/keypoints2d.npy', 'test/fixtures/hiu-small/tensor_tams_1_convs_5_0_weight.npy',
    'test/fixtures/tflite/hand_landmark_lite/photo/input.npy', 'test/fixtures/tflite/hand_landmark_lite/photo/Identity_1.npy',
  ], mutateNpy);
  add('tflite', files('models', /\.tflite$/), mutateTflite);
  const lite = ['models/palm_detection_lite.tflite', 'models/hand_landmark_lite.tflite'];
  if (lite.every((f) => existsSync(join(REPO_ROOT, f)))) {
    const task = zipSync(Object.fromEntries(lite.map((f) => [basename(f), read(f)])), { level: 0 });
    seeds.push({ reader: 'tflite', name: 'hand_landmarker.task', bytes: task, mutate: mutateTflite });
  }
  seeds.push(...images(), ...(await weightFiles()));
  return seeds;
}
