/**
 * Issue #12: a seeded mutation run over the TFLite fixtures (MediaPipe's lite hand models, as a
 * plain .tflite and inside a deflated .task bundle). Parse and import only (graph building needs
 * no GPU). Each case must give a model whose problems are clean lines, or one clean named error,
 * quickly and without a memory blow-up. A longer round:
 *   HIU_FUZZ_CASES=3000 HIU_FUZZ_SEED=7 npx vitest run test/weights/tfliteMutation.test.ts
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { describeTflite, formatSummary } from '../../src/import/tfliteInfo.ts';
import { readModelBundle } from '../../src/weights/tflite.ts';
import { loadMediapipeModel, type MediapipeModelName } from '../../tools/models/mediapipe.ts';
import { makeRng } from '../reference/cpu.ts';
import { expectCleanMessage } from './hostileHelpers.ts';

const CASES = Number(process.env.HIU_FUZZ_CASES ?? 100); // per .tflite; half that for the .task (each case inflates it)
const SEED = Number(process.env.HIU_FUZZ_SEED ?? 0x12f0);
// Typical cases take 5-150 ms; the bound catches a hang or a blow-up, not a busy machine's jitter.
const CASE_MS = 5000;
const ERRORS = new Set(['TfliteFormatError', 'UnsupportedModelError', 'ShapeError']);

type Rng = () => number;

/** One to six edits aimed at the FlatBuffer tables (head and tail of the file) more than at weight bytes. */
function mutate(base: Uint8Array, rng: Rng): Uint8Array {
  const pick = (b: Uint8Array) => {
    const r = rng();
    const n = b.length;
    if (r < 0.3) return Math.floor(rng() * Math.min(n, 4096));
    if (r < 0.75) return Math.max(0, n - 1 - Math.floor(rng() * Math.min(n, 96 * 1024)));
    return Math.floor(rng() * n);
  };
  if (rng() < 0.15) return base.slice(0, Math.floor(rng() * base.length)); // truncated
  const b = base.slice();
  const v = new DataView(b.buffer);
  const edits = 1 + Math.floor(rng() * 6);
  for (let k = 0; k < edits; k++) {
    const p = Math.min(pick(b), b.length - 4);
    const kind = rng();
    if (kind < 0.3) b[p] ^= 1 << Math.floor(rng() * 8);
    else if (kind < 0.5) b[p] = Math.floor(rng() * 256);
    else if (kind < 0.8) v.setUint32(p, [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0xfffe, Math.floor(rng() * 2 ** 32)][Math.floor(rng() * 7)], true);
    else if (kind < 0.9) b.fill(0, p, Math.min(b.length, p + 16 + Math.floor(rng() * 240)));
    else v.setUint32(p, v.getUint32(Math.min(pick(b), b.length - 4), true), true); // a plausible offset from elsewhere
  }
  return b;
}

/** Runs one case: a model (summary checked) or a clean error. Returns which, and the time taken. */
function runCase(bytes: Uint8Array, file: string): { ok: boolean; ms: number; message?: string } {
  const t0 = performance.now();
  try {
    const models = readModelBundle(bytes, file);
    for (const m of models.values()) {
      const s = describeTflite(m); // includes building the engine graph when the model is supported
      for (const p of s.problems) expectCleanMessage(p);
      expect(formatSummary(s)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    }
    return { ok: true, ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof Error) || !ERRORS.has(e.name)) throw new Error(`${file}: not a reader error: ${String(e instanceof Error ? `${e.name}: ${e.message}` : e)}`);
    expect(e.message.startsWith(file), e.message).toBe(true);
    expectCleanMessage(e.message);
    return { ok: false, ms, message: e.message };
  }
}

const lite = (n: MediapipeModelName) => loadMediapipeModel(n);
const ALL: MediapipeModelName[] = ['palm_detection_full', 'palm_detection_lite', 'hand_landmark_full', 'hand_landmark_lite'];

describe('seeded TFLite mutation run (parse and import, no GPU)', () => {
  const bases: [string, number, () => Uint8Array][] = [
    ['palm_detection_lite.tflite', CASES, () => lite('palm_detection_lite')],
    ['hand_landmark_lite.tflite', CASES, () => lite('hand_landmark_lite')],
    ['hand_landmarker.task', Math.ceil(CASES / 2), () => zipSync({ 'hand_detector.tflite': lite('palm_detection_lite'), 'hand_landmarks_detector.tflite': lite('hand_landmark_lite') })],
  ];
  it.each(bases)('%s: %i mutants each parse cleanly or give one clean named line, fast', (file, cases, load) => {
    const base = load();
    expect(runCase(base, file).ok).toBe(true); // the intact file is a model
    const rng = makeRng(SEED + file.length);
    const heap0 = process.memoryUsage().arrayBuffers;
    let errors = 0;
    let slowest = 0;
    let peak = 0;
    for (let i = 0; i < cases; i++) {
      const r = runCase(mutate(base, rng), file);
      if (!r.ok) errors++;
      slowest = Math.max(slowest, r.ms);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - heap0);
      expect(r.ms, `case ${i}: ${r.message ?? 'parsed'}`).toBeLessThan(CASE_MS);
    }
    expect(errors).toBeGreaterThan(cases / 10); // the mutations do reach the structure
    expect(peak).toBeLessThan(512 << 20);
  }, 600_000);

  it.each(ALL)('%s.tflite truncated at 12 seeded points: one clean named line each, fast', (name) => {
    const base = loadMediapipeModel(name);
    const file = `${name}.tflite`;
    const rng = makeRng(SEED ^ base.length);
    for (let i = 0; i < 12; i++) {
      const r = runCase(base.subarray(0, Math.floor(rng() * base.length)), file);
      expect(r.ok, 'a truncated model must not parse').toBe(false);
      expect(r.ms, r.message).toBeLessThan(CASE_MS);
    }
  });
});
