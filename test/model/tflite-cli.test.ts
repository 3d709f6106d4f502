// `hiu inspect` and `hiu run` on the four MediaPipe models (Node, Dawn), and their errors on
// broken, hostile and unsupported files: one line naming the problem, nothing written.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';
import { hiu } from './cli.ts';
import { MODEL_DIR } from '../../tools/models/mediapipe.ts';
import { buildTflite, f32Bytes, OP, OPTIONS, TYPE } from '../weights/tfliteBuilder.ts';
import { relL2 } from './hiu.cases.ts';
import { TFLITE_MODELS } from './tflite.cases.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
let dir: string;

const model = (name: string) => join(MODEL_DIR, `${name}.tflite`);

/** The committed random input of a model, as the float32 NHWC network input. */
function goldenInput(name: string): string {
  const a = readNpy(new Uint8Array(readFileSync(join(FIX, 'tflite', name, 'random', 'input.npy'))), 'input');
  const p = join(dir, `${name}-input.npy`);
  writeFileSync(p, writeNpy(Float32Array.from(a.data as ArrayLike<number>, (v) => v / 255), a.shape));
  return p;
}

/** Expects a failure: exit 1, one line on stderr matching `re`, and `out` not created. */
async function expectFailure(args: string[], re: RegExp, out?: string) {
  const r = await hiu(...args);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(re);
  if (out) expect(existsSync(out)).toBe(false);
  if (out) expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hiu-tflite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hiu inspect', () => {
  test.each(TFLITE_MODELS)('%s: interface, ops, params, MACs, supported', async (name) => {
    const r = await hiu('inspect', model(name));
    expect(r.code, r.stderr).toBe(0);
    const size = name.startsWith('palm') ? 192 : 224;
    expect(r.stdout).toContain(`input_1 [1, ${size}, ${size}, 3] float32`);
    expect(r.stdout).toMatch(name.startsWith('palm') ? /Identity \[1, 2016, 18\][\s\S]*Identity_1 \[1, 2016, 1\]/ : /Identity \[1, 63\][\s\S]*Identity_3 \[1, 63\]/);
    expect(r.stdout).toMatch(/CONV_2D\s+\d+/);
    expect(r.stdout).toMatch(/DEPTHWISE_CONV_2D\s+\d+/);
    expect(r.stdout).not.toMatch(/^ +DEQUANTIZE +\d+/m); // folded at load
    expect(r.stdout).toMatch(/float16 weights expanded at load \(DEQUANTIZE folded\): [1-9]\d+/);
    const params = Number(/params: ([\d.]+) M/.exec(r.stdout)![1]);
    const macs = Number(/MACs: ([\d.]+) M/.exec(r.stdout)![1]);
    // Orders of magnitude from the table (params 0.96-2.7 M, MACs 146-337 M).
    expect(params).toBeGreaterThan(0.5);
    expect(params).toBeLessThan(3);
    expect(macs).toBeGreaterThan(100);
    expect(macs).toBeLessThan(400);
    expect(r.stdout).toContain('engine: supported');
  });

  test('an unsupported file lists every problem', async () => {
    const p = join(dir, 'unsupported.tflite');
    writeFileSync(p, buildTflite({
      tensors: [
        { name: 'x', shape: [1, 4, 4, 8] },
        { name: 'soft', shape: [1, 4, 4, 8] },
        { name: 'q', shape: [1, 4, 4, 8], type: TYPE.INT8, quantized: true },
        { name: 'w', shape: [8, 1, 1, 8], data: f32Bytes(new Float32Array(64)) },
      ],
      ops: [
        { code: OP.SOFTMAX, inputs: [0], outputs: [1], optionsType: OPTIONS.Softmax, options: [[0, 'f32', 1]] },
        { code: OP.CONV_2D, inputs: [1, 3, -1], outputs: [2], optionsType: OPTIONS.Conv2D, options: [[1, 'i32', 1], [2, 'i32', 1]] },
      ],
      inputs: [0], outputs: [2], extraSubgraphs: 1,
    }));
    const r = await hiu('inspect', p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('engine: NOT supported');
    expect(r.stdout).toMatch(/SOFTMAX/);
    expect(r.stdout).toMatch(/subgraph/i);
    expect(r.stdout).toMatch(/quantiz/i);
    await expectFailure(['run', p, '--input', goldenInput('hand_landmark_lite'), '--out', join(dir, 'never')], /SOFTMAX.*(subgraph|quantiz)|(subgraph|quantiz).*SOFTMAX/i, join(dir, 'never'));
  });
});

describe('hiu run', () => {
  test.each(TFLITE_MODELS)('%s: every output as .npy, equal to the TFLite runtime', async (name) => {
    const out = join(dir, `run-${name}`);
    const r = await hiu('run', model(name), '--input', `input_1=${goldenInput(name)}`, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const names = name.startsWith('palm') ? ['Identity', 'Identity_1'] : ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'];
    expect(readdirSync(out).sort()).toEqual(names.map((n) => `${n}.npy`));
    for (const n of names) {
      const got = readNpy(new Uint8Array(readFileSync(join(out, `${n}.npy`))), n);
      const ref = readNpy(new Uint8Array(readFileSync(join(FIX, 'tflite', name, 'random', `${n}.npy`))), n);
      expect(got.shape).toEqual(ref.shape);
      expect(relL2(got.data as Float32Array, ref.data as Float32Array)).toBeLessThan(1e-4);
    }
  });

  test('a .task bundle: inspect lists each model; run picks one with --entry', async () => {
    const task = join(dir, 'hands.task');
    writeFileSync(task, zipSync({
      'hand_landmarks_detector.tflite': new Uint8Array(readFileSync(model('hand_landmark_lite'))),
      'hand_detector.tflite': new Uint8Array(readFileSync(model('palm_detection_lite'))),
    }, { level: 0 }));
    const r = await hiu('inspect', task);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/== hand_landmarks_detector\.tflite[\s\S]*input_1 \[1, 224, 224, 3\][\s\S]*== hand_detector\.tflite[\s\S]*input_1 \[1, 192, 192, 3\]/);
    const input = goldenInput('hand_landmark_lite');
    await expectFailure(['run', task, '--input', input, '--out', join(dir, 'never')], /holds 2 models .*--entry/, join(dir, 'never'));
    const out = join(dir, 'task-out');
    const ok = await hiu('run', task, '--entry', 'hand_landmarks_detector.tflite', '--input', input, '--out', out);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['Identity.npy', 'Identity_1.npy', 'Identity_2.npy', 'Identity_3.npy']);
  });

  test('a truncated file, a corrupted offset, bad inputs: one named line, nothing written', async () => {
    const bytes = readFileSync(model('hand_landmark_lite'));
    const input = goldenInput('hand_landmark_lite');
    const out = join(dir, 'never');
    const truncated = join(dir, 'truncated.tflite');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
    await expectFailure(['run', truncated, '--input', input, '--out', out], /truncated\.tflite/, out);
    const corrupt = join(dir, 'corrupt.tflite');
    const c = Buffer.from(bytes);
    c.writeUInt32LE(c.length + 4096, 0); // root table offset past the end
    writeFileSync(corrupt, c);
    await expectFailure(['run', corrupt, '--input', input, '--out', out], /corrupt\.tflite/, out);
    await expectFailure(['inspect', corrupt], /corrupt\.tflite/);
    await expectFailure(['run', join(dir, 'missing.tflite'), '--input', input, '--out', out], /missing\.tflite: no such file/, out);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, writeNpy(new Float32Array(192 * 192 * 3), [1, 192, 192, 3]));
    await expectFailure(['run', model('hand_landmark_lite'), '--input', wrong, '--out', out], /shape \[1,192,192,3\] does not match input 'input_1' \[1,224,224,3\]/, out);
    await expectFailure(['run', model('hand_landmark_lite'), '--input', `nope=${input}`, '--out', out], /no input 'nope'/, out);
    const notNpy = join(dir, 'not.npy');
    writeFileSync(notNpy, 'hello');
    await expectFailure(['run', model('hand_landmark_lite'), '--input', notNpy, '--out', out], /not\.npy/, out);
  });
});

describe('hiu hands', () => {
  test('a photo: one hand with handedness, scores, 21 keypoints and world landmarks; a non-image is a named error', async () => {
    const photo = new URL('../../node_modules/fingerpose/assets/nocurl.jpg', import.meta.url).pathname;
    const json = join(dir, 'hands.json');
    const r = await hiu('hands', photo, '--model', 'lite', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nocurl\.jpg: 480x640, 1 hand/);
    expect(r.stdout).toMatch(/hand 0: (Left|Right) [\d.]+, presence [\d.]+, palm [\d.]+/);
    expect(r.stdout).toMatch(/index_tip +x +[\d.]+ y +[\d.]+ +world/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.images[0].hands).toHaveLength(1);
    expect(out.images[0].hands[0].keypoints).toHaveLength(21);
    expect(out.images[0].hands[0].world).toHaveLength(21);
    const notImage = join(dir, 'not-an-image.jpg');
    writeFileSync(notImage, 'hello');
    const json2 = join(dir, 'never.json');
    await expectFailure(['hands', notImage, '--json', json2], /not-an-image\.jpg: cannot decode as JPEG/, json2);
  });
});
