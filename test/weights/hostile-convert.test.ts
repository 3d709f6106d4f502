/** Conversion refuses non-finite weights unless asked, and the CLI prints hostile names harmlessly. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';
import { bufferSource } from '../../src/weights/source.ts';
import { TorchCheckpoint, type TensorRef } from '../../src/weights/pth.ts';
import { fixture, listDir, tempDir } from './helpers.ts';
import { cleanFailure } from './hostileHelpers.ts';
import { memoDoubled, Pk, pkl, zipArchive, zipCheckpoint } from './checkpointBuilder.ts';

const plain = new Uint8Array(readFileSync(fixture('hiu-small', 'plain.zip.pth')));

/** The fixture with element 0 of `key`'s view set to `value` (re-zipped, CRCs true). */
async function withValue(key: string, value: number): Promise<Uint8Array> {
  const ck = await TorchCheckpoint.open(bufferSource(plain, 'p.pth'));
  const t = (ck.root as Map<string, TensorRef>).get(key)!;
  const files = unzipSync(plain);
  const name = `plain.zip/data/${t.storage.key}`;
  const data = files[name].slice();
  new DataView(data.buffer).setFloat32(4 * t.offset, value, true);
  return zipArchive(Object.entries(files).map(([n, d]) => ({ name: n, data: n === name ? data : d })));
}

describe('non-finite weights', () => {
  it.each([NaN, Infinity])('a %s weight is an error naming the tensor; allowNonFinite keeps it', async (v) => {
    const bytes = await withValue('stem.0.0.weight', v);
    const e = await cleanFailure(() => convertCheckpointBytes(bytes, 'nan.pth'), "nan.pth: tensor 'stem.0.0.weight' has 1 non-finite values");
    expect(e.message).toContain(`first: ${v} at index 0`);
    const { result } = await convertCheckpointBytes(bytes, 'nan.pth', { allowNonFinite: true });
    expect(result.tensors).toBeGreaterThan(100);
  });
  it('f16 overflow (a value past 65504) is an error when converting to f16, unless allowed', async () => {
    const bytes = await withValue('stem.0.0.weight', 1e6);
    await cleanFailure(() => convertCheckpointBytes(bytes, 'big.pth', { dtype: 'f16' }), /big\.pth: tensor 'stem\.0\.0\.weight' has 1 values beyond the f16 range/);
    const warnings: string[] = [];
    await convertCheckpointBytes(bytes, 'big.pth', { dtype: 'f16', allowNonFinite: true, onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/1 values exceed the f16 range/);
    await convertCheckpointBytes(bytes, 'big.pth'); // f32 holds it
  });
});

describe('hiu convert on hostile files (end to end)', () => {
  const root = resolve(__dirname, '../..');
  const hiu = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools/convert/hiu.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

  it('a GLOBAL name that tries to fake a success line is printed escaped; exit 1, no output', () => {
    const dir = tempDir();
    const input = join(dir, 'evil.pth');
    const fake = '\r\x1b[2K wrote out.safetensors: hiu-dmtl, 839 tensors\n';
    writeFileSync(input, zipCheckpoint(pkl(Pk.global('os', `system${fake}`))));
    const r = hiu('convert', input, '-o', join(dir, 'out.safetensors'));
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/[\r\x1b]/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/hiu convert: error: unsafe pickle global 'os\.system\\x0d\\x1b\[2K wrote out\.safetensors/);
    expect(listDir(dir)).toEqual(['evil.pth']);
  });
  it('a NaN weight: refused with one line, converted with --allow-non-finite', async () => {
    const dir = tempDir();
    const input = join(dir, 'nan.pth');
    writeFileSync(input, await withValue('stem.0.0.weight', NaN));
    const refused = hiu('convert', input, '-o', join(dir, 'out.safetensors'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/(^|\n)hiu convert: error: .*nan\.pth: tensor 'stem\.0\.0\.weight' has 1 non-finite values .*--allow-non-finite\)\n$/);
    expect(listDir(dir)).toEqual(['nan.pth']);
    const allowed = hiu('convert', input, '-o', join(dir, 'out.safetensors'), '--allow-non-finite');
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(listDir(dir).sort()).toEqual(['nan.pth', 'out.safetensors']);
  });
  it('a memo-doubled key fails at once with one line', () => {
    const dir = tempDir();
    const input = join(dir, 'bomb.pth');
    writeFileSync(input, zipCheckpoint(pkl(Pk.dict([[memoDoubled(40), Pk.none]]))));
    const t0 = performance.now();
    const r = hiu('convert', input, '-o', join(dir, 'out.safetensors'));
    expect(performance.now() - t0).toBeLessThan(15_000); // mostly node + tsx start-up; the refusal itself takes milliseconds
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hiu convert: error: .*bomb\.pth: pickle: a value expands to more than \d+ nodes .*\n$/);
  });
});
