/**
 * MediaPipe's trained hand models, from the npm package `@mediapipe/hands` (Apache-2.0; a
 * dependency, never committed here). The landmark models are plain files in the package; the
 * palm detectors live inside `hands_solution_packed_assets.data` and are cut out by the byte
 * ranges its loader script lists. Every file is checked against the sha256 pinned below, so a
 * different package version is a clear error rather than silently different numbers.
 *
 *   npx tsx tools/models/mediapipe.ts [--out DIR]   writes the four .tflite files (default models/)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractPackedFile } from '../../src/weights/packedAssets.ts';

export type MediapipeModelName = 'palm_detection_full' | 'palm_detection_lite' | 'hand_landmark_full' | 'hand_landmark_lite';
export const MEDIAPIPE_MODELS: readonly MediapipeModelName[] = ['palm_detection_full', 'palm_detection_lite', 'hand_landmark_full', 'hand_landmark_lite'];

/** @mediapipe/hands 0.4.1675469240. */
export const MEDIAPIPE_SHA256: Record<MediapipeModelName, string> = {
  palm_detection_full: '2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85',
  palm_detection_lite: 'e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18',
  hand_landmark_full: '8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68',
  hand_landmark_lite: 'd7fde8ac11f8ce03f8663775bfc323f4fc9f2a38062b4f4efa142874ef5b2a48',
};

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** The folder of the installed @mediapipe/hands package. */
export function mediapipeHandsDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('@mediapipe/hands/package.json'));
  } catch {
    throw new ModelFileError("npm package '@mediapipe/hands' is not installed (npm install @mediapipe/hands@0.4.1675469240)");
  }
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** One model's .tflite bytes, checked. */
export function loadMediapipeModel(name: MediapipeModelName): Uint8Array {
  if (!MEDIAPIPE_MODELS.includes(name)) throw new ModelFileError(`unknown MediaPipe model '${name}' (one of ${MEDIAPIPE_MODELS.join(', ')})`);
  const dir = mediapipeHandsDir();
  const read = (f: string) => {
    const p = join(dir, f);
    if (!existsSync(p)) throw new ModelFileError(`${p}: missing from @mediapipe/hands`);
    return new Uint8Array(readFileSync(p));
  };
  const bytes = name.startsWith('hand_landmark')
    ? read(`${name}.tflite`)
    : extractPackedFile(read('hands_solution_packed_assets.data'), new TextDecoder().decode(read('hands_solution_packed_assets_loader.js')),
        `${name}.tflite`, join(dir, 'hands_solution_packed_assets.data'));
  const got = sha256(bytes);
  if (got !== MEDIAPIPE_SHA256[name])
    throw new ModelFileError(`${name}.tflite from ${dir}: sha256 ${got}, expected ${MEDIAPIPE_SHA256[name]} (a different @mediapipe/hands version?)`);
  return bytes;
}

/** Where the shipped models come from and under which licence (models/NOTICE.md). */
export const MODELS_NOTICE = `# MediaPipe hand models

The four \`.tflite\` files here are Google's MediaPipe palm detection and hand landmark models
(full and lite), cut unchanged out of the npm package \`@mediapipe/hands\` 0.4.1675469240
(https://github.com/google/mediapipe), which is licensed under the Apache License 2.0
(https://www.apache.org/licenses/LICENSE-2.0). sha256 of each file:

${MEDIAPIPE_MODELS.map((n) => `- ${n}.tflite: ${MEDIAPIPE_SHA256[n]}`).join('\n')}

They run on hiu-webgpu's own WebGPU kernels (src/weights/tflite.ts, src/model/handLandmarker.ts).
`;

/** Writes the four models and NOTICE.md into `dir` (atomically per file) unless already there and intact; returns the model paths. */
export function ensureMediapipeModels(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const notice = join(dir, 'NOTICE.md');
  if (!existsSync(notice) || readFileSync(notice, 'utf8') !== MODELS_NOTICE) writeFileSync(notice, MODELS_NOTICE);
  return MEDIAPIPE_MODELS.map((name) => {
    const p = join(dir, `${name}.tflite`);
    if (existsSync(p) && sha256(new Uint8Array(readFileSync(p))) === MEDIAPIPE_SHA256[name]) return p;
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, loadMediapipeModel(name));
    renameSync(tmp, p);
    return p;
  });
}

/**
 * models/ at the top of the repository (git-ignored; the package ships it): where the API finds
 * its default models (src/api/packageFiles.ts) and both test runtimes read them.
 */
export const MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../models');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  for (const p of ensureMediapipeModels(i > 0 ? resolve(process.argv[i + 1]) : MODEL_DIR)) console.log(p);
}
