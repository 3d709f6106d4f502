import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  acquireDevice, DisposedError, Engine, EngineError, Graph, NoAdapterError, PipelineError, ShapeError, type Tensor,
} from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { makeRng, randomArray } from '../reference/cpu.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

function smallNet(g: Graph): { x: Tensor; y: Tensor } {
  const rng = makeRng(3);
  const w = (n: number) => new Float32Array(randomArray(n, rng));
  const x = g.input('x', [1, 8, 8, 3]);
  const a = conv2d(g, 'c1', x, { weight: w(8 * 3 * 9), outChannels: 8, kernel: 3, padding: 1, relu: true });
  const b = conv2d(g, 'c2', a, { weight: w(8 * 8 * 9), outChannels: 8, kernel: 3, stride: 2, padding: 1, relu: true });
  const c = conv2d(g, 'c3', b, { weight: w(8 * 8), outChannels: 8, kernel: 1, residual: b });
  const y = g.output(conv2d(g, 'c4', c, { weight: w(4 * 8 * 9), outChannels: 4, kernel: 3, padding: 1 }));
  return { x, y };
}

test('200 runs of one graph create no GPU objects and keep planned memory; release frees them', async () => {
  const before = engine.stats();
  const g = new Graph();
  const { x, y } = smallNet(g);
  const exe = await engine.compile(g);
  exe.writeNCHW(x, new Float32Array(3 * 64).fill(0.5));
  await exe.run();
  const first = await exe.read(y);
  const after1 = engine.stats();
  const planned = exe.plan.plannedBytes;
  for (let i = 0; i < 200; i++) await exe.run();
  const last = await exe.read(y);
  expect(engine.stats()).toEqual(after1);
  expect(exe.plan.plannedBytes).toBe(planned);
  expect(Array.from(last)).toEqual(Array.from(first));
  engine.release(exe);
  const released = engine.stats();
  expect({ ...released, pipelines: 0 }).toEqual({ ...before, pipelines: 0 });
  expect(() => exe.run()).toThrow(DisposedError);
});

test('profile times every dispatch by layer name', async () => {
  const g = new Graph();
  const { x } = g.scope('net', () => smallNet(g));
  const exe = await engine.compile(g);
  exe.writeNCHW(x, new Float32Array(3 * 64));
  const p = await exe.profile();
  expect(p.method).toBe(engine.ctx.features.timestampQuery ? 'timestamp-query' : 'per-dispatch-submit');
  expect(p.layers.map((l) => l.name)).toEqual(['net.c1', 'net.c2', 'net.c3', 'net.c4']);
  for (const l of p.layers) expect(l.ms).toBeGreaterThanOrEqual(0);
  expect(p.layers[0].flops).toBe(2 * 8 * 8 * 8 * 3 * 9);
  engine.release(exe);
});

test('readMany reads several tensors in one round trip, equal to reading each alone', async () => {
  const g = new Graph();
  const x = g.input('x', [1, 5, 3, 3]);
  const rng = makeRng(11);
  const a = g.output(conv2d(g, 'a', x, { weight: new Float32Array(randomArray(5 * 3, rng)), outChannels: 5, kernel: 1 }));
  const b = g.output(conv2d(g, 'b', x, { weight: new Float32Array(randomArray(2 * 3 * 9, rng)), outChannels: 2, kernel: 3, padding: 1 }));
  const exe = await engine.compile(g);
  exe.writeNCHW(x, new Float32Array(randomArray(3 * 15, rng)));
  await exe.run();
  const alone = [await exe.read(a), await exe.read(b), await exe.read(x)];
  const together = await exe.readMany([a, b, x, a]);
  expect(together.map((d) => Array.from(d))).toEqual([...alone, alone[0]].map((d) => Array.from(d)));
  expect(together[0]).not.toBe(together[3]); // callers may modify what they get
  engine.release(exe);
});

test('reading an intermediate tensor is refused: its buffer is shared', async () => {
  const g = new Graph();
  const x = g.input('x', [1, 4, 4, 4]);
  const mid = conv2d(g, 'a', x, { weight: new Float32Array(16), outChannels: 4, kernel: 1 });
  g.output(conv2d(g, 'b', mid, { weight: new Float32Array(16), outChannels: 4, kernel: 1 }));
  const exe = await engine.compile(g);
  expect(() => exe.read(mid)).toThrow(/only graph inputs and outputs/);
  engine.release(exe);
});

test('a shader that does not compile is a PipelineError naming the kernel and line', async () => {
  const g = new Graph();
  const y = g.tensor('y', [1, 1, 1, 4]);
  g.add('broken', {
    kernel: 'brokenKernel', key: 'k', workgroups: [1, 1, 1], flops: 0, bytes: 0,
    bindings: [{ tensor: y, access: 'write' }],
    wgsl: () => '@group(0) @binding(0) var<storage, read_write> Y: array<f32>;\n@compute @workgroup_size(1) fn main() { Y[0] = undefined_thing; }',
  });
  g.output(y);
  await expect(engine.compile(g)).rejects.toThrow(PipelineError);
  await expect(engine.compile(g)).rejects.toThrow(/brokenKernel[\s\S]*line 2/);
});

test('shape rules are enforced with messages naming the layer', () => {
  const g = new Graph();
  const x = g.input('x', [1, 4, 4, 3]);
  expect(() => conv2d(g, 'bad', x, { weight: new Float32Array(10), outChannels: 4, kernel: 3 })).toThrow(ShapeError);
  expect(() => conv2d(g, 'bad', x, { weight: new Float32Array(10), outChannels: 4, kernel: 3 })).toThrow(/'bad'.*\[4, 3, 3, 3\]/);
  expect(() => conv2d(g, 'tiny', x, { weight: new Float32Array(4 * 3 * 49), outChannels: 4, kernel: 7 })).toThrow(/smaller than kernel/);
  expect(() => g.channelView(g.tensor('c', [1, 4, 4, 8]), 2, 4)).toThrow(/multiple of 4/);
  expect(() => g.tensor('neg', [1, 0, 4, 4])).toThrow(ShapeError);
});

test('no adapter is a NoAdapterError with a hint', async () => {
  const fakeGpu = { requestAdapter: async () => null } as unknown as GPU;
  await expect(acquireDevice({ gpu: fakeGpu })).rejects.toThrow(NoAdapterError);
  await expect(acquireDevice({ gpu: fakeGpu })).rejects.toThrow(/VK_ICD_FILENAMES/);
});

test('a lost device makes later calls fail clearly, and dispose frees everything', async () => {
  const own = await Engine.create();
  const g = new Graph();
  const { x } = smallNet(g);
  const exe = await own.compile(g);
  exe.writeNCHW(x, new Float32Array(3 * 64));
  await exe.run();
  own.device.destroy();
  const lost = await own.ctx.lost;
  expect(lost).toBeInstanceOf(EngineError);
  expect(() => exe.run()).toThrow(/device was lost/);
  own.dispose();
  expect(own.stats()).toEqual({ buffers: 0, bufferBytes: 0, querySets: 0, bindGroups: 0, pipelines: 0, memory: { weights: 0, constants: 0, activations: 0, staging: 0, other: 0 } });
  await expect(own.compile(new Graph())).rejects.toThrow(DisposedError);
});
