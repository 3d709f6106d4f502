/** Times conv2d (register-blocked and tiled) against the one-output-per-thread kernel, shape by shape. */
import { Graph, type Engine } from '../src/engine/index.ts';
import { conv2d } from '../src/kernels/conv2d.ts';
import { convFlops, type ConvShape } from './shapes.ts';

export interface BenchRow {
  shape: string;
  where: string;
  count: number;
  gflop: number;
  ms: number;
  gflops: number;
  /** The tiled variant (workgroup memory); null in rows saved before it existed. */
  tiledMs: number | null;
  directMs: number | null;
  speedup: number | null;
}

export interface BenchOptions {
  reps: number;
  /** Skip the slow direct kernel above this many GFLOP (software GPUs take minutes). */
  directMaxGflop: number;
  log?: (s: string) => void;
}

async function timeConv(engine: Engine, s: ConvShape, variant: 'blocked' | 'tiled' | 'direct', reps: number): Promise<number> {
  const g = new Graph();
  const x = g.input('x', [1, s.size, s.size, s.cin]);
  const w = new Float32Array(s.cout * s.cin * s.k * s.k).map(() => Math.random() - 0.5);
  g.output(conv2d(g, 'conv', x, { weight: w, outChannels: s.cout, kernel: s.k, stride: s.s, padding: s.p, relu: true, variant }));
  const exe = await engine.compile(g);
  try {
    exe.writeNCHW(x, new Float32Array(s.cin * s.size * s.size).map(() => Math.random()));
    await exe.profile(); // warm-up
    const times: number[] = [];
    for (let r = 0; r < reps; r++) times.push((await exe.profile()).totalMs);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    engine.release(exe);
  }
}

export async function benchConv2d(engine: Engine, shapes: ConvShape[], o: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const s of shapes) {
    const gflop = convFlops(s) / 1e9;
    const ms = await timeConv(engine, s, 'blocked', o.reps);
    const tiledMs = await timeConv(engine, s, 'tiled', o.reps);
    const directMs = gflop <= o.directMaxGflop ? await timeConv(engine, s, 'direct', Math.min(o.reps, 2)) : null;
    const row: BenchRow = {
      shape: `${s.k}x${s.k} s${s.s} ${s.cin}->${s.cout} @${s.size}`,
      where: s.where, count: s.count, gflop, ms, gflops: gflop / (ms / 1e3), tiledMs,
      directMs, speedup: directMs === null ? null : directMs / ms,
    };
    o.log?.(formatRow(row));
    rows.push(row);
  }
  return rows;
}

export function formatRow(r: BenchRow): string {
  const f = (v: number | null, d: number) => (v === null ? '-' : v.toFixed(d));
  return `| ${r.shape} | ${r.where} | ${r.count} | ${r.gflop.toFixed(3)} | ${f(r.ms, 2)} | ${f(r.gflops, 1)} | ${f(r.tiledMs, 2)} | ${f(r.directMs, 2)} | ${f(r.speedup, 2)} |`;
}

export const header =
  '| shape (k s cin->cout @in) | where | count | GFLOP | ms | GFLOP/s | tiled ms | direct ms | speedup |\n|---|---|---|---|---|---|---|---|---|';
