/**
 * Runs a converted full-size HIU-DMTL on the engine (Node, Dawn) against fullsize_forward.py's
 * outputs; prints the relative L2 error per output and the time of each step.
 *   npx tsx tools/reference/fullsize_engine.ts WORKDIR/full.safetensors WORKDIR
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, Graph, unpackNHWC, type Tensor } from '../../src/engine/index.ts';
import { buildHiuGraph } from '../../src/model/hiu.ts';
import { loadWeights, readNpy, type HiuConfig } from '../../src/weights/index.ts';

const [weightsPath, dir] = process.argv.slice(2);
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(join(dir, `${name}.npy`))), name).data as Float32Array;
const relL2 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0, d = 0;
  for (let i = 0; i < b.length; i++) (n += (a[i] - b[i]) ** 2), (d += b[i] ** 2);
  return Math.sqrt(n / Math.max(d, 1e-30));
};
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

let t0 = performance.now();
const w = await loadWeights(weightsPath, { architecture: 'hiu-dmtl' });
console.log(`load weights: ${ms(t0)}`);
const engine = await Engine.create();
console.log(`adapter: ${engine.ctx.adapterInfo.architecture} ${engine.ctx.adapterInfo.description}`);
const g = new Graph();
t0 = performance.now();
const net = buildHiuGraph(g, w.tensors, w.config as HiuConfig);
console.log(`build graph: ${g.nodes.length} dispatches, ${(g.nodes.reduce((a, n) => a + n.flops, 0) / 1e9).toFixed(1)} GFLOP, ${ms(t0)}`);
w.tensors.clear();
t0 = performance.now();
const exe = await engine.compile(g);
console.log(`compile (plan, upload, ${engine.stats().pipelines} pipelines): ${ms(t0)}`);
console.log(`activation memory: planned ${(exe.plan.plannedBytes / 2 ** 20).toFixed(1)} MiB vs ${(exe.plan.naiveBytes / 2 ** 20).toFixed(1)} MiB unplanned`);
exe.writeNCHW(net.input, npy('input'));
for (let r = 0; r < 2; r++) {
  t0 = performance.now();
  await exe.run();
  await exe.read(net.last.keypoints);
  console.log(`run ${r + 1}: ${ms(t0)} (one submit, wall clock)`);
}
const rows: [string, Tensor, string, boolean][] = [
  ['heatmaps', net.last.heatmaps, 'heatmaps', false],
  ['pof', net.last.pof, 'pof', false],
  ['mask logit', net.last.maskLogit, 'mask', false],
  ['coeffs (61)', net.coeffs!, 'coeffs', false],
  ['keypoints (21 x row, col, max)', net.last.keypoints, 'keypoints2d', true],
];
console.log('\n| output | relative L2 error | max abs error | max abs reference |\n|---|---|---|---|');
for (const [label, t, ref, nhwc] of rows) {
  const got = nhwc ? unpackNHWC(await exe.read(t), t.shape) : await exe.readNCHW(t);
  const r = npy(ref);
  let maxErr = 0, maxRef = 0;
  for (let i = 0; i < r.length; i++) (maxErr = Math.max(maxErr, Math.abs(got[i] - r[i]))), (maxRef = Math.max(maxRef, Math.abs(r[i])));
  console.log(`| ${label} | ${relL2(got, r).toExponential(2)} | ${maxErr.toExponential(2)} | ${maxRef.toExponential(2)} |`);
}
engine.dispose();
