// The importer without a GPU: which ops fuse (dispatch counts of the four models, as the README
// states them), TensorFlow's SAME padding, and errors that name everything that is wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { importTflite, samePadding, tfliteProblems, UnsupportedModelError, weightPrecisionOf } from '../../src/import/index.ts';
import { readTflite } from '../../src/weights/tflite.ts';
import { MODEL_DIR } from '../../tools/models/mediapipe.ts';
import { ACT, buildTflite, f32Bytes, OP, OPTIONS, PAD, TYPE } from '../weights/tfliteBuilder.ts';

const load = (name: string) => readTflite(new Uint8Array(readFileSync(join(MODEL_DIR, `${name}.tflite`))), `${name}.tflite`);

describe('importTflite', () => {
  test.each([
    ['palm_detection_full', 139, 69],
    ['palm_detection_lite', 119, 59],
    ['hand_landmark_full', 63, 54],
    ['hand_landmark_lite', 65, 55],
  ])('%s: %i ops -> %i dispatches, layers named after TFLite tensors', (name, ops, dispatches) => {
    const m = load(name);
    expect(m.ops.length).toBe(ops);
    const im = importTflite(m);
    expect(im.graph.nodes.length).toBe(dispatches);
    const names = im.graph.nodes.map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[A-Za-z0-9_.#-]+$/.test(n))).toBe(true);
    expect(names.some((n) => n.startsWith('model'))).toBe(true);
    // No dispatch for PAD, RESHAPE, CONCATENATION: the outputs are read from their parts.
    expect(im.graph.nodes.map((n) => n.kernel).filter((k) => !['conv2d', 'depthwiseConv2d', 'maxPool2d', 'bilinearResize', 'globalAvgPool', 'denseChain', 'sigmoid'].includes(k))).toEqual([]);
    if (name.startsWith('palm')) expect(im.outputs.map((o) => o.parts.length)).toEqual([2, 2]);
  });

  test('batch N scales every activation', () => {
    const im = importTflite(load('hand_landmark_lite'), { batch: 3 });
    expect(im.inputs[0].shape).toEqual([3, 224, 224, 3]);
    expect(im.outputs.map((o) => o.shape)).toEqual([[3, 63], [3, 1], [3, 1], [3, 63]]);
    expect(() => importTflite(load('hand_landmark_lite'), { batch: 0 })).toThrow(/batch 0/);
  });

  test("TensorFlow's SAME padding puts the odd pixel after", () => {
    expect(samePadding(192, 5, 2)).toEqual([1, 2]);
    expect(samePadding(224, 3, 2)).toEqual([0, 1]);
    expect(samePadding(7, 3, 1)).toEqual([1, 1]);
    expect(samePadding(9, 2, 2)).toEqual([0, 1]);
    expect(samePadding(8, 2, 2)).toEqual([0, 0]);
  });

  test('an unsupported file is one error listing every problem', () => {
    const file = buildTflite({
      tensors: [
        { name: 'x', shape: [1, 8, 8, 4] },
        { name: 'w', shape: [4, 3, 3, 4], data: f32Bytes(new Float32Array(144)) },
        { name: 'dilated', shape: [1, 4, 4, 4] },
        { name: 'tanh', shape: [1, 4, 4, 4] },
        { name: 'soft', shape: [1, 4, 4, 4] },
        { name: 'q', shape: [1, 4, 4, 4], type: TYPE.INT8, quantized: true },
      ],
      ops: [
        { code: OP.CONV_2D, inputs: [0, 1, -1], outputs: [2], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 2], [2, 'i32', 2], [4, 'i32', 2], [5, 'i32', 2]] },
        { code: OP.CONV_2D, inputs: [2, 1, -1], outputs: [3], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 1], [2, 'i32', 1], [3, 'i8', ACT.TANH]] },
        { code: OP.SOFTMAX, inputs: [3], outputs: [4], optionsType: OPTIONS.Softmax, options: [[0, 'f32', 1]] },
        { code: OP.SOFTMAX, inputs: [4], outputs: [5], optionsType: OPTIONS.Softmax, options: [[0, 'f32', 1]] },
      ],
      inputs: [0], outputs: [5], extraSubgraphs: 1,
    });
    const m = readTflite(file, 'bad.tflite');
    const problems = tfliteProblems(m);
    const text = problems.join('\n');
    expect(text).toMatch(/dilation 2x2/);
    expect(text).toMatch(/TANH/);
    expect(text).toMatch(/SOFTMAX \(2x\)/);
    expect(text).toMatch(/quantiz/i);
    expect(text).toMatch(/subgraph/i);
    expect(text).toMatch(/output 'q' is int8/);
    let err: unknown;
    try {
      importTflite(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedModelError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toMatch(/^bad\.tflite: cannot run on the engine: /);
    // Every problem is listed, or counted in "and N more" once the line is full (MAX_PROBLEMS_CHARS).
    const listed = problems.filter((p) => msg.includes(p)).length;
    expect(listed).toBeGreaterThanOrEqual(Math.min(problems.length, 4));
    if (listed < problems.length) expect(msg).toMatch(new RegExp(`; and ${problems.length - listed} more \\(hiu inspect lists them all\\)$`));
  });

  test('a file whose shapes do not add up names the tensor', () => {
    const file = buildTflite({
      tensors: [
        { name: 'x', shape: [1, 8, 8, 4] },
        { name: 'w', shape: [6, 3, 3, 4], data: f32Bytes(new Float32Array(216)) },
        { name: 'y', shape: [1, 8, 8, 6] }, // SAME stride 2 makes 4x4, not 8x8
      ],
      ops: [{ code: OP.CONV_2D, inputs: [0, 1, -1], outputs: [2], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 2], [2, 'i32', 2]] }],
      inputs: [0], outputs: [2],
    });
    expect(() => importTflite(readTflite(file, 'shapes.tflite'))).toThrow(/shapes\.tflite: op 0 CONV_2D 'y' computes \[1,4,4,6\] for 'y', the file says \[1,8,8,6\]/);
    const wrongFilter = buildTflite({
      tensors: [
        { name: 'x', shape: [1, 8, 8, 4] },
        { name: 'w', shape: [6, 3, 3, 5], data: f32Bytes(new Float32Array(270)) },
        { name: 'y', shape: [1, 8, 8, 6] },
      ],
      ops: [{ code: OP.CONV_2D, inputs: [0, 1, -1], outputs: [2], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 1], [2, 'i32', 1]] }],
      inputs: [0], outputs: [2],
    });
    expect(() => importTflite(readTflite(wrongFilter, 'filter.tflite'))).toThrow(/filter 'w' \[6,3,3,5\] takes 5 channels, input has 4/);
  });

  test('weight precision: float16 filters stay f16 by default, float32 ones f32; f16 asked of a value past 65504 names it', () => {
    expect(['palm_detection_full', 'hand_landmark_lite'].map((n) => weightPrecisionOf(load(n)))).toEqual(['f16', 'f16']);
    const conv = (w: Float32Array) => readTflite(buildTflite({
      tensors: [{ name: 'x', shape: [1, 4, 4, 1] }, { name: 'w', shape: [2, 1, 1, 1], data: f32Bytes(w) }, { name: 'y', shape: [1, 4, 4, 2] }],
      ops: [{ code: OP.CONV_2D, inputs: [0, 1, -1], outputs: [2], optionsType: OPTIONS.Conv2D, options: [[0, 'i8', PAD.SAME], [1, 'i32', 1], [2, 'i32', 1]] }],
      inputs: [0], outputs: [2],
    }), 'big.tflite');
    const big = conv(Float32Array.of(1, 70000));
    expect(weightPrecisionOf(big)).toBe('f32');
    expect(importTflite(big).graph.weightPrecision).toBe('f32');
    expect(() => importTflite(big, { weightPrecision: 'f16' })).toThrow(/weights '[^']*y[^']*': value 70000 at index \d+ is outside the f16 range/);
    expect(importTflite(conv(Float32Array.of(1, 2)), { weightPrecision: 'f16' }).graph.constants.find((c) => c.kind === 'weights')?.dtype).toBe('f16');
  });
});
