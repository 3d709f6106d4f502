// `hiu infer` end to end (Node): the committed small checkpoint, converted, run on the committed
// input, read back from the .npy files it writes, against the PyTorch reference.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mirrorMaps } from '../../src/model/preprocess.ts';
import { loadManoAsset } from '../../src/weights/mano.ts';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';
import { convertFile } from '../../tools/convert/convert.ts';
import { main } from '../../tools/convert/hiu.ts';
import { manoForward } from '../reference/mano.ts';
import { relL2 } from './hiu.cases.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const ASSET = new URL('../../assets/hand-left.safetensors', import.meta.url).pathname;
let dir: string;
let weights: string;
const read = (d: string, name: string) => readNpy(new Uint8Array(readFileSync(join(d, `${name}.npy`))), name);
const ref = (name: string) => readNpy(new Uint8Array(readFileSync(join(FIX, 'hiu-small', `${name}.npy`))), name).data as Float32Array;

async function infer(out: string, input: string, ...extra: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['infer', '--weights', weights, '--mano', ASSET, '--input', input, '--out', out, ...extra]);
    return { code, stderr: chunks.join('') };
  } finally {
    process.stderr.write = orig;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hiu-infer-'));
  weights = join(dir, 'small.safetensors');
  await convertFile(join(FIX, 'hiu-small', 'plain.zip.pth'), weights, { inputSize: 64 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hiu infer', () => {
  test('reproduces the PyTorch reference from its .npy outputs; MANO matches the float64 math', async () => {
    const out = join(dir, 'left');
    const r = await infer(out, join(FIX, 'hiu-small', 'input.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      ['beta', 'camera', 'heatmaps', 'joints2d', 'joints3d', 'keypoints2d', 'mask_logit', 'mask_prob', 'pof', 'pose', 'vertices'].map((n) => `${n}.npy`).concat('result.json').sort(),
    );
    const hm = read(out, 'heatmaps');
    expect(hm.shape).toEqual([1, 21, 16, 16]);
    expect(relL2(hm.data as Float32Array, ref('stack1_heatmaps'))).toBeLessThan(1e-4);
    expect(relL2(read(out, 'pof').data as Float32Array, ref('stack1_pof'))).toBeLessThan(1e-4);
    expect(relL2(read(out, 'mask_logit').data as Float32Array, ref('stack1_mask'))).toBeLessThan(1e-4);
    expect(relL2(read(out, 'keypoints2d').data as Float32Array, ref('keypoints2d'))).toBeLessThan(1e-4);
    const coeffs = ref('stack1_coeffs');
    const beta = read(out, 'beta').data as Float32Array;
    const pose = read(out, 'pose').data as Float32Array;
    const camera = read(out, 'camera').data as Float32Array;
    expect(relL2([...beta, ...pose, ...camera], coeffs)).toBeLessThan(1e-4);
    // MANO from the coefficients the CLI wrote, in float64, with the same hand asset.
    const m = manoForward(await loadManoAsset(ASSET), beta, pose, camera);
    const v = read(out, 'vertices');
    expect(v.shape).toEqual([778, 3]);
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(b, (x, i) => Math.abs(a[i] - x)));
    expect(maxDiff(v.data as Float32Array, m.vertices)).toBeLessThan(1e-5);
    expect(maxDiff(read(out, 'joints3d').data as Float32Array, m.joints3d)).toBeLessThan(1e-5);
    expect(maxDiff(read(out, 'joints2d').data as Float32Array, m.joints2d)).toBeLessThan(1e-5);
    const json = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(json.keypoints).toHaveLength(21);
    expect(json.hand).toBe('left');
    expect(json.timingsMs.run).toBeGreaterThan(0);
  });

  test('--right on a mirrored input gives the mirrored left-hand result', async () => {
    const x = readNpy(new Uint8Array(readFileSync(join(FIX, 'hiu-small', 'input.npy'))), 'input');
    const mirrored = Float32Array.from(x.data as Float32Array);
    mirrorMaps(mirrored, x.shape as [number, number, number, number]);
    const input = join(dir, 'mirrored.npy');
    writeFileSync(input, writeNpy(mirrored, x.shape));
    const out = join(dir, 'right');
    expect((await infer(out, input, '--right')).code).toBe(0);
    const left = join(dir, 'left');
    const hmL = read(left, 'heatmaps');
    const hmR = read(out, 'heatmaps').data as Float32Array;
    expect(Array.from(hmR)).toEqual(Array.from(mirrorMaps(Float32Array.from(hmL.data as Float32Array), hmL.shape as [number, number, number, number])));
    const vL = read(left, 'vertices').data as Float32Array;
    const vR = read(out, 'vertices').data as Float32Array;
    expect(Array.from(vR)).toEqual(Array.from(vL, (val, i) => (i % 3 === 0 ? -val : val)));
    const kL = read(left, 'keypoints2d').data as Float32Array;
    const kR = read(out, 'keypoints2d').data as Float32Array;
    for (let k = 0; k < 21; k++) expect(kR[3 * k + 1]).toBeCloseTo(15 - kL[3 * k + 1], 5);
  });

  test('takes a PNG image: centre crop, resize, BGR', async () => {
    const png = new PNG({ width: 90, height: 70 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256;
    const input = join(dir, 'hand.png');
    writeFileSync(input, PNG.sync.write(png));
    const out = join(dir, 'png');
    const r = await infer(out, input);
    expect(r.code, r.stderr).toBe(0);
    expect(read(out, 'heatmaps').shape).toEqual([1, 21, 16, 16]);
    expect(Array.from(read(out, 'vertices').data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  const bad = async (label: string, input: string, pattern: RegExp, extra: string[] = []) => {
    const out = join(dir, `bad-${label}`);
    const r = await infer(out, input, ...extra);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary folder left
  };

  test('bad inputs give clear errors and no output', async () => {
    await bad('missing', join(dir, 'nope.png'), /--input .*nope\.png: no such file/);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, writeNpy(new Float32Array(3 * 60 * 60), [1, 3, 60, 60]));
    await bad('shape', wrong, /shape \[1, 3, 60, 60\].*multiple of 32/);
    const nan = new Float32Array(3 * 64 * 64);
    nan[77] = NaN;
    const nanFile = join(dir, 'nan.npy');
    writeFileSync(nanFile, writeNpy(nan, [1, 3, 64, 64]));
    await bad('nan', nanFile, /NaN at flat index 77 is not finite/);
    const notImage = join(dir, 'garbage.png');
    writeFileSync(notImage, 'not a png');
    await bad('decode', notImage, /cannot decode as PNG/);
    // A detector checkpoint passed as HIU-DMTL weights.
    const det = join(dir, 'det.safetensors');
    await convertFile(join(FIX, 'detector-small', 'module.zip.pth'), det, {});
    const saved = weights;
    weights = det;
    try {
      await bad('arch', join(FIX, 'hiu-small', 'input.npy'), /hand-detector|architecture/);
    } finally {
      weights = saved;
    }
  });
});
