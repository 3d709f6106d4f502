/**
 * The committed TFLite goldens (test/fixtures/tflite, written by tools/reference/tflite_goldens.ts
 * from Google's TFLite interpreter): present, well-formed, consistent with their manifest and with
 * the generator's input definitions, and plausible (the models see the hand in the photo, and
 * nothing in the noise).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MEDIAPIPE_SHA256, type MediapipeModelName } from '../../tools/models/mediapipe.ts';
import { makeInputs, palmAnchors, palmBox } from '../../tools/reference/tflite_goldens.ts';
import { fixture, npy, readJson } from './helpers.ts';
import { readNpy } from '../../src/weights/npy.ts';

interface Manifest {
  runtime: { package: string; options: { numThreads: number } };
  models: Record<string, {
    sha256: string;
    input: { name: string; shape: number[] };
    outputs: { name: string; shape: number[]; dtype: string }[];
    inputs: Record<string, { files: Record<string, string> }>;
  }>;
}

const LANDMARK = { Identity: [1, 63], Identity_1: [1, 1], Identity_2: [1, 1], Identity_3: [1, 63] };
const PALM = { Identity: [1, 2016, 18], Identity_1: [1, 2016, 1] };
const MODELS: [MediapipeModelName, number, Record<string, number[]>][] = [
  ['palm_detection_full', 192, PALM],
  ['palm_detection_lite', 192, PALM],
  ['hand_landmark_full', 224, LANDMARK],
  ['hand_landmark_lite', 224, LANDMARK],
];
const INPUTS = ['random', 'photo'] as const;

/** The uint8 inputs. */
function readNpyU8(bytes: Uint8Array): { shape: number[]; data: Uint8Array } {
  const a = readNpy(bytes, 'input.npy');
  expect(a.dtype).toBe('u8');
  return { shape: a.shape, data: Uint8Array.from(a.data) };
}

const file = (...p: string[]) => new Uint8Array(readFileSync(fixture('tflite', ...p)));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const out = (model: string, input: string, name: string) => npy('tflite', model, input, `${name}.npy`).data;

describe('TFLite goldens (test/fixtures/tflite)', () => {
  const manifest = readJson<Manifest>('tflite', 'manifest.json');

  it('come from tfjs-tflite, one thread, for the pinned MediaPipe models', () => {
    expect(manifest.runtime.package).toBe('@tensorflow/tfjs-tflite@0.0.1-alpha.10');
    expect(manifest.runtime.options.numThreads).toBe(1);
    expect(Object.keys(manifest.models).sort()).toEqual(MODELS.map((m) => m[0]).sort());
    for (const [name] of MODELS) expect(manifest.models[name].sha256).toBe(MEDIAPIPE_SHA256[name]);
  });

  for (const [model, size, outputs] of MODELS) {
    describe(model, () => {
      const entry = manifest.models[model];
      it('lists the runtime\'s input and output tensors', () => {
        expect(entry.input).toMatchObject({ name: 'input_1', shape: [1, size, size, 3] });
        expect(entry.outputs).toEqual(Object.entries(outputs).map(([name, shape]) => ({ name, shape, dtype: 'float32' })));
      });
      for (const input of INPUTS) {
        it(`${input}: files match the manifest, right shapes, finite`, () => {
          const files = entry.inputs[input].files;
          expect(Object.keys(files).sort()).toEqual(['input.npy', ...Object.keys(outputs).map((n) => `${n}.npy`)].sort());
          for (const [f, digest] of Object.entries(files)) expect(sha(file(model, input, f)), `${model}/${input}/${f}`).toBe(digest);
          expect(readNpyU8(file(model, input, 'input.npy')).shape).toEqual([1, size, size, 3]);
          for (const [name, shape] of Object.entries(outputs)) {
            const a = npy('tflite', model, input, `${name}.npy`);
            expect(a.dtype).toBe('f32');
            expect(a.shape).toEqual(shape);
            expect(a.data.every(Number.isFinite), `${model}/${input}/${name} finite`).toBe(true);
          }
        });
      }
      it('inputs are exactly what the generator defines (seeded noise, the photo crop/letterbox)', () => {
        const want = makeInputs(size);
        for (const input of INPUTS) expect(sha(readNpyU8(file(model, input, 'input.npy')).data)).toBe(sha(want[input]));
      });
    });
  }

  describe('the models see the hand in the photo and nothing in the noise', () => {
    for (const model of ['palm_detection_full', 'palm_detection_lite']) {
      it(`${model}: a confident palm box on the hand (photo), none in noise`, () => {
        expect(palmAnchors()).toHaveLength(2016);
        const best = (input: string) => {
          const s = out(model, input, 'Identity_1');
          let arg = 0;
          for (let i = 1; i < s.length; i++) if (s[i] > s[arg]) arg = i;
          return { arg, score: sigmoid(s[arg]) };
        };
        const photo = best('photo');
        expect(photo.score).toBeGreaterThan(0.5); // 0.96 full, 0.95 lite
        // The palm in the 192x192 letterbox (photo 480x640 scaled 0.3, 24 px padding left and
        // right) is around (105, 130), about 60 px across.
        const [cx, cy, w, h] = palmBox(out(model, 'photo', 'Identity'), photo.arg);
        expect(cx).toBeGreaterThan(85);
        expect(cx).toBeLessThan(125);
        expect(cy).toBeGreaterThan(110);
        expect(cy).toBeLessThan(155);
        expect(w).toBeGreaterThan(40);
        expect(w).toBeLessThan(100);
        expect(h).toBeGreaterThan(40);
        expect(h).toBeLessThan(100);
        expect(best('random').score).toBeLessThan(0.2); // 0.03 full, 0.05 lite
      });
    }
    for (const model of ['hand_landmark_full', 'hand_landmark_lite']) {
      it(`${model}: hand present in the photo with the index tip on top, absent in noise`, () => {
        // Identity_1 (presence) ends in LOGISTIC inside the model: it is a probability already.
        const photo = out(model, 'photo', 'Identity_1')[0];
        const noise = out(model, 'random', 'Identity_1')[0];
        expect(photo).toBeGreaterThan(0.5); // 0.96 full, 0.98 lite
        expect(photo).toBeLessThanOrEqual(1);
        expect(noise).toBeGreaterThanOrEqual(0);
        expect(noise).toBeLessThan(0.1); // 0.006 both
        const hand = out(model, 'photo', 'Identity_2')[0];
        expect(hand).toBeGreaterThanOrEqual(0);
        expect(hand).toBeLessThanOrEqual(1);
        // 21 landmarks (x, y, z) in 224-pixel coordinates: all in the crop, the index fingertip
        // (8) is the topmost, the wrist (0) is in the lower part.
        const lm = out(model, 'photo', 'Identity');
        let top = 0;
        for (let k = 0; k < 21; k++) {
          expect(lm[3 * k]).toBeGreaterThan(0);
          expect(lm[3 * k]).toBeLessThan(224);
          expect(lm[3 * k + 1]).toBeGreaterThan(0);
          expect(lm[3 * k + 1]).toBeLessThan(224);
          if (lm[3 * k + 1] < lm[3 * top + 1]) top = k;
        }
        expect(top).toBe(8);
        expect(lm[1]).toBeGreaterThan(160);
      });
    }
  });
});
