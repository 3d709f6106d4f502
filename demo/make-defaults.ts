/**
 * Bundled defaults for the demo, generated (never committed): MediaPipe's trained hand models in
 * the repository's models/ (from npm @mediapipe/hands, Apache-2.0; the API finds them there), the
 * three photos of npm fingerpose 0.1.0 (MIT, (c) 2020 Andreas Schallwig) copied to
 * demo/public/defaults/photos, and for the HIU-DMTL mode the small random HIU-DMTL
 * checkpoint of the tests (test/fixtures/hiu-small/plain.zip.pth, 64x64 input) converted to
 * demo/public/defaults/hiu-small.safetensors (~600 KB), and a copy of our licence-free hand
 * asset. These weights are UNTRAINED: the demo labels them so. Run by `npm start` before Vite;
 * does nothing when the files exist. `npx tsx demo/make-defaults.ts [--force]`.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { convertFile } from '../tools/convert/convert.ts';
import { ensureMediapipeModels, MODEL_DIR } from '../tools/models/mediapipe.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
export const DEFAULTS_DIR = join(here, 'public', 'defaults');
export const DEFAULT_WEIGHTS = join(DEFAULTS_DIR, 'hiu-small.safetensors');
export const DEFAULT_HAND = join(DEFAULTS_DIR, 'hand-left.safetensors');
export const PHOTOS = ['nocurl.jpg', 'halfcurl.jpg', 'fullcurl.jpg'] as const;

export async function makeDefaults(force = false): Promise<{ weights: string; hand: string; made: string[] }> {
  mkdirSync(DEFAULTS_DIR, { recursive: true });
  const made: string[] = [];
  if (force || !existsSync(DEFAULT_WEIGHTS)) {
    await convertFile(join(repo, 'test/fixtures/hiu-small/plain.zip.pth'), DEFAULT_WEIGHTS, { inputSize: 64 });
    made.push(DEFAULT_WEIGHTS);
  }
  if (force || !existsSync(DEFAULT_HAND)) {
    copyFileSync(join(repo, 'assets/hand-left.safetensors'), DEFAULT_HAND);
    made.push(DEFAULT_HAND);
  }
  ensureMediapipeModels(MODEL_DIR);
  mkdirSync(join(DEFAULTS_DIR, 'photos'), { recursive: true });
  for (const p of PHOTOS) {
    const dst = join(DEFAULTS_DIR, 'photos', p);
    if (force || !existsSync(dst)) copyFileSync(join(repo, 'node_modules/fingerpose/assets', p), dst), made.push(dst);
  }
  return { weights: DEFAULT_WEIGHTS, hand: DEFAULT_HAND, made };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { made } = await makeDefaults(process.argv.includes('--force'));
  console.log(made.length ? `demo defaults: wrote ${made.join(', ')}` : 'demo defaults: up to date');
}
