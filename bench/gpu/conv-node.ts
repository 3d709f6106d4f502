/**
 * The conv benchmark for a real GPU, in Node (Dawn): every distinct conv shape of the full-size
 * HIU-DMTL, each conv2d variant forced in turn and timed with GPU timestamps (median of --reps
 * profiled runs), then the variant the engine's tuner picks for the shape. Prints a markdown
 * table with GFLOP/s against the FP32 peak. Built into one file for a bare machine
 * (scripts/gpu-payload.sh); run: node conv-node.mjs [--reps N] [--peak-tflops T] [--max-size S]
 * (--max-size skips shapes with a larger input map, to try the script on a slow adapter).
 */
import { Engine, Graph } from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { mulberry32 } from '../../src/util/rng.ts';
import { convFlops, hiuConvShapes, type ConvShape } from '../shapes.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const reps = flag('reps', 5);
const peak = flag('peak-tflops', 67) * 1e12;
const maxSize = flag('max-size', Infinity);
const VARIANTS = ['blocked', 'tiled'] as const;
const rnd = mulberry32(7);

function graph(s: ConvShape) {
  const g = new Graph();
  const x = g.input('x', [1, s.size, s.size, s.cin]);
  const weight = new Float32Array(s.cout * s.cin * s.k * s.k).map(() => rnd() - 0.5);
  g.output(conv2d(g, 'conv', x, { weight, outChannels: s.cout, kernel: s.k, stride: s.s, padding: s.p, relu: true }));
  return { g, x };
}

const engine = await Engine.create();
const a = engine.ctx.adapterInfo;
const shapes = hiuConvShapes().filter((s) => s.size <= maxSize);
console.log(`Adapter: ${`${a.vendor} ${a.architecture} ${a.description}`.trim()}; ${shapes.length} conv shapes of the full-size HIU-DMTL; ` +
  `median of ${reps} profiled runs (${engine.ctx.features.timestampQuery ? 'GPU timestamps' : 'CPU wall time per submit: no timestamp-query'}); FP32 peak taken as ${(peak / 1e12).toFixed(0)} TFLOP/s.\n`);
console.log(`| shape (k s cin->cout @in) | where | count | GFLOP | ${VARIANTS.map((v) => `${v} ms | ${v} GFLOP/s`).join(' | ')} | tuner picks | best % of peak |`);
console.log(`|---|---|---|---|${VARIANTS.map(() => '---|---|').join('')}---|---|`);
const sums = Object.fromEntries(VARIANTS.map((v) => [v, 0])) as Record<(typeof VARIANTS)[number], number>;
let bestSum = 0;
let gflopSum = 0;
for (const s of shapes) {
  const gflop = convFlops(s) / 1e9;
  const msOf: Record<string, number> = {};
  for (const v of VARIANTS) {
    const { g, x } = graph(s);
    const exe = await engine.compile(g, { policy: { conv2d: v } });
    exe.writeNCHW(x, new Float32Array(s.cin * s.size * s.size).map(() => rnd()));
    await exe.profile({ endToEnd: false });
    const t: number[] = [];
    for (let r = 0; r < reps; r++) t.push((await exe.profile({ endToEnd: false })).totalMs);
    t.sort((p, q) => p - q);
    msOf[v] = t[t.length >> 1];
    sums[v] += msOf[v] * s.count;
    engine.release(exe);
  }
  const { g } = graph(s);
  const tuned = await engine.compile(g, { policy: 'measure' });
  const pick = tuned.variants()[0]?.variant ?? '-';
  engine.release(tuned);
  const best = Math.min(...Object.values(msOf));
  bestSum += best * s.count;
  gflopSum += gflop * s.count;
  const rate = (ms: number) => (gflop / (ms / 1e3)).toFixed(0);
  console.log(`| ${s.k}x${s.k} s${s.s} ${s.cin}->${s.cout} @${s.size} | ${s.where} | ${s.count} | ${gflop.toFixed(3)} | ` +
    `${VARIANTS.map((v) => `${msOf[v].toFixed(3)} | ${rate(msOf[v])}`).join(' | ')} | ${pick} | ${((100 * gflop * 1e9) / (best / 1e3) / peak).toFixed(2)} |`);
}
console.log(`\nOne inference's convs (time x count): ${VARIANTS.map((v) => `${v} ${sums[v].toFixed(1)} ms (${(gflopSum / (sums[v] / 1e3)).toFixed(0)} GFLOP/s)`).join(', ')}; ` +
  `best per shape ${bestSum.toFixed(1)} ms (${(gflopSum / (bestSum / 1e3)).toFixed(0)} GFLOP/s, ${((100 * gflopSum * 1e9) / (bestSum / 1e3) / peak).toFixed(2)} % of peak).`);
engine.dispose();
