/** `hiu convert` end to end: every fixture variant converts and loads to the reference tensors. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../../tools/convert/convert.ts';
import { loadWeights } from '../../src/weights/loader.ts';
import { f16ToF32, f32ToF16 } from '../../src/weights/dtype.ts';
import type { DetectorConfig, HiuConfig } from '../../src/weights/config.ts';
import { fixture, listDir, npy, readJson, sha256F32, tempDir } from './helpers.ts';

type Checksums = Record<string, { shape: number[]; sha256: string }>;

/** Checkpoint key -> engine key; the K regressor copies map to one `regressor.*` (their hashes must agree). */
function engineChecksums(state: Checksums): Map<string, { shape: number[]; sha256: string }> {
  const out = new Map<string, { shape: number[]; sha256: string }>();
  for (const [k, v] of Object.entries(state)) {
    const key = k.replace(/^regressors\.\d+\./, 'regressor.');
    const prev = out.get(key);
    if (prev) expect(prev.sha256, `${k} is a copy of the shared regressor`).toBe(v.sha256);
    out.set(key, v);
  }
  return out;
}

const HIU_VARIANTS = ['plain.zip.pth', 'model.legacy.pth', 'module.wrapped.zip.pth'];

describe.each(HIU_VARIANTS)('HIU-DMTL small: %s', (file) => {
  it('converts (f32) and loads bit for bit equal to the reference, with the right config', async () => {
    const dir = tempDir();
    const out = join(dir, 'w.safetensors');
    const result = await convertFile(fixture('hiu-small', file), out);
    expect(listDir(dir)).toEqual(['w.safetensors']);
    const w = await loadWeights(out);
    const py = readJson<Record<string, unknown>>('hiu-small', 'config.json');
    const c = w.config as HiuConfig;
    expect(c).toEqual(result.config);
    expect(c).toMatchObject({
      architecture: 'hiu-dmtl', stacks: py.stacks, stemWidths: py.stem_widths, encoderChannels: py.enc_channels,
      encoderBlocks: py.enc_blocks, minPlane: py.min_plane, decoderWidth: py.dec_width, tamWidth: py.tam_width,
      heads: { heatmaps: 21, pof: 63, mask: 1 }, regressorChannels: py.reg_channels, regressorBlocks: py.reg_blocks,
      regressorMlp: py.reg_mlp, regressorOutputs: 61,
    });
    expect(c.midWidths).toBeUndefined();
    expect(w.metadata).toMatchObject({ format: 'hiu-weights', format_version: '1', architecture: 'hiu-dmtl', dtype: 'f32' });
    expect(w.metadata.source_sha256).toMatch(/^[0-9a-f]{64}$/);
    const want = engineChecksums(readJson<Checksums>('hiu-small', 'state.json'));
    expect([...w.tensors.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, ref] of want) {
      const t = w.tensors.get(key)!;
      expect(t.shape, key).toEqual(ref.shape);
      expect(sha256F32(t.data), key).toBe(ref.sha256);
    }
    // Spot values, readable when they differ.
    const rv = npy('hiu-small', 'tensor_stem_0_1_running_var.npy');
    expect(Array.from(w.tensors.get('stem.0.1.running_var')!.data)).toEqual(Array.from(rv.data));
  });
});

describe('f16 storage', () => {
  it('converts with --dtype f16 and loads within f16 rounding (exactly the f16 rounding of the f32 values)', async () => {
    const dir = tempDir();
    await convertFile(fixture('hiu-small', 'plain.zip.pth'), join(dir, 'a.safetensors'));
    await convertFile(fixture('hiu-small', 'module.wrapped.zip.pth'), join(dir, 'h.safetensors'), { dtype: 'f16' });
    const f32 = await loadWeights(join(dir, 'a.safetensors'));
    const f16 = await loadWeights(join(dir, 'h.safetensors'));
    expect(f16.metadata.dtype).toBe('f16');
    const dataBytes = (f: string) => {
      const b = readFileSync(join(dir, f));
      return b.length - 8 - Number(b.readBigUInt64LE(0));
    };
    const numel = [...f32.tensors.values()].reduce((n, t) => n + t.data.length, 0);
    expect(dataBytes('a.safetensors')).toBe(4 * numel);
    expect(dataBytes('h.safetensors')).toBe(2 * numel);
    for (const [key, t] of f32.tensors) {
      const h = f16.tensors.get(key)!;
      expect(h.dtype).toBe('f16');
      expect(Array.from(h.data), key).toEqual(Array.from(f16ToF32(f32ToF16(t.data))));
      for (let i = 0; i < t.data.length; i++) {
        const tol = Math.max(Math.abs(t.data[i]) * 2 ** -11, 2 ** -25);
        if (Math.abs(h.data[i] - t.data[i]) > tol) throw new Error(`${key}[${i}]: ${h.data[i]} vs ${t.data[i]}`);
      }
    }
  });
});

describe('hand detector', () => {
  it('converts the module.-prefixed checkpoint and loads bit for bit', async () => {
    const dir = tempDir();
    const out = join(dir, 'det.safetensors');
    await convertFile(fixture('detector-small', 'module.zip.pth'), out);
    const w = await loadWeights(out, { architecture: 'hand-detector' });
    const py = readJson<Record<string, unknown>>('detector-small', 'config.json');
    expect(w.config as DetectorConfig).toMatchObject({
      architecture: 'hand-detector', stemWidth: py.stem_width, stageWidths: py.widths, stageBlocks: py.blocks, headWidths: py.head, outputs: 5,
    });
    expect(w.metadata.source_key_prefix).toBe('module.');
    const want = readJson<Checksums>('detector-small', 'state.json');
    expect(w.tensors.size).toBe(Object.keys(want).length);
    for (const [key, ref] of Object.entries(want)) expect(sha256F32(w.tensors.get(key)!.data), key).toBe(ref.sha256);
    await expect(loadWeights(out, { architecture: 'hiu-dmtl' })).rejects.toThrow(/holds hand-detector weights, expected hiu-dmtl/);
  });
});

/** Each bad input: the error names the problem, and the output directory stays empty. */
async function expectRejected(input: string, message: RegExp) {
  const dir = tempDir();
  const out = join(dir, 'out.safetensors');
  await expect(convertFile(input, out)).rejects.toThrow(message);
  expect(existsSync(out)).toBe(false);
  expect(listDir(dir)).toEqual([]);
}

describe('rejected inputs leave no output file', () => {
  it('a hostile pickle', () => expectRejected(fixture('bad', 'hostile-reduce.zip.pth'), /unsafe pickle global 'posix\.system'/));
  it('a checkpoint of another architecture', () =>
    expectRejected(fixture('bad', 'other-arch.zip.pth'), /unrecognised architecture: .* found \d+ keys such as 'features\.0\.weight'/));
  it('a wrong-shaped tensor', () =>
    expectRejected(fixture('bad', 'wrong-shape.legacy.pth'), /tensor 'hm_decs\.0\.upsamples\.0\.1\.0\.weight' has shape \[4,4,5,5\], expected \[4,4,3,3\]/));
  it('a missing tensor', () => expectRejected(fixture('bad', 'missing-key.legacy.pth'), /missing tensor 'tams\.0\.convs\.2\.1\.running_mean'/));
  it('regressor copies that differ', () =>
    expectRejected(fixture('bad', 'regressor-differs.legacy.pth'), /'regressors\.1\.2\.3\.0\.bias' differs from 'regressors\.0\.2\.3\.0\.bias'/));
  it('a truncated zip', () => {
    const dir = tempDir();
    const cut = join(dir, 'cut.pth');
    const bytes = readFileSync(fixture('hiu-small', 'plain.zip.pth'));
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    return expectRejected(cut, /cut\.pth: corrupt or truncated zip/);
  });
  it('a zip truncated inside the data (central directory intact is impossible, so: a storage cut short)', async () => {
    const dir = tempDir();
    const cut = join(dir, 'legacy-cut.pth');
    const bytes = readFileSync(fixture('hiu-small', 'model.legacy.pth'));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    await expectRejected(cut, /legacy-cut\.pth: legacy checkpoint is truncated/);
  });
});

describe('the hiu CLI', () => {
  const root = resolve(__dirname, '../..');
  const hiu = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools/convert/hiu.ts'), ...args], { cwd: root, encoding: 'utf8' });

  it('converts, printing progress to stderr', () => {
    const dir = tempDir();
    const out = join(dir, 'w.safetensors');
    const r = hiu('convert', fixture('hiu-small', 'model.legacy.pth'), '-o', out, '--dtype', 'f16');
    expect(r.stderr).toMatch(/converting \[#+\] 100%/);
    expect(r.status, r.stderr).toBe(0);
    expect(listDir(dir)).toEqual(['w.safetensors']);
  });
  it('fails with exit code 1 and a message naming the problem; no output', () => {
    const dir = tempDir();
    const r = hiu('convert', fixture('bad', 'other-arch.zip.pth'), '-o', join(dir, 'x.safetensors'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/hiu convert: error: .*unrecognised architecture/);
    expect(listDir(dir)).toEqual([]);
  });
  it('usage errors exit 2', () => {
    expect(hiu('convert', 'a.pth').status).toBe(2);
    expect(hiu('frobnicate').status).toBe(2);
  });
});
