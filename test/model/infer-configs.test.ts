// Issue #12: `hiu convert` + `hiu infer` accept every configuration the network page allows. The
// quoted case: stem width 10 (not a multiple of 4) with an identity first block, which `hiu infer`
// used to refuse ("an identity shortcut on a stem width (10) ... is not supported"). The fixture
// is config 00 of test/fixtures/hiu-configs (its goldens are PyTorch's); the property test over
// all of them, in both runtimes, is hiuConfigs.cases.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';
import { hiu } from './cli.ts';
import { relL2 } from './hiu.cases.ts';

const FIX = new URL('../fixtures/hiu-configs/00/', import.meta.url).pathname;
const ASSET = new URL('../../assets/hand-left.safetensors', import.meta.url).pathname;
const npy = (path: string) => readNpy(new Uint8Array(readFileSync(path)), path);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hiu-infer-configs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('hiu infer runs a stem width of 10 with an identity first block and matches PyTorch', async () => {
  const config = JSON.parse(readFileSync(join(FIX, 'config.json'), 'utf8'));
  expect(config.stem_widths[1]).toBe(10);
  expect(config.enc_channels[0]).toBe(10);
  const weights = join(dir, 'w.safetensors');
  const conv = await hiu('convert', join(FIX, 'model.pth'), '-o', weights, '--input-size', String(config.input_size));
  expect(conv.code, conv.stderr).toBe(0);
  // `hiu infer` takes a .npy as the already-scaled network input.
  const pixels = npy(join(FIX, 'input.npy'));
  const input = join(dir, 'input.npy');
  writeFileSync(input, writeNpy(Float32Array.from(pixels.data as ArrayLike<number>, (v) => v / 127.5 - 1), pixels.shape));
  const out = join(dir, 'out');
  const r = await hiu('infer', '--weights', weights, '--mano', ASSET, '--input', input, '--out', out);
  expect(r.code, r.stderr).toBe(0);
  const got = (name: string) => npy(join(out, `${name}.npy`)).data as Float32Array;
  const ref = (name: string) => npy(join(FIX, `${name}.npy`)).data as Float32Array;
  for (const [mine, theirs] of [['heatmaps', 'heatmaps'], ['pof', 'pof'], ['mask_logit', 'mask'], ['keypoints2d', 'keypoints2d']]) {
    expect(relL2(got(mine), ref(theirs)), mine).toBeLessThan(1e-4);
  }
  expect(relL2([...got('beta'), ...got('pose'), ...got('camera')], ref('coeffs'))).toBeLessThan(1e-4);
});
