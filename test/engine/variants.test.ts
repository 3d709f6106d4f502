// Kernel variants chosen by measurement, on a synthetic op with two implementations of y = 2x:
// 'lean' (one thread per vec4) and 'wide' (the same threads spread over thousands of mostly idle
// workgroups, so it is measurably slower on any adapter). Conv2d's real variants are tested in
// the kernel cases (both run every case) and in test/api/kernelVariants.test.ts.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine, Graph, isSoftwareAdapter, profileReport, ShapeError, type Dispatch, type Tensor } from '../../src/engine/index.ts';
import { fastest } from '../../src/engine/variants.ts';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

const WGSL = `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4<f32>>;
struct Params { n: u32, }
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= P.n) { return; }
  Y[i] = X[i] * 2.0;
}`;

function double(g: Graph, name: string, x: Tensor): Tensor {
  const y = g.tensor(name, x.shape);
  const n = x.shape[1] * x.shape[2];
  const base = { bindings: [{ tensor: x, access: 'read' as const }, { tensor: y, access: 'write' as const }], params: Uint32Array.of(n), flops: n * 4, bytes: 32 * n, wgsl: () => WGSL };
  const lean: Dispatch = { ...base, kernel: 'double', key: 'lean', variant: 'lean', workgroups: [Math.ceil(n / 64), 1, 1] };
  const wide: Dispatch = { ...base, kernel: 'doubleWide', key: 'wide', variant: 'wide', workgroups: [1024, 8, 1] };
  g.add(name, { ...lean, alternatives: [wide] });
  return y;
}

function graph(): { g: Graph; x: Tensor; y: Tensor } {
  const g = new Graph();
  const x = g.input('x', [1, 8, 8, 4]);
  const a = double(g, 'a', x);
  const y = g.output(double(g, 'b', a));
  return { g, x, y };
}

async function run(opts: Parameters<Engine['compile']>[1]) {
  const { g, x, y } = graph();
  const exe = await engine.compile(g, opts);
  const input = Float32Array.from({ length: 256 }, (_, i) => i - 100);
  exe.write(x, input);
  exe.fill(y, NaN);
  await exe.run();
  const out = await exe.read(y);
  expect(Array.from(out)).toEqual(Array.from(input, (v) => 4 * v));
  const r = { variants: exe.variants(), stats: exe.buildStats, profile: await exe.profile() };
  engine.release(exe);
  return r;
}

test('measure: the faster variant per shape, timed once (the second layer of the same shape reuses it), cached for the engine', async () => {
  const m = await run({ policy: 'measure' });
  expect(m.variants.map((v) => [v.layer, v.op, v.variant, v.source])).toEqual([['a', 'double', 'lean', 'measured'], ['b', 'double', 'lean', 'cached']]);
  expect(Object.keys(m.variants[0].timesMs!)).toEqual(['lean', 'wide']);
  expect(m.variants[0].timesMs!.lean).toBeLessThan(m.variants[0].timesMs!.wide);
  expect(m.stats.tunedShapes).toBe(1);
  expect(m.stats.tuneMs).toBeGreaterThan(0);
  expect(m.stats.newPipelines).toBe(2); // both variants were built to be timed...
  expect(m.stats.pipelines).toBe(1); // ...and one runs
  expect(m.profile.layers.map((l) => l.variant)).toEqual(['lean', 'lean']);
  // A later compile on the same engine times nothing.
  const again = await run({ policy: 'measure' });
  expect(again.stats.tunedShapes).toBe(0);
  expect(again.variants.map((v) => v.source)).toEqual(['cached', 'cached']);
  expect(again.stats.newPipelines).toBe(0);
});

test('a forced variant runs everywhere and shows in the profile as op/variant; default and auto', async () => {
  const f = await run({ policy: { double: 'wide' } });
  expect(f.variants.map((v) => [v.variant, v.source])).toEqual([['wide', 'forced'], ['wide', 'forced']]);
  expect(f.stats.pipelines).toBe(1);
  expect(f.profile.layers.map((l) => [l.kernel, l.variant])).toEqual([['double', 'wide'], ['double', 'wide']]);
  expect(profileReport([f.profile]).rows.map((r) => r.kernel)).toEqual(['double/wide', 'double/wide']);

  const d = await run({ policy: 'default' });
  expect(d.variants.map((v) => [v.variant, v.source])).toEqual([['lean', 'default'], ['lean', 'default']]);
  expect(d.stats.tunedShapes).toBe(0);

  // 'auto' measures on a hardware adapter only (SwiftShader here: the default).
  const a = await run({ policy: 'auto' });
  const software = isSoftwareAdapter(engine.ctx);
  expect(a.variants[0].source).toBe(software ? 'default' : 'cached'); // measured above on this engine
});

test('the tuner keeps the default unless an alternative wins clearly; budgets are checked', async () => {
  expect(fastest({ lean: 1, wide: 0.95 })).toBe('lean'); // 5 %: noise
  expect(fastest({ lean: 1, wide: 0.5 })).toBe('wide');
  expect(fastest({ lean: 0, wide: 0 })).toBe('lean');
  await expect(Engine.create({ tuneBudgetMs: NaN })).rejects.toThrow(/tuneBudgetMs must be a number of milliseconds >= 0, got NaN/);
  await expect(engine.compile(graph().g, { budgetMs: -1 })).rejects.toThrow(/budgetMs must be/);
});

test('an alternative the device cannot dispatch is dropped; a default it cannot dispatch is an error', async () => {
  const limit = engine.device.limits.maxComputeWorkgroupsPerDimension;
  const g = new Graph();
  const x = g.input('x', [1, 8, 8, 4]);
  double(g, 'a', x);
  const node = g.nodes[0];
  node.alternatives![0].workgroups = [limit + 1, 1, 1];
  g.output(g.tensors[1]);
  const exe = await engine.compile(g, { policy: 'measure' });
  expect(exe.variants()[0]).toMatchObject({ variant: 'lean', source: 'default' });
  engine.release(exe);
  node.workgroups = [limit + 1, 1, 1];
  await expect(engine.compile(g, { policy: 'measure' })).rejects.toThrow(/layer 'a': dispatch \[\d+, 1, 1\] exceeds this device's limit/);
});

test('a budget of 0 ms times nothing; bad policies are refused naming the choices', async () => {
  const own = await Engine.create({ variants: 'measure', tuneBudgetMs: 0 });
  try {
    const { g } = graph();
    const exe = await own.compile(g);
    expect(exe.variants().map((v) => v.source)).toEqual(['over-budget', 'over-budget']);
    expect(exe.buildStats.tunedShapes).toBe(0);
  } finally {
    own.dispose();
  }
  await expect(engine.compile(graph().g, { policy: { double: 'fast' } })).rejects.toThrow(/variants: double has no variant 'fast' \(it has lean, wide\); layer 'a'/);
  await expect(engine.compile(graph().g, { policy: 'fastest' as never })).rejects.toThrow(ShapeError);
  await expect(Engine.create({ variants: 3 as never })).rejects.toThrow(/variants: expected 'auto', 'measure', 'default' or \{ op: variant \}, got 3/);
});
