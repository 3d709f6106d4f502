// peakCompact: the hand detector's GPU peak list. The slot order is the GPU's arrival order, so the
// output is compared with the float64 reference as a set: header (found, stored), each stored slot
// an exact copy of a reference peak's pixel (row, col, channels, zero padding), no slot twice,
// every slot past the stored ones 0. The output is NaN-poisoned before the run.
import { Graph, type Engine, type Tensor } from '../../src/engine/index.ts';
import { maxPool2d } from '../../src/kernels/maxPool2d.ts';
import { peakCompact, peakSlotWidth } from '../../src/kernels/peakCompact.ts';
import * as ref from '../reference/cpu.ts';
import { nhwc, type KernelCase } from './harness.ts';

interface Shape {
  n: number;
  c: number;
  h: number;
  w: number;
  threshold: number;
  capacity: number;
  /** Round values to multiples of this (plateaus: ties must all count as peaks). */
  quantum?: number;
  /** Pool on the GPU with maxPool2d (the detector's chain) instead of uploading the reference pooling. */
  gpuPool?: boolean;
}

interface RefPeak {
  row: number;
  col: number;
  values: number[];
}

/** Float64 reference: per image, pixels with channel 0 >= threshold that equal their 5x5 max. */
function referencePeaks(x: ref.Tensor64, pooled: ref.Tensor64, threshold: number): RefPeak[][] {
  const [n, c, h, w] = x.shape;
  const out: RefPeak[][] = [];
  for (let i = 0; i < n; i++) {
    const peaks: RefPeak[] = [];
    for (let r = 0; r < h; r++)
      for (let q = 0; q < w; q++) {
        const v = x.data[((i * c) * h + r) * w + q];
        const m = pooled.data[((i * pooled.shape[1]) * h + r) * w + q];
        if (v >= threshold && v === m) {
          const values: number[] = [];
          for (let k = 0; k < c; k++) values.push(x.data[((i * c + k) * h + r) * w + q]);
          peaks.push({ row: r, col: q, values });
        }
      }
    out.push(peaks);
  }
  return out;
}

async function runCase(engine: Engine, seed: number, s: Shape): Promise<void> {
  const rng = ref.makeRng(seed);
  const x = ref.randomTensor([s.n, s.c, s.h, s.w], rng);
  if (s.quantum) for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(Math.round(x.data[i] / s.quantum) * s.quantum);
  const score = { shape: [s.n, 1, s.h, s.w], data: new Float64Array(s.n * s.h * s.w) };
  for (let i = 0; i < s.n; i++) score.data.set(x.data.subarray(i * s.c * s.h * s.w, (i * s.c + 1) * s.h * s.w), i * s.h * s.w);
  const pooledRef = ref.maxPool2d(score, 5, 1, 2);
  const want = referencePeaks(x, pooledRef, s.threshold);

  const g = new Graph();
  const xt = g.input('maps', nhwc(x.shape));
  let pooled: Tensor;
  let pooledIn: Tensor | null = null;
  if (s.gpuPool) {
    pooled = maxPool2d(g, 'pool', s.c > 4 ? g.channelView(xt, 0, 4) : xt, { kernel: 5, stride: 1, padding: 2 });
  } else {
    pooledIn = pooled = g.input('pooled', [s.n, s.h, s.w, 1]);
  }
  const y = g.output(peakCompact(g, 'peaks', xt, { pooled, threshold: s.threshold, capacity: s.capacity }));
  const exe = await engine.compile(g);
  const fail = (m: string) => new Error(`peakCompact ${JSON.stringify(s)}: ${m} (seed ${seed})`);
  try {
    exe.writeNCHW(xt, ref.toFloat32(x));
    if (pooledIn) exe.writeNCHW(pooledIn, ref.toFloat32(pooledRef));
    exe.fill(y, NaN);
    await exe.run();
    const got = await exe.read(y);
    const e = peakSlotWidth(s.c);
    let total = 0;
    for (let i = 0; i < s.n; i++) {
      const base = i * (1 + s.capacity) * e;
      const found = got[base];
      const stored = got[base + 1];
      total += want[i].length;
      if (found !== want[i].length) throw fail(`image ${i}: ${found} peaks found, reference ${want[i].length}`);
      if (stored !== Math.min(found, s.capacity)) throw fail(`image ${i}: ${stored} stored of ${found} with capacity ${s.capacity}`);
      for (let k = 2; k < e; k++) if (got[base + k] !== 0) throw fail(`image ${i}: header lane ${k} is ${got[base + k]}, not 0`);
      const byPixel = new Map(want[i].map((p) => [p.row * s.w + p.col, p]));
      const seen = new Set<number>();
      for (let slot = 0; slot < s.capacity; slot++) {
        const o = base + (1 + slot) * e;
        const v = Array.from(got.subarray(o, o + e));
        if (slot >= stored) {
          if (v.some((q) => q !== 0)) throw fail(`image ${i}: unused slot ${slot} is [${v}], not 0`);
          continue;
        }
        const [row, col] = v;
        const p = byPixel.get(row * s.w + col);
        if (!p || !Number.isInteger(row) || !Number.isInteger(col)) throw fail(`image ${i}: slot ${slot} holds (${row}, ${col}), not a reference peak`);
        if (seen.has(row * s.w + col)) throw fail(`image ${i}: peak (${row}, ${col}) stored twice`);
        seen.add(row * s.w + col);
        const expect = [row, col, 0, 0, ...p.values];
        while (expect.length < e) expect.push(0);
        for (let k = 0; k < e; k++)
          if (v[k] !== Math.fround(expect[k])) throw fail(`image ${i}: slot ${slot} lane ${k} is ${v[k]}, expected ${expect[k]}`);
      }
    }
    if (total === 0) throw fail('the reference has no peaks: the case tests nothing');
  } finally {
    engine.release(exe);
  }
}

function pcCase(label: string, s: Shape): KernelCase {
  return { name: `peakCompact ${label}`, run: (engine, seed) => runCase(engine, seed, s) };
}

export const peakCompactCases: KernelCase[] = [
  pcCase('detector map 16x16 x5, threshold 0.5', { n: 1, c: 5, h: 16, w: 16, threshold: 0.5, capacity: 64 }),
  pcCase('batch 2, non-square 13x7 x5, threshold 0', { n: 2, c: 5, h: 13, w: 7, threshold: 0, capacity: 32 }),
  pcCase('1 channel, 9x11, negative threshold', { n: 1, c: 1, h: 9, w: 11, threshold: -0.5, capacity: 40 }),
  pcCase('8 channels, 64x64 (the 256-input map), threshold 0.9', { n: 1, c: 8, h: 64, w: 64, threshold: 0.9, capacity: 256 }),
  pcCase('plateaus (values quantised to 0.5): every tied maximum is a peak', { n: 2, c: 5, h: 12, w: 12, threshold: 0, capacity: 144, quantum: 0.5 }),
  pcCase('overflow: capacity 3, counts every peak, stores 3', { n: 2, c: 5, h: 24, w: 24, threshold: -1, capacity: 3 }),
  pcCase('1x1 map, batch 3', { n: 3, c: 5, h: 1, w: 1, threshold: -1, capacity: 2 }),
  pcCase('chained after maxPool2d 5x5 s1 p2 on a 4-channel view (the detector decode)', { n: 2, c: 5, h: 20, w: 18, threshold: 0.3, capacity: 64, gpuPool: true }),
];
