import { avgPool2d } from '../../src/kernels/avgPool2d.ts';
import { globalAvgPool } from '../../src/kernels/globalAvgPool.ts';
import { maxPool2d } from '../../src/kernels/maxPool2d.ts';
import * as ref from '../reference/cpu.ts';
import { check, f32, nhwc, type KernelCase, type Mutation } from './harness.ts';

type P = number | [number, number];

interface AvgShape {
  n?: number;
  c: number;
  h: number;
  w: number;
  k: P;
  s?: P;
  bn?: boolean;
  shiftOnly?: boolean;
}

function avgCase(label: string, s: AvgShape): KernelCase {
  return {
    name: `avgPool2d ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng);
        const scale = s.bn ? ref.randomArray(s.c, rng, 0.5, 1.5) : undefined;
        const shift = s.bn || s.shiftOnly ? ref.randomArray(s.c, rng) : undefined;
        const xt = g.input('x', nhwc(x.shape));
        const y = avgPool2d(g, 'pool', xt, { kernel: s.k, stride: s.s, scale: scale && f32(scale), shift: shift && f32(shift) });
        const pooled = ref.avgPool2d(x, s.k, s.s);
        return { inputs: [[xt, x]], outputs: [[y, scale || shift ? ref.channelAffine(pooled, scale ?? new Float64Array(s.c).fill(1), shift ?? new Float64Array(s.c)) : pooled]] };
      }),
  };
}

interface MaxShape {
  n?: number;
  c: number;
  h: number;
  w: number;
  k: P;
  s?: P;
  p?: ref.Padding;
  /** TensorFlow SAME padding instead of p. */
  same?: boolean;
  /** Value range of the input (all-negative inputs show whether padding acts as -inf or as 0). */
  range?: [number, number];
}

function maxCase(label: string, s: MaxShape): KernelCase {
  return {
    name: `maxPool2d ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng, ...(s.range ?? [-1, 1]));
        const xt = g.input('x', nhwc(x.shape));
        const pad = s.same ? ref.samePads(s.h, s.w, s.k, s.s ?? s.k) : s.p;
        const y = maxPool2d(g, 'pool', xt, { kernel: s.k, stride: s.s, padding: pad });
        return { inputs: [[xt, x]], outputs: [[y, ref.maxPool2d(x, s.k, s.s, pad)]] };
      }),
  };
}

function gapCase(label: string, shape: [number, number, number, number]): KernelCase {
  return {
    name: `globalAvgPool ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor(shape, rng);
        const xt = g.input('x', nhwc(x.shape));
        const y = globalAvgPool(g, 'gap', xt);
        return { inputs: [[xt, x]], outputs: [[y, ref.globalAvgPool(x)]] };
      }),
  };
}

/** TAM's step 1: three features pooled into one interleaved [N, 1, 1, 3C] vector (index c*3 + t). */
function gapInterleaveCase(label: string, shape: [number, number, number, number], order: number[]): KernelCase {
  return {
    name: `globalAvgPool interleave x3 ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const feats = [0, 1, 2].map(() => ref.randomTensor(shape, rng));
        const ts = feats.map((f, t) => g.input(`f${t}`, nhwc(f.shape)));
        const [n, c] = shape;
        const vec = g.tensor('vec', [n, 1, 1, 3 * c]);
        for (const t of order) globalAvgPool(g, `gap${t}`, ts[t], { out: vec, interleave: { count: 3, index: t } });
        const expect = ref.tensor([n, 3 * c, 1, 1], ref.tamGapInterleave(feats));
        return { inputs: feats.map((f, t) => [ts[t], f]), outputs: [[vec, expect]] };
      }),
  };
}

export const poolCases: KernelCase[] = [
  avgCase('k2 c5 8x6 (bottleneck shortcut)', { c: 5, h: 8, w: 6, k: 2 }),
  avgCase('k2 c7 9x7 floor mode', { c: 7, h: 9, w: 7, k: 2 }),
  avgCase('k3 s2 c3 7x10 batch 2', { n: 2, c: 3, h: 7, w: 10, k: 3, s: 2 }),
  avgCase('k2 c12 6x6 + folded BN (AvgPool + BN shortcut)', { c: 12, h: 6, w: 6, k: 2, bn: true }),
  avgCase('k[2,3] s[1,2] c1 5x7 + shift only', { c: 1, h: 5, w: 7, k: [2, 3], s: [1, 2], shiftOnly: true }),
  avgCase('k5 (loop path) s3 c6 11x13 + BN batch 2', { n: 2, c: 6, h: 11, w: 13, k: 5, s: 3, bn: true }),
  avgCase('k1 on a 1x1 map c3', { c: 3, h: 1, w: 1, k: 1 }),
  avgCase('k2 c36 4x4 (several channel blocks)', { c: 36, h: 4, w: 4, k: 2 }),
  {
    name: 'avgPool2d + BN into a channel view [8 | 5]',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const a = ref.randomTensor([1, 8, 6, 4], rng);
        const b = ref.randomTensor([1, 5, 6, 4], rng);
        const scale = ref.randomArray(5, rng, 0.5, 1.5);
        const shift = ref.randomArray(5, rng);
        const at = g.input('a', nhwc(a.shape));
        const bt = g.input('b', nhwc(b.shape));
        const cat = g.tensor('cat', [1, 3, 2, 13]);
        avgPool2d(g, 'pa', at, { kernel: 2, out: g.channelView(cat, 0, 8) });
        avgPool2d(g, 'pb', bt, { kernel: 2, scale: f32(scale), shift: f32(shift), out: g.channelView(cat, 8, 5) });
        const expect = ref.concatChannels([ref.avgPool2d(a, 2), ref.channelAffine(ref.avgPool2d(b, 2), scale, shift)]);
        return { inputs: [[at, a], [bt, b]], outputs: [[cat, expect]] };
      }),
  },
  maxCase('k3 s2 p1 c5 9x8', { c: 5, h: 9, w: 8, k: 3, s: 2, p: 1 }),
  maxCase('k2 c7 6x5 (stride defaults to kernel)', { c: 7, h: 6, w: 5, k: 2 }),
  maxCase('k3 s1 p1 c1 on a 1x1 map', { c: 1, h: 1, w: 1, k: 3, s: 1, p: 1 }),
  maxCase('k3 s2 p1 c3 batch 2, all inputs negative (padding is -inf)', { n: 2, c: 3, h: 7, w: 6, k: 3, s: 2, p: 1, range: [-2, -1] }),
  maxCase('k[3,2] s[2,1] p[1,1] c4 7x6, negative', { c: 4, h: 7, w: 6, k: [3, 2], s: [2, 1], p: [1, 1], range: [-3, -0.5] }),
  maxCase('k5 s1 p2 c9 6x7', { c: 9, h: 6, w: 7, k: 5, s: 1, p: 2 }),
  maxCase('k2 s2 SAME on odd 7x9 (pads 0,1) c3, all negative', { c: 3, h: 7, w: 9, k: 2, s: 2, same: true, range: [-2, -1] }),
  maxCase('k2 s2 SAME on even 8x6 (no padding) c24 (palm shortcut)', { c: 24, h: 8, w: 6, k: 2, s: 2, same: true }),
  maxCase('k3 s2 pads {0,2,2,0} c5 6x7, negative', { c: 5, h: 6, w: 7, k: 3, s: 2, p: { top: 0, bottom: 2, left: 2, right: 0 }, range: [-3, -1] }),
  maxCase('k2 s2 SAME on a 1x1 map c7 batch 2, negative', { n: 2, c: 7, h: 1, w: 1, k: 2, s: 2, same: true, range: [-2, -1] }),
  gapCase('c1 5x7', [1, 1, 5, 7]),
  gapCase('c3 1x1', [1, 3, 1, 1]),
  gapCase('c5 9x11 batch 2', [2, 5, 9, 11]),
  gapCase('c7 64x64 (full-size map)', [1, 7, 64, 64]),
  gapCase('c40 3x5 (wide workgroup, partial channel block)', [1, 40, 3, 5]),
  gapCase('c72 8x8 batch 2 (regressor shape scaled down)', [2, 72, 8, 8]),
  gapInterleaveCase('C=5 (15 channels, padded tail) 6x7 batch 2', [2, 5, 6, 7], [0, 1, 2]),
  gapInterleaveCase('C=8 (24 channels) 16x16, dispatched t=2,0,1', [1, 8, 16, 16], [2, 0, 1]),
  gapInterleaveCase('C=1 (3 channels) 3x1, dispatched t=1,2,0', [1, 1, 3, 1], [1, 2, 0]),
];

/**
 * Plausible bugs in these kernels, each as a WGSL rewrite and the case that must catch it
 * (run by a mutation test: the case passes, the mutant fails with a MISMATCH or a padding error).
 */
export const poolMutants: [string, string, Mutation][] = [
  ['avgPool: last window tap dropped', 'avgPool2d k2 c5 8x6', (s) => s.replace(/\n  acc \+= X\[b \+ \d+u\];(?![\s\S]*acc \+= X)/, '')],
  ['avgPool: loop path misses last column', 'avgPool2d k5 (loop path)', (s) => s.replace('j < 5u', 'j < 4u')],
  ['avgPool: BN shift dropped', 'k2 c12 6x6 + folded BN', (s) => s.replace(/v = v \* SS\[c4\] \+ SS\[[^\]]+\];/, 'v = v * SS[c4];')],
  ['avgPool: divisor off by one', 'avgPool2d k2 c7 9x7', (s) => s.replace('acc * 0.25', 'acc * 0.2')],
  ['maxPool: padding acts as 0', 'all inputs negative (padding is -inf)', (s) => s.replace(/var m = X\[[^;]+;/, 'var m = vec4<f32>(0.0);')],
  ['maxPool: window one row short', 'maxPool2d k3 s2 p1 c5 9x8', (s) => s.replace('iy < y1', 'iy + 1u < y1')],
  ['maxPool: SAME padding after the map acts as 0', 'maxPool2d k2 s2 SAME on odd 7x9', (s) => s.replace(/var m = X\[[^;]+;/, 'var m = vec4<f32>(0.0);')],
  ['maxPool: SAME made symmetric (top pad 0 -> 1)', 'maxPool2d k2 s2 SAME on odd 7x9', (s) => s.replace('let ys = i32(oy * P.sh) - i32(P.padT);', 'let ys = i32(oy * P.sh) - i32(P.padT) - 1;')],
  ['maxPool: left pad 2 -> 1', 'maxPool2d k3 s2 pads {0,2,2,0}', (s) => s.replace('let xs = i32(ox * P.sw) - i32(P.padL);', 'let xs = i32(ox * P.sw) - i32(P.padL) + 1;')],
  ['GAP: tail of interleaved vector not zeroed', 'interleave x3 C=5', (s) => s.replace(/if \(wid\.x == 0u && lid == 0u\) \{[^\n]*/, '')],
  ['GAP: first tree step skipped', 'globalAvgPool c7 64x64', (s) => s.replace('var st = P.wgY / 2u;', 'var st = P.wgY / 4u;')],
  ['GAP: pixel stride off by one', 'globalAvgPool c5 9x11 batch 2', (s) => s.replace('p += P.wgY', 'p += P.wgY + 1u')],
  ['GAP: interleave stride 4 instead of 3', 'interleave x3 C=8', (s) => s.replace('j * P.count', 'j * (P.count + 1u)')],
  ['avgPool: view channel offset ignored', 'avgPool2d + BN into a channel view', (s) => s.replace(/Y\[([^\]]*) \+ (\d)u \+ \(c4\)\]/, (m, a) => `Y[${a} + 0u + (c4)]`) + "\n// mutated"],
];
