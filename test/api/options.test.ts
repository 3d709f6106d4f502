// Option and box checks of the embedding API and the finite-result report, without a GPU: the
// checks run before any device is requested. The same checks on live estimators (a box off the
// image, typos in estimate options) are in test/api/lifecycle.test.ts.
import { expect, test } from 'vitest';
import { createHandEstimator, EstimateOptionsError } from '../../src/index.ts';
import { boxOverlapsImage, checkAllOptions, checkBox, checkKnownKeys, checkOptions } from '../../src/api/options.ts';
import { nonFiniteReport } from '../../src/util/finite.ts';

const bytes = new Uint8Array(8);

test('unknown option names are EstimateOptionsErrors naming them, for both families and estimate options', async () => {
  await expect(createHandEstimator({ weights: bytes, hand: bytes, maxHand: 2 } as never)).rejects.toThrow(EstimateOptionsError);
  await expect(createHandEstimator({ weights: bytes, hand: bytes, maxHand: 2 } as never)).rejects.toThrow(/unknown option 'maxHand' in the HIU-DMTL options/);
  await expect(createHandEstimator({ weights: bytes, hand: bytes, detection: { treshold: 0.3 } } as never)).rejects.toThrow(/unknown option 'treshold' in detection/);
  await expect(createHandEstimator({ weights: bytes, hand: bytes, detection: { topK: 0 } })).rejects.toThrow(/detection.topK must be a positive integer/);
  await expect(createHandEstimator({ weights: bytes, hand: bytes, onProgress: 'yes' } as never)).rejects.toThrow(/onProgress must be a function/);
  await expect(createHandEstimator({ numHand: 2 } as never)).rejects.toThrow(/unknown option 'numHand'/);
  await expect(createHandEstimator({ smoothing: { mincutoff: 1 } } as never)).rejects.toThrow(/unknown option 'mincutoff' in smoothing/);
  await expect(createHandEstimator({ smoothing: { minCutoff: -1 } })).rejects.toThrow(EstimateOptionsError);
  await expect(createHandEstimator({ models: { palm: bytes, landmark: bytes, extra: 1 } } as never)).rejects.toThrow(/unknown option 'extra' in models/);
  await expect(createHandEstimator({ signal: {} } as never)).rejects.toThrow(/signal must be an AbortSignal/);
  expect(() => checkOptions({ hand: 'left', boxx: { x: 0, y: 0, w: 5, h: 5 } } as never)).toThrow(/estimate\(\): unknown option 'boxx'/);
  expect(() => checkAllOptions({ boxs: [] } as never, 2)).toThrow(/estimateAll\(\): unknown option 'boxs'/);
  // A crafted key cannot write to the terminal.
  expect(() => checkKnownKeys('estimate()', 'options', { '\x1b[2Kfake': 1 }, ['hand'])).toThrow(/'\\x1b\[2Kfake'/);
});

test('boxes that cannot mean anything are refused: not finite, not positive, entirely outside the image', () => {
  const image = { width: 100, height: 50 };
  expect(() => checkBox('estimate()', 'box', { x: 0, y: 0, w: 10, h: 10 }, image)).not.toThrow();
  expect(() => checkBox('estimate()', 'box', { x: -5, y: -5, w: 10, h: 10 }, image)).not.toThrow(); // partly inside
  expect(() => checkBox('estimate()', 'box', { x: 100, y: 0, w: 10, h: 10 }, image)).toThrow(/lies entirely outside the 100x50 image/);
  expect(() => checkBox('estimate()', 'box', { x: -20, y: 10, w: 10, h: 10 }, image)).toThrow(EstimateOptionsError);
  expect(() => checkBox('estimate()', 'box', { x: 10, y: 60, w: 10, h: 10 }, image)).toThrow(/entirely outside/);
  expect(() => checkBox('estimate()', 'box', { x: NaN, y: 0, w: 10, h: 10 })).toThrow(/finite numbers/);
  expect(() => checkBox('estimate()', 'box', { x: 0, y: 0, w: 0, h: 10 })).toThrow(/w, h > 0/);
  // A circular object is described, not stringified (JSON.stringify would throw a TypeError).
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  expect(() => checkOptions({ hand: loop } as never)).toThrow(/hand must be 'left' or 'right', got a non-array object/);
  expect(boxOverlapsImage({ x: 99.5, y: 49.5, w: 1, h: 1 }, 100, 50)).toBe(true);
});

test('nonFiniteReport: null when finite, else names each output and counts its bad values', () => {
  expect(nonFiniteReport({ a: new Float32Array(4), b: null })).toBeNull();
  const r = nonFiniteReport({ camera: [1, Infinity, 2], vertices: new Float32Array([NaN, NaN]), ok: [0] });
  expect(r).toBe('camera (1 of 3 values), vertices (2 of 2 values) are not finite (NaN or infinity: the weights or the input overflow float32)');
});

test('values that JSON cannot print (cycles) still give a clean EstimateOptionsError', async () => {
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  await expect(createHandEstimator({ weights: bytes, hand: bytes, dtype: loop } as never)).rejects.toThrow(/dtype must be 'f32' or 'f16', got a non-array object/);
  await expect(createHandEstimator({ weights: bytes, hand: bytes, weightPrecision: 'f8' } as never)).rejects.toThrow(/weightPrecision must be 'f32' or 'f16', got 'f8'/);
  await expect(createHandEstimator({ weightPrecision: 16 } as never)).rejects.toThrow(/weightPrecision must be 'f32' or 'f16', got 16/);
  await expect(createHandEstimator({ numHands: loop } as never)).rejects.toThrow(/numHands must be an integer in 1..16, got a non-array object/);
  await expect(createHandEstimator({ smoothing: { beta: loop } } as never)).rejects.toThrow(/createHandEstimator: smoothing: One Euro filter: .*beta \[object Object\]/);
});
