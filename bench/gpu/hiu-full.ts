/**
 * The full-size HIU-DMTL (FULL_HIU_CONFIG: 4 stacks, 256 x 256, the network page's widths) on
 * whatever adapter Dawn finds, with random weights made here (the real ones are ~700 MB and
 * never released; timing does not depend on the values), three ways: f32 weights with the
 * default kernel variants, f32 with variants picked by measurement, f16 weights with measured
 * variants. Prints, as markdown: create (with variant timing), first-run and steady times, GPU
 * time of one pass, weight and activation memory, GFLOP/s against the FP32 peak; then the
 * slowest layers of the last run with the variant picked and what each variant measured.
 * Built into one file for a bare machine: scripts/gpu-payload.sh; run:
 *   node hiu-full.mjs [runs] [--peak-tflops T] [--top N] [--div D]
 * (--div D divides the widths and the input size, to try the script on a slow adapter.)
 */
import { Engine, Graph, type VariantPolicy, type WeightPrecision } from '../../src/engine/index.ts';
import { buildHiuGraph } from '../../src/model/hiu.ts';
import type { NamedTensor } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { expectedHiuShapes, FULL_HIU_CONFIG, type HiuConfig } from '../../src/weights/config.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 20);
// FP32 peak of the H100 SXM / H200 (the device tool's machines): 67 TFLOP/s.
const peak = flag('peak-tflops', 67) * 1e12;
const top = flag('top', 15);
const div = flag('div', 1);
const config: HiuConfig = div === 1 ? FULL_HIU_CONFIG : {
  ...FULL_HIU_CONFIG,
  inputSize: Math.max(32, FULL_HIU_CONFIG.inputSize / div),
  stemWidths: FULL_HIU_CONFIG.stemWidths.map((w) => w / div) as [number, number],
  encoderChannels: FULL_HIU_CONFIG.encoderChannels.map((w) => w / div),
  regressorChannels: FULL_HIU_CONFIG.regressorChannels.map((w) => w / div),
  minPlane: FULL_HIU_CONFIG.minPlane / div,
  decoderWidth: FULL_HIU_CONFIG.decoderWidth / div,
  tamWidth: FULL_HIU_CONFIG.tamWidth / div,
  regressorMlp: FULL_HIU_CONFIG.regressorMlp.map((w) => w / div),
};
const rnd = mulberry32(1);
const tensors = new Map<string, NamedTensor>();
for (const [name, shape] of expectedHiuShapes(config)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (shape.length === 4) {
    const bound = Math.sqrt(3 / (shape[1] * shape[2] * shape[3])); // unit-variance activations
    for (let i = 0; i < data.length; i++) data[i] = (2 * rnd() - 1) * bound;
  } else if (name.endsWith('.weight') || name.endsWith('running_var')) data.fill(1);
  tensors.set(name, { shape, data });
}
const input = new Float32Array(3 * config.inputSize ** 2).map(() => 2 * rnd() - 1);
const ms = (t: number) => performance.now() - t;
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

async function measure(weightPrecision: WeightPrecision, variants: VariantPolicy) {
  let t0 = performance.now();
  // No time budget: every shape is timed, so the measured rows compare variants everywhere.
  const engine = await Engine.create({ variants, tuneBudgetMs: Infinity });
  try {
    const g = new Graph({ weightPrecision });
    const net = buildHiuGraph(g, tensors, config);
    const exe = await engine.compile(g);
    const create = ms(t0);
    exe.writeNCHW(net.input, input);
    t0 = performance.now();
    await exe.run();
    await exe.read(net.last.keypoints);
    const first = ms(t0);
    const steady: number[] = [];
    for (let i = 0; i < runs; i++) {
      t0 = performance.now();
      await exe.run();
      await exe.read(net.last.keypoints);
      steady.push(ms(t0));
    }
    steady.sort((a, b) => a - b);
    const profile = await exe.profile();
    const gflop = g.nodes.reduce((a, n) => a + n.flops, 0) / 1e9;
    const a = engine.ctx.adapterInfo;
    return {
      adapter: `${a.vendor} ${a.architecture} ${a.description}`.trim(), dispatches: g.nodes.length, pipelines: exe.buildStats.pipelines,
      create, first, steady, profile, gflop, memory: exe.memory(), build: exe.buildStats, variants: exe.variants(), timestamps: engine.ctx.features.timestampQuery,
    };
  } finally {
    engine.dispose();
  }
}

const rows: [string, WeightPrecision, VariantPolicy][] = [
  ['f32 weights, default variants', 'f32', 'default'],
  ['f32 weights, variants measured', 'f32', 'measure'],
  ['f16 weights, variants measured', 'f16', 'measure'],
];
const results = [];
for (const [label, wp, v] of rows) {
  process.stderr.write(`${label}...\n`);
  results.push({ label, ...(await measure(wp, v)) });
}
const r0 = results[0];
const size = config.inputSize;
console.log(`Adapter: ${r0.adapter}; HIU-DMTL ${div === 1 ? 'full size' : `widths / ${div}`}, ${size} x ${size}: ${r0.dispatches} dispatches, ${r0.gflop.toPrecision(3)} GFLOP per inference; ` +
  `profile: ${r0.profile.method}; ${runs} steady runs per row; FP32 peak taken as ${(peak / 1e12).toFixed(0)} TFLOP/s.\n`);
console.log('| run | pipelines | weights MiB | activations MiB | create ms (variant timing ms, shapes) | first run ms | steady median ms (min - max) | GPU ms, one pass | GFLOP/s | % of FP32 peak |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const gpu = r.profile.endToEndMs ?? r.profile.totalMs;
  const n = r.steady.length;
  console.log(`| ${r.label} | ${r.pipelines} | ${mib(r.memory.weights)} | ${mib(r.memory.activations)} | ${r.create.toFixed(0)} (${r.build.tuneMs.toFixed(0)}, ${r.build.tunedShapes}) | ${r.first.toFixed(1)} | ` +
    `**${r.steady[n >> 1].toFixed(2)}** (${r.steady[0].toFixed(2)} - ${r.steady[n - 1].toFixed(2)}) | ${gpu.toFixed(2)} | ${(r.gflop / (gpu / 1e3)).toFixed(0)} | ${((100 * r.gflop * 1e9) / (gpu / 1e3) / peak).toFixed(2)} |`);
}

const last = results[results.length - 1];
const picked = new Map(last.variants.map((v) => [v.layer, v]));
const counts = new Map<string, number>();
for (const v of last.variants) counts.set(`${v.op}/${v.variant}`, (counts.get(`${v.op}/${v.variant}`) ?? 0) + 1);
const overBudget = last.variants.filter((v) => v.source === 'over-budget').length;
console.log(`\nVariants picked in the last run: ${[...counts].map(([k, c]) => `${k} ${c}`).join(', ') || 'none (no op offers variants)'}` +
  ` (${last.build.tunedShapes} shapes timed, ${overBudget} layers left at the default for lack of time).\n`);
console.log(`Slowest ${top} layers of the last run (${last.profile.method}; GFLOP/s of the layer against the FP32 peak; variant times from the compile-time measurement):\n`);
console.log('| layer | kernel | ms | GFLOP | GFLOP/s | % of peak | variants measured (ms per dispatch) |');
console.log('|---|---|---|---|---|---|---|');
for (const l of [...last.profile.layers].sort((a, b) => b.ms - a.ms).slice(0, top)) {
  const rate = l.ms > 0 ? l.flops / (l.ms / 1e3) : 0;
  const v = picked.get(l.name);
  const times = v?.timesMs ? Object.entries(v.timesMs).map(([k, t]) => `${k} ${t.toFixed(3)}`).join(', ') : '';
  console.log(`| ${l.name} | ${l.variant ? `${l.kernel}/${l.variant}` : l.kernel} | ${l.ms.toFixed(3)} | ${(l.flops / 1e9).toPrecision(3)} | ${(rate / 1e9).toFixed(1)} | ${((100 * rate) / peak).toFixed(2)} | ${times} |`);
}
