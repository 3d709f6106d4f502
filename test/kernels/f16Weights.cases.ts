// The weight-reading kernels with weights stored as f16 pairs (Graph({ weightPrecision: 'f16' })).
// Weights are drawn as f16-representable values, so the f16 path must match the float64
// reference as tightly as the f32 path: any packing or unpacking slip (lane order, pair order,
// odd lengths) shows as a mismatch, not as rounding noise.
import type { Graph, Tensor } from '../../src/engine/index.ts';
import { conv2d } from '../../src/kernels/conv2d.ts';
import { denseChain } from '../../src/kernels/denseChain.ts';
import { depthwiseConv2d } from '../../src/kernels/depthwiseConv2d.ts';
import { f16ToF32, f32ToF16 } from '../../src/util/f16.ts';
import * as ref from '../reference/cpu.ts';
import { check, f32, nhwc, type KernelCase, type Mutation, type Rng } from './harness.ts';

/** Values rounded to the nearest f16 (what the GPU will hold), as float64. */
function f16Values(a: Float64Array): Float64Array {
  return Float64Array.from(f16ToF32(f32ToF16(f32(a))));
}

const f16Tensor = (shape: number[], rng: Rng): ref.Tensor64 => ref.tensor(shape, Array.from(f16Values(ref.randomTensor(shape, rng).data)));

/** Fails unless every weight constant of g is stored as f16 pairs (half the f32 bytes, rounded up to a word). */
function expectF16Weights(g: Graph): void {
  const ws = g.constants.filter((c) => c.kind === 'weights');
  if (!ws.length) throw new Error('no weight constants in the graph');
  for (const c of ws)
    if (c.dtype !== 'f16' || !(c.data instanceof Uint32Array)) throw new Error(`weights '${c.name}' are not stored as f16 pairs`);
}

interface ConvF16 {
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  s?: number;
  p?: number;
  n?: number;
  bn?: boolean;
  res?: boolean;
  variant?: 'blocked' | 'tiled' | 'direct';
}

function convCase(label: string, s: ConvF16): KernelCase {
  return {
    name: `f16 weights: conv2d${s.variant && s.variant !== 'blocked' ? `(${s.variant})` : ''} ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng);
        const w = f16Tensor([s.co, s.c, s.k, s.k], rng);
        const scale = s.bn ? ref.randomArray(s.co, rng, 0.5, 1.5) : undefined;
        const shift = s.bn ? ref.randomArray(s.co, rng) : undefined;
        const yShape = ref.conv2d(x, w, { stride: s.s, pad: s.p }).shape;
        const res = s.res ? ref.randomTensor([s.n ?? 1, s.co, yShape[2], yShape[3]], rng) : undefined;
        const xt = g.input('x', nhwc(x.shape));
        const rt: Tensor | undefined = res && g.input('res', nhwc(res.shape));
        const y = conv2d(g, 'conv', xt, {
          weight: f32(w.data), outChannels: s.co, kernel: s.k, stride: s.s, padding: s.p, relu: true,
          scale: scale && f32(scale), shift: shift && f32(shift), residual: rt, variant: s.variant,
        });
        expectF16Weights(g);
        const expect = ref.conv2d(x, w, { stride: s.s, pad: s.p, scale, shift, residual: res, relu: true });
        return { inputs: rt && res ? [[xt, x], [rt, res]] : [[xt, x]], outputs: [[y, expect]] };
      }, { weightPrecision: 'f16' }),
  };
}

function dwCase(label: string, s: { c: number; m: number; h: number; w: number; k: number; s?: number; p?: number; n?: number }): KernelCase {
  return {
    name: `f16 weights: depthwiseConv2d ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const co = s.c * s.m;
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng);
        const w = f16Tensor([co, 1, s.k, s.k], rng);
        const bias = ref.randomArray(co, rng);
        const xt = g.input('x', nhwc(x.shape));
        const y = depthwiseConv2d(g, 'dw', xt, { weight: f32(w.data), kernel: s.k, stride: s.s, padding: s.p, depthMultiplier: s.m, bias: f32(bias), activation: 'relu6' });
        expectF16Weights(g);
        return { inputs: [[xt, x]], outputs: [[y, ref.depthwiseConv2d(x, w, { stride: s.s, pad: s.p, depthMultiplier: s.m, bias, act: 'relu6' })]] };
      }, { weightPrecision: 'f16' }),
  };
}

function denseCase(label: string, n: number, widths: number[]): KernelCase {
  return {
    name: `f16 weights: denseChain ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([n, widths[0], 1, 1], rng);
        const cpu: ref.DenseLayer[] = [];
        for (let i = 1; i < widths.length; i++) {
          const a = 1.7 / Math.sqrt(widths[i - 1]);
          const wt = f16Values(ref.randomArray(widths[i] * widths[i - 1], rng, -a, a));
          cpu.push({ w: wt, bias: ref.randomArray(widths[i], rng), relu: i < widths.length - 1, outFeatures: widths[i] });
        }
        const xt = g.input('x', [n, 1, 1, widths[0]]);
        const y = denseChain(g, 'mlp', xt, cpu.map((l) => ({ weight: f32(l.w), bias: f32(l.bias!), relu: l.relu })));
        expectF16Weights(g);
        const out = widths[widths.length - 1];
        return { inputs: [[xt, x]], outputs: [[y, ref.tensor([n, out, 1, 1], ref.denseChain(x.data, cpu))]] };
      }, { weightPrecision: 'f16' }),
  };
}

export const f16WeightCases: KernelCase[] = [
  convCase('3x3 p1 c5->7 9x6 bn relu', { c: 5, h: 9, w: 6, co: 7, k: 3, p: 1, bn: true }),
  convCase('1x1 c1->1 on a 1x1 map', { c: 1, h: 1, w: 1, co: 1, k: 1 }),
  convCase('7x7 s2 p3 c3->8 16x14 stem, batch 2', { n: 2, c: 3, h: 16, w: 14, co: 8, k: 7, s: 2, p: 3, bn: true }),
  convCase('1x1 c32->24 8x8 + residual', { c: 32, h: 8, w: 8, co: 24, k: 1, res: true }),
  convCase('3x3 p1 c3->5 9x6', { c: 3, h: 9, w: 6, co: 5, k: 3, p: 1, variant: 'direct' }),
  convCase('3x3 p1 c37->70 13x11 bn + residual (partial tiles)', { c: 37, h: 13, w: 11, co: 70, k: 3, p: 1, bn: true, res: true, variant: 'tiled' }),
  dwCase('3x3 s1 p1 c5 7x9', { c: 5, m: 1, h: 7, w: 9, k: 3, p: 1 }),
  dwCase('multiplier 3 5x5 s2 p2 c3->9 9x8 batch 2', { n: 2, c: 3, m: 3, h: 9, w: 8, k: 5, s: 2, p: 2 }),
  denseCase('7 -> 5 (odd weight count)', 1, [7, 5]),
  denseCase('5 -> 13 -> 3, batch 2', 2, [5, 13, 3]),
  denseCase('128 -> 32 -> 61', 1, [128, 32, 61]),
];

// A slip in the widening shows as a mismatch.
const swapHalves: Mutation = (s) => s.replace('vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y))', 'vec4<f32>(unpack2x16float(p.y), unpack2x16float(p.x))');
export const f16WeightMutants: [string, string, Mutation][] = [
  ['f16 weights: vec4 halves swapped (conv2d)', 'f16 weights: conv2d 3x3 p1 c5->7', swapHalves],
  ['f16 weights: vec4 halves swapped (depthwise)', 'f16 weights: depthwiseConv2d 3x3 s1', swapHalves],
  ['f16 weights: vec4 halves swapped (dense)', 'f16 weights: denseChain 5 -> 13', swapHalves],
  ['f16 weights: vec4 halves swapped (tiled conv2d)', 'f16 weights: conv2d(tiled)', swapHalves],
  ['f16 weights: scalar read takes the wrong half', 'f16 weights: conv2d(direct)', (s) => s.replace('[i & 1u]', '[(i + 1u) & 1u]')],
];
