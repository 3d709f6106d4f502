// Per-layer profiler: the report (rows, block totals, coverage), the text table, the Chrome
// trace, and the fallback without timestamp-query.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Engine, EngineError, formatProfileTable, Graph, OTHER_BLOCK, profileReport, toChromeTrace,
  type BlockRule, type ChromeTrace, type Profile, type Tensor,
} from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { globalAvgPool } from '../../src/kernels/globalAvgPool.ts';
import { sigmoid } from '../../src/kernels/sigmoid.ts';
import { makeRng, randomArray } from '../reference/cpu.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

const S = 32;
const C = 16;

/** Nine dispatches in three scopes; each conv does enough work (~5 MFLOP) to be measurable. */
function net(g: Graph): { x: Tensor } {
  const rng = makeRng(7);
  const w = (n: number) => new Float32Array(randomArray(n, rng, -0.1, 0.1));
  const x = g.input('x', [1, S, S, 4]);
  let t = g.scope('stem', () => conv2d(g, 'conv0', x, { weight: w(C * 4 * 9), outChannels: C, kernel: 3, padding: 1, relu: true }));
  t = g.scope('body', () => {
    let y = t;
    for (let i = 0; i < 4; i++) y = conv2d(g, `conv${i}`, y, { weight: w(C * C * 9), outChannels: C, kernel: 3, padding: 1, relu: true });
    return y;
  });
  g.scope('head', () => {
    const a = conv2d(g, 'conv', t, { weight: w(C * C * 9), outChannels: C, kernel: 3, padding: 1 });
    g.output(sigmoid(g, 'prob', a));
    g.output(globalAvgPool(g, 'pool', a));
  });
  g.output(conv2d(g, 'extra', t, { weight: w(4 * C), outChannels: 4, kernel: 1 }));
  return { x };
}

const BLOCKS: BlockRule[] = [
  { name: 'stem', prefix: 'stem.' },
  { name: 'body', match: (l) => l.startsWith('body.') },
  { name: 'head', prefix: ['head.conv', 'head.prob', 'head.pool'] },
];

function checkTrace(trace: ChromeTrace, layerNames: string[]): void {
  const parsed = JSON.parse(JSON.stringify(trace)) as ChromeTrace;
  expect(Array.isArray(parsed.traceEvents)).toBe(true);
  const xs = parsed.traceEvents.filter((e) => e.ph !== 'M');
  expect(xs.length).toBeGreaterThan(0);
  for (const e of xs) {
    expect(e.ph).toBe('X');
    expect(typeof e.ts).toBe('number');
    expect(e.dur).toBeGreaterThanOrEqual(0);
  }
  for (let i = 1; i < xs.length; i++) expect(xs[i].ts!).toBeGreaterThanOrEqual(xs[i - 1].ts!);
  const layers = xs.filter((e) => e.tid === 1);
  expect(layers.map((e) => e.name)).toEqual(layerNames);
  // Back to back on one thread.
  for (let i = 1; i < layers.length; i++) expect(layers[i].ts).toBeCloseTo(layers[i - 1].ts! + layers[i - 1].dur!, 2);
  expect(layers[0].args!.kernel).toMatch(/^conv2d\/(blocked|tiled)$/); // the op and the variant the engine ran
  expect(typeof layers[0].args!.flops).toBe('number');
  expect(layers[0].args!.workgroups).toHaveLength(3);
  expect(xs.some((e) => e.tid === 2)).toBe(true);
}

describe('profile report', () => {
  test('every layer by name, block totals add up, coverage within 10% with timestamp-query, trace parses', async () => {
    const g = new Graph();
    const { x } = net(g);
    const exe = await engine.compile(g);
    exe.writeNCHW(x, new Float32Array(randomArray(4 * S * S, makeRng(1))));
    await exe.run();
    await exe.profile(); // warm-up
    const profiles: Profile[] = [];
    for (let i = 0; i < 3; i++) profiles.push(await exe.profile());
    const names = g.nodes.map((n) => n.name);
    const r = profileReport(profiles, { blocks: BLOCKS });

    expect(r.rows.map((x) => x.name)).toEqual(names);
    expect(r.runs).toBe(3);
    for (const row of r.rows) {
      expect(row.ms).toBeGreaterThanOrEqual(0);
      expect(row.workgroups).toEqual(g.nodes[row.index].workgroups);
      expect(row.flops).toBe(g.nodes[row.index].flops);
      if (row.ms > 0) expect(row.gflops).toBeCloseTo(row.flops / 1e9 / (row.ms / 1e3), 6);
    }
    expect(r.rows.find((x) => x.name === 'body.conv2')!.block).toBe('body');
    expect(r.rows.find((x) => x.name === 'extra')!.block).toBe(OTHER_BLOCK);
    expect(r.blocks.map((b) => b.name)).toEqual(['stem', 'body', 'head', OTHER_BLOCK]);
    expect(r.blocks.map((b) => b.layers)).toEqual([1, 4, 3, 1]);
    const blockSum = r.blocks.reduce((a, b) => a + b.ms, 0);
    expect(Math.abs(blockSum - r.layerSumMs)).toBeLessThan(1e-9 + 1e-9 * r.layerSumMs);
    expect(r.blocks.reduce((a, b) => a + b.flops, 0)).toBe(r.flops);

    const table = formatProfileTable(r);
    for (const n of names) expect(table).toContain(n);
    expect(table).toContain(`method: ${r.method}`);
    expect(table).toMatch(/coverage: /);

    const method = engine.ctx.features.timestampQuery ? 'timestamp-query' : 'per-dispatch-submit';
    expect(r.method).toBe(method);
    if (method === 'timestamp-query') {
      // Each run: the sum of per-pass times against that run's first begin to last end. A loaded
      // CPU (SwiftShader) can stall between passes in one run, so the best run must reach 90%.
      expect(Math.max(...r.perRun.map((x) => x.coverage)), JSON.stringify(r.perRun)).toBeGreaterThan(0.9);
      for (const run of r.perRun) expect(run.coverage).toBeLessThanOrEqual(1 + 1e-9);
      expect(Math.abs(r.runCoverage - 1)).toBeLessThan(0.1);
      expect(r.endToEndMs).toBeGreaterThan(0);
      expect(table).not.toMatch(/FALLBACK/);
    }
    checkTrace(toChromeTrace(r), names);
    // A single raw profile converts too.
    checkTrace(toChromeTrace(profiles[0], { blocks: BLOCKS }), names);
    engine.release(exe);
  });

  test('per-dispatch-submit when forced: the profile, report and table say so', async () => {
    const g = new Graph();
    const { x } = net(g);
    const exe = await engine.compile(g);
    exe.writeNCHW(x, new Float32Array(4 * S * S));
    const p = await exe.profile({ method: 'per-dispatch-submit' });
    expect(p.method).toBe('per-dispatch-submit');
    expect(p.note).toMatch(/forced/);
    expect(p.layers.map((l) => l.name)).toEqual(g.nodes.map((n) => n.name));
    const r = profileReport(p, { blocks: BLOCKS });
    const table = formatProfileTable(r);
    expect(table.split('\n')[1]).toMatch(/per-dispatch-submit FALLBACK, no GPU timestamps/);
    expect(table).toContain('include one submit');
    checkTrace(toChromeTrace(r), g.nodes.map((n) => n.name));
    engine.release(exe);
  });

  test('a device without timestamp-query falls back by itself and says why', async () => {
    const plain = await Engine.create({ timestamps: false });
    try {
      expect(plain.ctx.features.timestampQuery).toBe(false);
      const g = new Graph();
      const { x } = net(g);
      const exe = await plain.compile(g);
      exe.writeNCHW(x, new Float32Array(4 * S * S));
      expect(() => exe.profile({ method: 'timestamp-query' })).toThrow(EngineError);
      const p = await exe.profile();
      expect(p.method).toBe('per-dispatch-submit');
      expect(p.note).toMatch(/no timestamp-query/);
      expect(formatProfileTable(profileReport(p))).toMatch(/FALLBACK.*no timestamp-query/);
    } finally {
      plain.dispose();
    }
  });

  test('medians over runs; mismatched profiles are refused', () => {
    const layer = (name: string, ms: number) => ({ name, kernel: 'k', ms, workgroups: [1, 1, 1] as [number, number, number], flops: 2e6, bytes: 1e6 });
    const mk = (a: number, b: number, c: number, total: number): Profile => ({
      method: 'timestamp-query', layers: [layer('a.x', a), layer('a.y', b), layer('b.z', c)], totalMs: total, endToEndMs: total,
    });
    const r = profileReport([mk(1, 2, 3, 6.2), mk(3, 2, 1, 6.1), mk(2, 0, 2, 4)], { blocks: [{ name: 'A', prefix: 'a.' }] });
    expect(r.rows.map((x) => x.ms)).toEqual([2, 2, 2]);
    expect(r.totalMs).toBe(6.1);
    expect(r.blocks).toMatchObject([{ name: 'A', layers: 2, ms: 4 }, { name: OTHER_BLOCK, layers: 1, ms: 2 }]);
    expect(r.rows[0].gflops).toBeCloseTo(1, 9); // 2e6 flop in 2 ms
    expect(r.rows[0].gbps).toBeCloseTo(0.5, 9);
    expect(r.totalRange).toEqual([4, 6.2]);
    expect(r.perRun.map((x) => x.coverage)).toEqual([6 / 6.2, 6 / 6.1, 1]);
    expect(() => profileReport([mk(1, 1, 1, 3), { ...mk(1, 1, 1, 3), layers: [layer('q', 1)] }])).toThrow(/different graphs/);
    expect(() => profileReport([])).toThrow(EngineError);
  });
});
