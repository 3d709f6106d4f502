// Engine lifecycle in Node (Dawn): one Dawn instance per process, repeated create/dispose within
// a stated RSS bound, and device loss as a DeviceLostError.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { DeviceLostError, Engine, Graph } from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { loadDawn } from '../../src/platform/node.ts';

/**
 * RSS growth allowed over 20 create/compile/run/dispose cycles after a warm-up: 3 MB a cycle,
 * against the 65 MB a cycle issue #12 measured. On SwiftShader (2 cores) it measured 0-30 MB in
 * all for 20 cycles, settling after 10-25 cycles (native allocator arenas); the JS heap stays flat.
 */
const RSS_BOUND_MB = 60;
const CYCLES = 20;
const WARM_UP = 3;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function cycle(): Promise<void> {
  const engine = await Engine.create();
  const g = new Graph();
  const x = g.input('x', [1, 32, 32, 4]);
  let y = x;
  for (let k = 0; k < 3; k++) y = conv2d(g, `c${k}`, y, { weight: new Float32Array(4 * 4 * 9).fill(0.01 * (k + 1)), outChannels: 4, kernel: 3, padding: 1, relu: k !== 1 });
  g.output(y);
  const exe = await engine.compile(g);
  await exe.run();
  await exe.read(y);
  engine.dispose();
  expect(engine.stats()).toEqual({ buffers: 0, bufferBytes: 0, querySets: 0, bindGroups: 0, pipelines: 0 });
}

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss / 2 ** 20;
}

test('the Dawn GPU object is made once per process', async () => {
  expect(await loadDawn()).toBe(await loadDawn());
});

test(`${CYCLES} engine create/compile/run/dispose cycles grow RSS by less than ${RSS_BOUND_MB} MB`, async () => {
  // Warm-up: Dawn, SwiftShader and the shader compiler load; the allocators' arenas grow.
  for (let i = 0; i < WARM_UP; i++) await cycle();
  const before = await settledRss();
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) await cycle();
  const after = await settledRss();
  console.log(`[lifecycle] ${CYCLES} cycles: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB, ${((performance.now() - t0) / CYCLES).toFixed(0)} ms a cycle`);
  expect(after - before).toBeLessThan(RSS_BOUND_MB);
});

test('a lost device is a DeviceLostError from run, read and compile', async () => {
  const engine = await Engine.create();
  const g = new Graph();
  const x = g.input('x', [1, 4, 4, 4]);
  const y = g.output(conv2d(g, 'c', x, { weight: new Float32Array(16), outChannels: 4, kernel: 1 }));
  const exe = await engine.compile(g);
  engine.device.destroy();
  await engine.ctx.lost;
  expect(engine.ctx.lossReason()?.reason).toBe('destroyed');
  expect(() => exe.run()).toThrow(DeviceLostError);
  expect(() => exe.read(y)).toThrow(/device was lost \(destroyed\)/);
  await expect(engine.compile(new Graph())).rejects.toThrow(DeviceLostError);
  engine.dispose();
});
