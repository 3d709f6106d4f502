// Honest results and lifecycle of the embedding API in Node (Dawn), on the small HIU-DMTL
// fixture and the lite MediaPipe models (issue #12): weights or inputs that overflow float32 are
// reported, never passed off as confident results, and `hiu infer` exits non-zero on them;
// device loss is a DeviceLostError from every call of both families, and a new estimator works
// afterwards; typos in options and boxes off the image are EstimateOptionsErrors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHandEstimator, DeviceLostError, EstimateOptionsError, type HandEstimator } from '../../src/index.ts';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';
import { loadWeights, writeNpy, writeSafetensors } from '../../src/weights/index.ts';
import { main } from '../../tools/convert/hiu.ts';

const FIX = new URL('../fixtures/hiu-small/', import.meta.url).pathname;
const ASSET = new URL('../../assets/hand-left.safetensors', import.meta.url).pathname;
const hand = new Uint8Array(readFileSync(ASSET));
let weights: Uint8Array;
let dir: string;

/** The small fixture's weights with every entry of the last regressor layer set to 3e38 (finite, but the coefficients overflow). */
async function overflowingWeights(): Promise<Uint8Array> {
  const w = await loadWeights(weights);
  const bad = w.tensors.get('regressor.2.3.0.weight');
  expect(bad, 'the small fixture has this regressor layer').toBeDefined();
  bad!.data.fill(3e38);
  return writeSafetensors([...w.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), w.metadata);
}

/** A 64 x 64 test picture (gradients) as a texture of `format` on `device`; `value` overrides every channel (float formats). */
function picture(device: GPUDevice, format: 'rgba8unorm' | 'rgba32float' = 'rgba8unorm', value?: number): GPUTexture {
  const S = 64;
  const t = device.createTexture({ size: [S, S], format, usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
  const px = new Float32Array(S * S * 4).map((_, i) => value ?? ((i % 4 === 3 ? 1 : ((i >> 2) % S) / S + (i % 4) * 0.2) % 1));
  if (format === 'rgba8unorm') device.queue.writeTexture({ texture: t }, Uint8Array.from(px, (v) => v * 255), { bytesPerRow: S * 4 }, [S, S]);
  else device.queue.writeTexture({ texture: t }, px, { bytesPerRow: S * 16 }, [S, S]);
  return t;
}

async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr: chunks.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

beforeAll(async () => {
  weights = (await convertCheckpointBytes(new Uint8Array(readFileSync(join(FIX, 'plain.zip.pth'))), 'plain.zip.pth', { inputSize: 64 })).bytes;
  dir = mkdtempSync(join(tmpdir(), 'hiu-lifecycle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HIU-DMTL: a weight of 3e38, then device loss, then a new estimator', () => {
  let healthy: HandEstimator | undefined;
  afterAll(() => healthy?.dispose());

  test('a weight of 3e38: the result says which outputs are not finite and no keypoint is confident', async () => {
    // Held as f16 it cannot be stored at all: the error names the layer and the value.
    await expect(createHandEstimator({ weights: await overflowingWeights(), hand, weightPrecision: 'f16' })).rejects.toThrow(
      /^weights: weights 'hiu\.regressor[^']*': value 3\.0000000\d*e\+38 at index \d+ is outside the f16 range/,
    );
    const est = await createHandEstimator({ weights: await overflowingWeights(), hand });
    const tex = picture(est.device);
    const r = await est.estimate(tex, { hand: 'left' });
    expect(r.nonFinite).toMatch(/vertices \(\d+ of 2334 values\).* not finite/);
    expect(r.nonFinite).toMatch(/coefficients/);
    expect(r.keypoints.every((k) => !k.confident)).toBe(true);
    const [h] = await est.estimateHands(tex);
    expect(h.nonFinite).toBe(r.nonFinite);

    // Device loss (destroy() simulates it): every call is a DeviceLostError in API words.
    const inFlight = est.estimate(tex, { hand: 'left' });
    est.device.destroy();
    await expect(inFlight).rejects.toThrow(DeviceLostError);
    for (const call of [() => est.estimate(tex, { hand: 'right' }), () => est.estimateHands(tex), () => est.profile()]) {
      const e = await call().then(() => null, (x: unknown) => x as Error);
      expect(e).toBeInstanceOf(DeviceLostError);
      expect(e!.name).toBe('DeviceLostError');
      expect(e!.message).toMatch(/device was lost \(destroyed[^)]*\); .*create a new estimator with createHandEstimator\(\)/);
      expect(e!.message).not.toMatch(/engine/);
    }
    await est.dispose(); // still resolves, and frees everything
    expect(est.stats().buffers).toBe(0);
  });

  test('after the loss a new estimator works: finite results; an input of 1e30 is reported', async () => {
    healthy = await createHandEstimator({ weights, hand });
    const tex = picture(healthy.device);
    const r = await healthy.estimate(tex, { hand: 'left' });
    expect(r.nonFinite).toBeNull();
    expect(r.vertices!.every(Number.isFinite)).toBe(true);
    const huge = picture(healthy.device, 'rgba32float', 1e30);
    const bad = await healthy.estimate(huge, { hand: 'left' });
    expect(bad.nonFinite).toMatch(/not finite/);
    expect(bad.keypoints.every((k) => !k.confident)).toBe(true);
    huge.destroy();
    tex.destroy();
  });

  test('typos in options and boxes entirely outside the image are EstimateOptionsErrors', async () => {
    const est = healthy!;
    const tex = picture(est.device);
    await expect(est.estimate(tex, { hand: 'left', boxx: { x: 0, y: 0, w: 8, h: 8 } } as never)).rejects.toThrow(/estimate\(\): unknown option 'boxx'/);
    await expect(est.estimate(tex, { hand: 'left', box: { x: 64, y: 0, w: 8, h: 8 } })).rejects.toThrow(EstimateOptionsError);
    await expect(est.estimate(tex, { hand: 'left', box: { x: -100, y: -100, w: 50, h: 50 } })).rejects.toThrow(/lies entirely outside the 64x64 image/);
    await expect(est.estimateHands(tex, { hands: 'left' } as never)).rejects.toThrow(/unknown option 'hands'/);
    const ok = await est.estimate(tex, { hand: 'left', box: { x: 60, y: 60, w: 8, h: 8 } }); // partly inside: fine
    expect(ok.nonFinite).toBeNull();
    tex.destroy();
  });
});

describe('hiu infer', () => {
  test('an input of 1e30 gives non-finite outputs: exit 1 and a line naming them', async () => {
    const w = join(dir, 'small.safetensors');
    writeFileSync(w, weights);
    const input = join(dir, 'huge.npy');
    writeFileSync(input, writeNpy(new Float32Array(3 * 64 * 64).fill(1e30), [1, 3, 64, 64]));
    const r = await cli('infer', '--weights', w, '--mano', ASSET, '--input', input, '--out', join(dir, 'out'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/hiu infer: the results are not usable: .*vertices .*not finite/);
    expect(JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')).nonFinite).toMatch(/vertices/);
  });
});

describe('MediaPipe (lite): device loss', () => {
  test('estimateHands() and profile() reject with DeviceLostError; dispose() resolves', async () => {
    const est = await createHandEstimator({ model: 'lite', numHands: 1, mesh: false });
    const tex = picture(est.device);
    const hands = await est.estimateHands(tex);
    for (const h of hands) expect(h.nonFinite).toBeNull();
    est.device.destroy();
    await expect(est.estimateHands(tex)).rejects.toThrow(DeviceLostError);
    await expect(est.estimateHands(tex)).rejects.toThrow(/create a new estimator with createHandEstimator\(\)/);
    await expect(est.profile()).rejects.toThrow(DeviceLostError);
    await est.dispose();
    expect(est.stats().buffers).toBe(0);
  });
});
