// Issue #12: repeated createHandEstimator()/dispose() in Node must hold RSS flat. The cycles use
// the one-stack configuration fixture (hiu-configs/00, 93 dispatches, ~6 s a cycle here). Measured
// on Dawn + SwiftShader (2 cores): with createComputePipelineAsync each cycle kept about 30 MB
// (309 -> 558 MB over 8 cycles, JS heap flat); with the synchronous build Node now uses
// (src/engine/pipelines.ts) RSS stays flat (20 cycles of the small fixture: 254 -> 272 MB).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { createHandEstimator } from '../../src/index.ts';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';

/** RSS growth allowed over CYCLES create/estimate/dispose cycles after WARM_UP ones: 5 MB a cycle (it was about 30). */
const RSS_BOUND_MB = 100;
const CYCLES = 20;
const WARM_UP = 3;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss / 2 ** 20;
}

test(`${CYCLES} createHandEstimator/estimate/dispose cycles grow RSS by less than ${RSS_BOUND_MB} MB`, async () => {
  const fixture = new URL('../fixtures/hiu-configs/00/model.pth', import.meta.url).pathname;
  const weights = (await convertCheckpointBytes(new Uint8Array(readFileSync(fixture)), 'model.pth')).bytes;
  const hand = new Uint8Array(readFileSync(new URL('../../assets/hand-left.safetensors', import.meta.url).pathname));
  const cycle = async () => {
    const est = await createHandEstimator({ weights, hand });
    const tex = est.device.createTexture({ size: [32, 32], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
    expect((await est.estimate(tex, { hand: 'left' })).nonFinite).toBeNull();
    tex.destroy();
    await est.dispose();
    expect(est.stats().buffers).toBe(0);
  };
  for (let i = 0; i < WARM_UP; i++) await cycle();
  const before = await settledRss();
  const t0 = performance.now();
  for (let i = 0; i < CYCLES; i++) await cycle();
  const after = await settledRss();
  console.log(`[rss] ${CYCLES} estimator cycles: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB, ${((performance.now() - t0) / CYCLES / 1000).toFixed(1)} s a cycle`);
  expect(after - before).toBeLessThan(RSS_BOUND_MB);
}, 900_000);
