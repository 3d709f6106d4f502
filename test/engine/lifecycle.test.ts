// Engine lifecycle in Node (Dawn): one Dawn instance per process, and device loss as a
// DeviceLostError. RSS over repeated create/dispose: test/api/rss.test.ts.
import { expect, test } from 'vitest';
import { DeviceLostError, Engine, Graph } from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { loadDawn } from '../../src/platform/node.ts';

test('the Dawn GPU object is made once per process', async () => {
  expect(await loadDawn()).toBe(await loadDawn());
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
