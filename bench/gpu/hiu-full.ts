/**
 * The full-size HIU-DMTL (FULL_HIU_CONFIG: 4 stacks, 256 x 256, the network page's widths) on
 * whatever adapter Dawn finds, with random weights made here (the real ones are ~700 MB and
 * never released; timing does not depend on the values). Prints create, first-run and steady
 * times and the GPU time of the whole graph (timestamp queries) as a markdown table.
 * Built into one file for a bare machine: scripts/gpu-payload.sh; run: node hiu-full.mjs [runs].
 */
import { Engine, Graph } from '../../src/engine/index.ts';
import { buildHiuGraph } from '../../src/model/hiu.ts';
import type { NamedTensor } from '../../src/model/params.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { expectedHiuShapes, FULL_HIU_CONFIG } from '../../src/weights/config.ts';

const runs = Number(process.argv[2] ?? 20);
const config = FULL_HIU_CONFIG;
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
const ms = (t: number) => performance.now() - t;
let t0 = performance.now();
const engine = await Engine.create();
const g = new Graph();
const net = buildHiuGraph(g, tensors, config);
tensors.clear();
const exe = await engine.compile(g);
const create = ms(t0);
const input = new Float32Array(3 * config.inputSize ** 2).map(() => 2 * rnd() - 1);
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
const p = await exe.profile();
const gflop = g.nodes.reduce((a, n) => a + n.flops, 0) / 1e9;
const a = engine.ctx.adapterInfo;
console.log(`Adapter: ${a.vendor} ${a.architecture} ${a.description}; ${g.nodes.length} dispatches, ${engine.stats().pipelines} pipelines, ${gflop.toFixed(1)} GFLOP per inference; profile: ${p.method}.\n`);
console.log('| network | create + compile ms | first run ms | steady median ms (min - max) | GPU ms, one pass | GFLOP/s | layer sum ms |');
console.log('|---|---|---|---|---|---|---|');
const gpu = p.endToEndMs ?? p.totalMs;
const sum = p.layers.reduce((s, l) => s + l.ms, 0);
console.log(`| HIU-DMTL full size, 256 x 256, f32 weights | ${create.toFixed(0)} | ${first.toFixed(1)} | **${steady[runs >> 1].toFixed(2)}** (${steady[0].toFixed(2)} - ${steady[runs - 1].toFixed(2)}) | ${gpu.toFixed(2)} | ${(gflop / (gpu / 1000)).toFixed(0)} | ${sum.toFixed(2)} |`);
engine.dispose();
