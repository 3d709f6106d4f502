// `hiu profile` end to end (Node): the committed small checkpoint, converted at input 64, profiled
// twice; the table lists every layer of the hand graph, the layer times add up to the measured GPU
// time, and the trace file is Chrome trace JSON.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Graph, type ChromeTrace } from '../../src/engine/index.ts';
import { buildHandGraph } from '../../src/model/pipeline.ts';
import { hiuProfileBlocks } from '../../src/model/profileBlocks.ts';
import { blockClassifier, OTHER_BLOCK } from '../../src/engine/profileReport.ts';
import { loadManoAsset } from '../../src/weights/mano.ts';
import { loadWeights, type HiuConfig } from '../../src/weights/index.ts';
import { convertFile } from '../../tools/convert/convert.ts';
import { profileHandGraph } from '../../tools/convert/profile.ts';
import { hiu } from './cli.ts';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const ASSET = new URL('../../assets/hand-left.safetensors', import.meta.url).pathname;
let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hiu-profile-'));
  weights = join(dir, 'small.safetensors');
  await convertFile(join(FIX, 'hiu-small', 'plain.zip.pth'), weights, { inputSize: 64 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hiu profile', () => {
  test('table of every layer, blocks, coverage within 10%, Chrome trace', async () => {
    const trace = join(dir, 'trace.json');
    const r = await hiu('profile', '--weights', weights, '--mano', ASSET, '--runs', '2', '--trace', trace);
    expect(r.code, r.stderr).toBe(0);
    process.stderr.write(r.stdout.split('\n').filter((l) => /^(method|coverage| {2}\S)/.test(l)).join('\n') + '\n');

    // The graph the command built, rebuilt here for its layer names.
    const w = await loadWeights(weights, { architecture: 'hiu-dmtl' });
    const config = w.config as HiuConfig;
    const g = new Graph();
    buildHandGraph(g, w.tensors, config, await loadManoAsset(ASSET), { inputSize: 64 });
    const names = g.nodes.map((n) => n.name);
    expect(names).toContain('mano.skin');
    const lines = r.stdout.split('\n');
    const tableNames = lines.map((l) => /^\d+\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
    expect(tableNames).toEqual(names);

    // Every layer lands in a named block; the blocks are the ones the issue lists.
    const classify = blockClassifier(hiuProfileBlocks(config));
    expect(names.filter((n) => classify(n) === OTHER_BLOCK)).toEqual([]);
    const blocks = new Set(names.map(classify));
    expect([...blocks].sort()).toEqual(
      ['stem', 'heads', 'regressor', 'MANO', ...Array.from({ length: config.stacks }, (_, k) => [`encoder ${k}`, `decoder ${k}`, `TAM ${k}`]).flat()].sort(),
    );
    const split = blockClassifier(hiuProfileBlocks(config, { splitTasks: true }));
    expect(['hiu.stack1.pof_dec.upsample0.conv1', 'hiu.stack0.mask_dec.lateral0', 'hiu.stack1.hm_dec.predict.conv0', 'hiu.stack0.tam.mlp'].map(split)).toEqual(
      ['decoder 1 pof', 'decoder 0 mask', 'heads', 'TAM 0'],
    );
    for (const b of blocks) expect(r.stdout).toMatch(new RegExp(`^${b}\\s+\\d+\\s`, 'm'));

    const header = lines.find((l) => l.startsWith('method:'))!;
    const coverage = lines.find((l) => l.startsWith('coverage:'))!;
    expect(coverage).toBeDefined();
    const pct = Number(/= ([\d.]+)% of/.exec(coverage)![1]);

    const json = JSON.parse(readFileSync(trace, 'utf8')) as ChromeTrace & { otherData: { coverage: number; method: string } };
    const xs = json.traceEvents.filter((e) => e.ph !== 'M');
    expect(xs.every((e) => e.ph === 'X' && typeof e.ts === 'number' && typeof e.dur === 'number')).toBe(true);
    for (let i = 1; i < xs.length; i++) expect(xs[i].ts!).toBeGreaterThanOrEqual(xs[i - 1].ts!);
    expect(xs.filter((e) => e.tid === 1).map((e) => e.name)).toEqual(names);
    expect(xs.filter((e) => e.tid === 2).length).toBeGreaterThanOrEqual(blocks.size);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);

    if (json.otherData.method === 'timestamp-query') {
      expect(header).toMatch(/timestamp-query/);
      // Layer times against the end-to-end GPU time (first layer start to last layer end).
      expect(Math.abs(pct / 100 - 1), coverage).toBeLessThan(0.1);
      expect(Math.abs(json.otherData.coverage - 1)).toBeLessThan(0.1);
    } else {
      expect(header).toMatch(/FALLBACK/);
    }
  });

  test('GPU memory by kind; f16 weights hold half the weight bytes; an f16 file stays f16 unless f32 is asked for', async () => {
    const f16File = join(dir, 'small-f16.safetensors');
    await convertFile(join(FIX, 'hiu-small', 'plain.zip.pth'), f16File, { inputSize: 64, dtype: 'f16' });
    const run = (w: string, weightPrecision?: 'f32' | 'f16') => profileHandGraph({ weights: w, mano: ASSET, runs: 1, weightPrecision });
    const f32 = await run(weights);
    const f16 = await run(weights, 'f16');
    const f16Default = await run(f16File);
    const f16AsF32 = await run(f16File, 'f32');
    expect([f32.weightPrecision, f16.weightPrecision, f16Default.weightPrecision, f16AsF32.weightPrecision]).toEqual(['f32', 'f16', 'f16', 'f32']);
    expect(f32.memory.weights).toBeGreaterThan(100_000);
    expect(f16.memory.weights).toBe(f32.memory.weights / 2);
    expect(f16Default.memory.weights).toBe(f16.memory.weights);
    expect(f16AsF32.memory.weights).toBe(f32.memory.weights);
    expect(f16.memory.activations).toBe(f32.memory.activations);
    expect(f32.memory.activations).toBeGreaterThan(0);
    expect(f32.memory.staging).toBeGreaterThan(0);
    process.stderr.write(`hiu profile GPU memory, f32: ${JSON.stringify(f32.memory)}; f16: ${JSON.stringify(f16.memory)}\n`);

    const cli = await hiu('profile', '--weights', weights, '--mano', ASSET, '--runs', '1', '--weight-precision', 'f16');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^GPU memory: weights [\d.]+ MiB \(f16\), constants [\d.]+ MiB, activations [\d.]+ MiB, staging [\d.]+ MiB/m);
    // Every conv layer names the variant it ran: the default on a software adapter ('auto').
    const convRows = cli.stdout.split('\n').filter((l) => /^\d+\s+hiu\.\S+\s+conv2d/.test(l));
    expect(convRows.length).toBeGreaterThan(3);
    for (const row of convRows) expect(row).toMatch(/\sconv2d\/(blocked|tiled)\s/);
    const bad = await hiu('profile', '--weights', weights, '--weight-precision', 'f8');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--weight-precision must be f32 or f16, not 'f8'/);
  });

  test('--variants: a forced conv2d variant shows in every conv row; bad values are refused', async () => {
    const tiled = await hiu('profile', '--weights', weights, '--mano', ASSET, '--runs', '1', '--top', '200', '--variants', 'conv2d=tiled');
    expect(tiled.code, tiled.stderr).toBe(0);
    const convRows = tiled.stdout.split('\n').filter((l) => /^\d+\s+hiu\.\S+\s+conv2d/.test(l));
    expect(convRows.length).toBeGreaterThan(100);
    for (const row of convRows) expect(row).toMatch(/\sconv2d\/tiled\s/);
    const bad = await hiu('profile', '--weights', weights, '--variants', 'conv2d:tiled');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--variants must be auto, measure, default or OP=VARIANT/);
    const unknown = await hiu('profile', '--weights', weights, '--variants', 'conv2d=winograd');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/conv2d has no variant 'winograd' \(it has blocked, tiled\)/);
  });

  test('clear errors: missing file, wrong architecture, a checkpoint, bad flags', async () => {
    const missing = await hiu('profile', '--weights', join(dir, 'nope.safetensors'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--weights .*nope\.safetensors: no such file/);

    const noMano = await hiu('profile', '--weights', weights, '--mano', join(dir, 'nope-mano.safetensors'));
    expect(noMano.code).toBe(1);
    expect(noMano.stderr).toMatch(/--mano .*: no such file/);

    // Safetensors files of other architectures: the hand asset, converted detector weights.
    const asset = await hiu('profile', '--weights', ASSET);
    expect(asset.code).toBe(1);
    expect(asset.stderr).toMatch(/--weights .*hand-left\.safetensors: holds 'mano-hand' hand asset \(pass it as --mano\), not HIU-DMTL/);
    const det = join(dir, 'detector.safetensors');
    await convertFile(join(FIX, 'detector-small', 'module.zip.pth'), det);
    const wrong = await hiu('profile', '--weights', det);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--weights .*detector\.safetensors: holds 'hand-detector' weights, not HIU-DMTL/);
    const swapped = await hiu('profile', '--weights', weights, '--mano', weights);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/--mano .*: not a hand asset/);

    const pth = await hiu('profile', '--weights', join(FIX, 'hiu-small', 'plain.zip.pth'));
    expect(pth.code).toBe(1);
    expect(pth.stderr).toMatch(/hiu convert/);

    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a safetensors file');
    const bad = await hiu('profile', '--weights', junk);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/junk\.safetensors/);

    const runs = await hiu('profile', '--weights', weights, '--runs', '0');
    expect(runs.stderr).toMatch(/--runs must be/);
    const size = await hiu('profile', '--weights', weights, '--input-size', '50');
    expect(size.stderr).toMatch(/--input-size must be a positive multiple of 32/);
    const method = await hiu('profile', '--weights', weights, '--method', 'bogus');
    expect(method.stderr).toMatch(/--method must be auto, timestamp or submit/);
    // A missing folder would be made; a file on the way cannot be (checked before any work).
    writeFileSync(join(dir, 'a-file'), '');
    const traceDir = await hiu('profile', '--weights', weights, '--trace', join(dir, 'a-file', 'dir', 't.json'));
    expect(traceDir.stderr).toMatch(/--trace .*a-file is a file, not a folder/);
    expect(existsSync(join(dir, 'a-file', 'dir'))).toBe(false);
    const usage = await hiu('profile');
    expect(usage.stderr).toMatch(/usage: hiu profile/);
  });
});
