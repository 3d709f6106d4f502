import { conv2d } from '../../src/kernels/conv2d.ts';
import * as ref from '../reference/cpu.ts';
import { check, f32, nhwc, type KernelCase } from './harness.ts';

interface ConvShape {
  n?: number;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number | [number, number];
  s?: number | [number, number];
  p?: number | [number, number];
  relu?: boolean;
  bias?: boolean;
  bn?: boolean;
  variant?: 'blocked' | 'direct';
}

const pairOf = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

function convCase(label: string, s: ConvShape): KernelCase {
  return {
    name: `conv2d${s.variant === 'direct' ? '(direct)' : ''} ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [kh, kw] = pairOf(s.k, 1);
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng);
        const w = ref.randomTensor([s.co, s.c, kh, kw], rng);
        const bias = s.bias ? ref.randomArray(s.co, rng) : undefined;
        const scale = s.bn ? ref.randomArray(s.co, rng, 0.5, 1.5) : undefined;
        const shift = s.bn ? ref.randomArray(s.co, rng) : undefined;
        const xt = g.input('x', nhwc(x.shape));
        const y = conv2d(g, 'conv', xt, {
          weight: f32(w.data), outChannels: s.co, kernel: s.k, stride: s.s, padding: s.p, relu: s.relu,
          bias: bias && f32(bias), scale: scale && f32(scale), shift: shift && f32(shift), variant: s.variant,
        });
        const expect = ref.conv2d(x, w, { stride: s.s, pad: s.p, bias, scale, shift, relu: s.relu });
        return { inputs: [[xt, x]], outputs: [[y, expect]] };
      }),
  };
}

const shapes: [string, ConvShape][] = [
  ['1x1 c1->1 5x7', { c: 1, h: 5, w: 7, co: 1, k: 1 }],
  ['3x3 p1 c3->5 9x6 relu', { c: 3, h: 9, w: 6, co: 5, k: 3, p: 1, relu: true }],
  ['3x3 s2 p1 c5->7 8x11 bn', { c: 5, h: 8, w: 11, co: 7, k: 3, s: 2, p: 1, bn: true }],
  ['7x7 s2 p3 c3->8 16x14 stem bn relu', { c: 3, h: 16, w: 14, co: 8, k: 7, s: 2, p: 3, bn: true, relu: true }],
  ['1x1 spatial 1x1 c7->3 bias', { c: 7, h: 1, w: 1, co: 3, k: 1, bias: true }],
  ['3x3 p1 on a 1x1 map c4->9', { c: 4, h: 1, w: 1, co: 9, k: 3, p: 1 }],
  ['1x3 kernel p[0,1] s[2,1] batch 2 c6->5', { n: 2, c: 6, h: 7, w: 5, co: 5, k: [1, 3], p: [0, 1], s: [2, 1] }],
  ['3x3 p0 no padding c8->12 6x6', { c: 8, h: 6, w: 6, co: 12, k: 3 }],
  ['bottleneck 1x1 c32->16 8x8 bn relu', { c: 32, h: 8, w: 8, co: 16, k: 1, bn: true, relu: true }],
  ['decoder 3x3 p1 c24->24 10x10 bn relu', { c: 24, h: 10, w: 10, co: 24, k: 3, p: 1, bn: true, relu: true }],
  ['head 3x3 p1 c16->21 8x8', { c: 16, h: 8, w: 8, co: 21, k: 3, p: 1 }],
  ['2x2 s2 c12->20 9x7 (avgpool+1x1 folded)', { c: 12, h: 9, w: 7, co: 20, k: 2, s: 2 }],
];

const epilogues: KernelCase[] = [
  {
    name: 'conv2d epilogue: bn + residual + relu (bottleneck output)',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([2, 8, 5, 6], rng);
        const w = ref.randomTensor([12, 8, 1, 1], rng);
        const res = ref.randomTensor([2, 12, 5, 6], rng);
        const scale = ref.randomArray(12, rng, 0.5, 1.5);
        const shift = ref.randomArray(12, rng);
        const xt = g.input('x', nhwc(x.shape));
        const rt = g.input('res', nhwc(res.shape));
        const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 12, kernel: 1, scale: f32(scale), shift: f32(shift), residual: rt, relu: true });
        return { inputs: [[xt, x], [rt, res]], outputs: [[y, ref.conv2d(x, w, { scale, shift, residual: res, relu: true })]] };
      }),
  },
  ...[true, false].map(
    (ac): KernelCase => ({
      name: `conv2d epilogue: relu then + bilinear upsample (align_corners=${ac}) 4x5 -> 8x10, c7`,
      run: (engine, seed) =>
        check(engine, seed, (g, rng) => {
          const x = ref.randomTensor([1, 5, 8, 10], rng);
          const w = ref.randomTensor([7, 5, 1, 1], rng);
          const low = ref.randomTensor([1, 7, 4, 5], rng);
          const xt = g.input('x', nhwc(x.shape));
          const lt = g.input('low', nhwc(low.shape));
          const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 7, kernel: 1, relu: true, upsampleAdd: { tensor: lt, alignCorners: ac } });
          const addAfter = ref.bilinearResize(low, 8, 10, ac);
          return { inputs: [[xt, x], [lt, low]], outputs: [[y, ref.conv2d(x, w, { relu: true, addAfter })]] };
        }),
    }),
  ),
  {
    name: 'conv2d epilogue: upsample 1x1 -> 3x3 align_corners=true, c5, batch 2',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([2, 3, 3, 3], rng);
        const w = ref.randomTensor([5, 3, 3, 3], rng);
        const low = ref.randomTensor([2, 5, 1, 1], rng);
        const xt = g.input('x', nhwc(x.shape));
        const lt = g.input('low', nhwc(low.shape));
        const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 5, kernel: 3, padding: 1, upsampleAdd: { tensor: lt, alignCorners: true } });
        return { inputs: [[xt, x], [lt, low]], outputs: [[y, ref.conv2d(x, w, { pad: 1, addAfter: ref.bilinearResize(low, 3, 3, true) })]] };
      }),
  },
  {
    name: 'conv2d into channel views: two convs write a free concat [8 | 5]',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 3, 6, 7], rng);
        const w1 = ref.randomTensor([8, 3, 3, 3], rng);
        const w2 = ref.randomTensor([5, 3, 1, 1], rng);
        const xt = g.input('x', nhwc(x.shape));
        const cat = g.tensor('cat', [1, 6, 7, 13]);
        conv2d(g, 'a', xt, { weight: f32(w1.data), outChannels: 8, kernel: 3, padding: 1, relu: true, out: g.channelView(cat, 0, 8) });
        conv2d(g, 'b', xt, { weight: f32(w2.data), outChannels: 5, kernel: 1, out: g.channelView(cat, 8, 5) });
        const expect = ref.concatChannels([ref.conv2d(x, w1, { pad: 1, relu: true }), ref.conv2d(x, w2)]);
        return { inputs: [[xt, x]], outputs: [[cat, expect]] };
      }),
  },
  {
    name: 'conv2d chain: intermediates share planned buffers (3 convs, residual from the first)',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 4, 7, 5], rng);
        const w1 = ref.randomTensor([8, 4, 3, 3], rng);
        const w2 = ref.randomTensor([8, 8, 3, 3], rng, -0.3, 0.3);
        const w3 = ref.randomTensor([8, 8, 1, 1], rng, -0.3, 0.3);
        const xt = g.input('x', nhwc(x.shape));
        const a = conv2d(g, 'c1', xt, { weight: f32(w1.data), outChannels: 8, kernel: 3, padding: 1, relu: true });
        const b = conv2d(g, 'c2', a, { weight: f32(w2.data), outChannels: 8, kernel: 3, padding: 1, relu: true });
        const c = conv2d(g, 'c3', b, { weight: f32(w3.data), outChannels: 8, kernel: 1, residual: a, relu: true });
        const ra = ref.conv2d(x, w1, { pad: 1, relu: true });
        const rb = ref.conv2d(ra, w2, { pad: 1, relu: true });
        return { inputs: [[xt, x]], outputs: [[c, ref.conv2d(rb, w3, { residual: ra, relu: true })]] };
      }),
  },
];

export const conv2dCases: KernelCase[] = [
  ...shapes.map(([l, s]) => convCase(l, s)),
  ...epilogues,
  ...shapes.slice(0, 5).map(([l, s]) => convCase(l, { ...s, variant: 'direct' })),
];
