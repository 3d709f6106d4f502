import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine, Graph, ShapeError, type Tensor, type WeightPrecision } from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { denseChain } from '../../src/kernels/denseChain.ts';
import { depthwiseConv2d } from '../../src/kernels/depthwiseConv2d.ts';
import { f16ToF32, f32ToF16, packF16Pairs } from '../../src/util/f16.ts';
import { makeRng, randomArray } from '../reference/cpu.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

/** Random weights already on the f16 grid, so both precisions compute the same values. */
function net(g: Graph): { x: Tensor; y: Tensor } {
  const rng = makeRng(5);
  const w = (n: number) => f16ToF32(f32ToF16(new Float32Array(randomArray(n, rng))));
  const x = g.input('x', [1, 8, 8, 3]);
  const a = conv2d(g, 'c1', x, { weight: w(8 * 3 * 9), outChannels: 8, kernel: 3, padding: 1, relu: true });
  const b = depthwiseConv2d(g, 'dw', a, { weight: w(8 * 9), kernel: 3, padding: 1, activation: 'relu6' });
  const c = conv2d(g, 'c2', b, { weight: w(8 * 8 * 9), outChannels: 8, kernel: 3, stride: 8, padding: 1 });
  const y = g.output(denseChain(g, 'mlp', c, [{ weight: w(8 * 16), relu: true }, { weight: w(16 * 5) }]));
  return { x, y };
}

async function runNet(p: WeightPrecision) {
  const g = new Graph({ weightPrecision: p });
  const { x, y } = net(g);
  const exe = await engine.compile(g);
  exe.writeNCHW(x, Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i)));
  await exe.run();
  const out = await exe.read(y);
  const memory = exe.memory();
  const engineMemory = engine.stats().memory;
  engine.release(exe);
  return { out, memory, engineMemory, plan: exe.plan.plannedBytes };
}

test('f16 weights: half the weight bytes, the same outputs for f16-representable weights, memory reported by kind', async () => {
  const f32 = await runNet('f32');
  const f16 = await runNet('f16');
  // conv 8x3x3x3 -> 9*1*8*4 floats, dw 9*8, conv 9*2*8*4, dense 8*16 + 16*8 (vec4-padded).
  const floats = 9 * 1 * 8 * 4 + 9 * 8 + 9 * 2 * 8 * 4 + (8 * 16 + 16 * 8);
  expect(f32.memory.weights).toBe(4 * floats);
  expect(f16.memory.weights).toBe(2 * floats);
  expect(f16.memory.constants).toBe(f32.memory.constants);
  expect(f16.memory.activations).toBe(f32.memory.activations);
  expect(f16.memory.activations).toBeGreaterThanOrEqual(f16.plan);
  expect(f16.memory.staging).toBe(8 * 4); // the read-back copy of the [1, 1, 1, 5] output (channels padded to 8)
  expect(f16.engineMemory.weights).toBe(f16.memory.weights); // the engine holds only this executable's
  expect(Array.from(f16.out)).toEqual(Array.from(f32.out));
  expect(f16.out.slice(0, 5).every(Number.isFinite)).toBe(true);
  // Nothing is left once released.
  expect(engine.stats().memory).toEqual({ weights: 0, constants: 0, activations: 0, staging: 0, other: 0 });
});

test('f16 packing: pairs in u32 words (low half first), round to nearest even, odd counts padded with 0', () => {
  const words = packF16Pairs(Float32Array.of(1, -2, 0.1, 65504, 1 + 2 ** -11), 'w');
  expect(words.length).toBe(3);
  expect(words[0]).toBe(((0xc000 << 16) | 0x3c00) >>> 0);
  // 0.1 rounds to 0x2e66; 1 + 2^-11 is a tie that rounds to the even 1.0 (0x3c00); the pad half is 0.
  expect(words[1]).toBe(((0x7bff << 16) | 0x2e66) >>> 0);
  expect(words[2]).toBe(0x3c00);
});

test('f16 weights: a value beyond the f16 range names the constant and the value; bad precision is rejected', () => {
  const g = new Graph({ weightPrecision: 'f16' });
  expect(() => g.scope('stem', () => g.weights('conv.weight', Float32Array.of(0, 70000)))).toThrow(/weights 'stem\.conv\.weight': value 70000 at index 1 is outside the f16 range/);
  // Infinity and NaN are kept as they are (the f32 path would carry them too).
  expect(() => g.weights('inf', Float32Array.of(Infinity))).not.toThrow();
  expect(() => new Graph({ weightPrecision: 'f8' as WeightPrecision })).toThrow(ShapeError);
  expect(new Graph().weights('w', Float32Array.of(70000)).dtype).toBe('f32');
});
