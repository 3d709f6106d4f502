// kernelVariants in the embedding API (Node, Dawn), on the small HIU-DMTL fixture: a forced
// conv2d variant runs in every conv layer and gives the default's results; 'measure' times
// variants at creation (creation.tuneMs) and profile() names the variant of each layer.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createHandEstimator, EstimateOptionsError, formatCreation, type HandEstimate, type HandEstimator, type HandEstimatorOptions } from '../../src/index.ts';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';

const FIX = new URL('../fixtures/hiu-small/', import.meta.url).pathname;
const hand = new Uint8Array(readFileSync(new URL('../../assets/hand-left.safetensors', import.meta.url).pathname));
let weights: Uint8Array;
const made: HandEstimator[] = [];

beforeAll(async () => {
  weights = (await convertCheckpointBytes(new Uint8Array(readFileSync(`${FIX}plain.zip.pth`)), 'plain.zip.pth', { inputSize: 64 })).bytes;
});
afterAll(async () => {
  for (const e of made) await e.dispose();
});

async function estimator(kernelVariants?: HandEstimatorOptions['kernelVariants']) {
  const e = (await createHandEstimator({ weights, hand, kernelVariants })) as HandEstimator;
  made.push(e);
  return e;
}

/** A 64 x 64 gradient picture as a texture on the estimator's device. */
function picture(device: GPUDevice): GPUTexture {
  const S = 64;
  const t = device.createTexture({ size: [S, S], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
  const px = Uint8Array.from({ length: S * S * 4 }, (_, i) => (i % 4 === 3 ? 255 : (((i >> 2) % S) * 4 + (i % 4) * 50 + (i >> 8)) % 256));
  device.queue.writeTexture({ texture: t }, px, { bytesPerRow: S * 4 }, [S, S]);
  return t;
}

async function run(e: HandEstimator): Promise<HandEstimate> {
  const tex = picture(e.device);
  try {
    return await e.estimate(tex, { hand: 'left' });
  } finally {
    tex.destroy();
  }
}

function expectSame(a: HandEstimate, b: HandEstimate): void {
  const d = (x: ArrayLike<number>, y: ArrayLike<number>) => Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
  expect(d(a.keypoints.flatMap((k) => [k.x, k.y]), b.keypoints.flatMap((k) => [k.x, k.y]))).toBeLessThan(1e-3);
  expect(d(a.pose, b.pose)).toBeLessThan(1e-4);
  expect(d(a.heatmaps, b.heatmaps)).toBeLessThan(1e-4);
  expect(d(a.vertices!, b.vertices!)).toBeLessThan(1e-4);
}

test('kernelVariants { conv2d: tiled } runs the tiled conv everywhere, with the default results; measure times them at creation', async () => {
  const base = await run(await estimator());
  const tiled = await estimator({ conv2d: 'tiled' });
  expectSame(await run(tiled), base);
  const p = await tiled.profile();
  const convs = p.layers.filter((l) => l.kernel === 'conv2d');
  expect(convs.length).toBeGreaterThan(100);
  expect(new Set(convs.map((l) => l.variant))).toEqual(new Set(['tiled']));
  expect(tiled.creation.tuneMs).toBe(0);

  const measured = await estimator('measure');
  expectSame(await run(measured), base);
  expect(measured.creation.tuneMs).toBeGreaterThan(0);
  expect(formatCreation(measured.creation)).toMatch(/compile [\d.]+ s \(variant timing [\d.]+\)/);
  const m = await measured.profile();
  for (const l of m.layers.filter((x) => x.kernel === 'conv2d')) expect(['blocked', 'tiled']).toContain(l.variant);
});

test('kernelVariants is checked before any work', async () => {
  await expect(createHandEstimator({ weights, hand, kernelVariants: 'fastest' as never })).rejects.toThrow(EstimateOptionsError);
  await expect(createHandEstimator({ weights, hand, kernelVariants: 'fastest' as never })).rejects.toThrow(/kernelVariants: expected 'auto', 'measure', 'default' or \{ op: variant \}, got "fastest"/);
  await expect(createHandEstimator({ kernelVariants: { conv2d: 7 } as never })).rejects.toThrow(/createHandEstimator: kernelVariants: expected/);
  // A variant the op does not have: named with the ones it has.
  await expect(createHandEstimator({ weights, hand, kernelVariants: { conv2d: 'winograd' } })).rejects.toThrow(/conv2d has no variant 'winograd' \(it has blocked, tiled\)/);
});
