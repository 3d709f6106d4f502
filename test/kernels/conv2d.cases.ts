import { conv2d } from '../../src/kernels/conv2d.ts';
import type { Activation } from '../../src/kernels/index.ts';
import * as ref from '../reference/cpu.ts';
import { check, f32, nhwc, type KernelCase, type Mutation } from './harness.ts';

/** A case's activation: PReLU slopes are drawn in [-1, 1) per channel (both signs). */
export type CaseActivation = 'relu' | 'relu6' | 'prelu';

/** The kernel's and the reference's form of a case activation. */
export function caseActivation(a: CaseActivation | undefined, channels: number, rng: () => number): { gpu?: Activation; ref?: ref.Activation } {
  if (a !== 'prelu') return { gpu: a, ref: a };
  const slopes = ref.randomArray(channels, rng);
  return { gpu: { prelu: f32(slopes) }, ref: { prelu: slopes } };
}

interface ConvShape {
  n?: number;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number | [number, number];
  s?: number | [number, number];
  p?: ref.Padding;
  /** TensorFlow SAME padding (asymmetric where the sizes make it so) instead of p. */
  same?: boolean;
  relu?: boolean;
  act?: CaseActivation;
  bias?: boolean;
  bn?: boolean;
  /** A residual with this many channels (<= co; fewer is a channel-padded shortcut). */
  res?: number;
  /** Input value range (wider makes relu6 clip). */
  range?: [number, number];
  variant?: Variant;
}

type Variant = 'blocked' | 'tiled' | 'direct';
/** The case-name prefix of a variant: `conv2d`, `conv2d(tiled)`, `conv2d(direct)`. */
const conv2dName = (v: Variant | undefined) => `conv2d${v && v !== 'blocked' ? `(${v})` : ''}`;

const pairOf = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

function convCase(label: string, s: ConvShape): KernelCase {
  return {
    name: `${conv2dName(s.variant)} ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [kh, kw] = pairOf(s.k, 1);
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng, ...(s.range ?? [-1, 1]));
        const w = ref.randomTensor([s.co, s.c, kh, kw], rng);
        const bias = s.bias ? ref.randomArray(s.co, rng) : undefined;
        const scale = s.bn ? ref.randomArray(s.co, rng, 0.5, 1.5) : undefined;
        const shift = s.bn ? ref.randomArray(s.co, rng) : undefined;
        const act = caseActivation(s.act, s.co, rng);
        const pad = s.same ? ref.samePads(s.h, s.w, s.k, s.s) : s.p;
        const res = s.res === undefined ? undefined : ref.randomTensor([s.n ?? 1, s.res, ...ref.conv2d(x, w, { stride: s.s, pad }).shape.slice(2)], rng);
        const xt = g.input('x', nhwc(x.shape));
        const rt = res && g.input('res', nhwc(res.shape));
        const y = conv2d(g, 'conv', xt, {
          weight: f32(w.data), outChannels: s.co, kernel: s.k, stride: s.s, padding: pad, relu: s.relu, activation: act.gpu,
          bias: bias && f32(bias), scale: scale && f32(scale), shift: shift && f32(shift), residual: rt, variant: s.variant,
        });
        const expect = ref.conv2d(x, w, { stride: s.s, pad, bias, scale, shift, relu: s.relu, act: act.ref, residual: res });
        return { inputs: rt && res ? [[xt, x], [rt, res]] : [[xt, x]], outputs: [[y, expect]] };
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
  // Bigger than one of the tiled variant's tiles (64 pixels x 16 vec4 groups, 8 K entries a slice).
  ['tiles 3x3 p1 c37->70 13x11 bn relu (partial tiles both ways, partial last K slice)', { c: 37, h: 13, w: 11, co: 70, k: 3, p: 1, bn: true, relu: true }],
  ['long K 3x3 p1 c64->16 6x5 (18 whole K slices)', { c: 64, h: 6, w: 5, co: 16, k: 3, p: 1 }],
  ['batch 2 1x1 c9->66 17x9 relu6 (3 pixel tiles, a 1-group channel tile)', { n: 2, c: 9, h: 17, w: 9, co: 66, k: 1, act: 'relu6', range: [-3, 3] }],
  ['batch 2 3x3 s2 p1 on a 1x1 map c20->36 prelu', { n: 2, c: 20, h: 1, w: 1, co: 36, k: 3, s: 2, p: 1, act: 'prelu' }],
];

/** TFLite shapes: SAME (asymmetric on even sizes with stride 2), VALID, explicit pads, relu6 past 6, PReLU. */
const tfliteShapes: [string, ConvShape][] = [
  ['SAME 3x3 s2 on even 16x12 (pads 0,1) c5->7 relu6', { c: 5, h: 16, w: 12, co: 7, k: 3, s: 2, same: true, act: 'relu6', range: [-3, 3] }],
  ['SAME 3x3 s2 on odd 9x7 (pads 1,1) c3->8 prelu', { c: 3, h: 9, w: 7, co: 8, k: 3, s: 2, same: true, act: 'prelu' }],
  ['pads {2,0,1,3} 3x3 c3->5 7x6 batch 2 bias prelu', { n: 2, c: 3, h: 7, w: 6, co: 5, k: 3, p: { top: 2, bottom: 0, left: 1, right: 3 }, bias: true, act: 'prelu' }],
  ['SAME 5x5 s1 c4->6 8x5 bn prelu', { c: 4, h: 8, w: 5, co: 6, k: 5, same: true, bn: true, act: 'prelu' }],
  ['SAME 2x2 s1 (pads 0,1) c7->4 6x5 relu6', { c: 7, h: 6, w: 5, co: 4, k: 2, same: true, act: 'relu6', range: [-3, 3] }],
  ['VALID 3x3 s2 c1->3 8x9 (floor)', { c: 1, h: 8, w: 9, co: 3, k: 3, s: 2 }],
  ['SAME 3x3 s2 on a 1x1 map c3->4 relu6', { c: 3, h: 1, w: 1, co: 4, k: 3, s: 2, same: true, act: 'relu6', range: [-5, 5] }],
  ['palm stem SAME 5x5 s2 c3->16 24x24 (pads 1,2) bias prelu', { c: 3, h: 24, w: 24, co: 16, k: 5, s: 2, same: true, bias: true, act: 'prelu' }],
  ['1x1 c16->32 + residual c24 (channel-padded shortcut) prelu 6x6', { c: 16, h: 6, w: 6, co: 32, k: 1, res: 24, act: 'prelu' }],
  ['1x1 c4->7 + residual c5 (partial group) relu6 5x3', { c: 4, h: 5, w: 3, co: 7, k: 1, res: 5, act: 'relu6', range: [-4, 4] }],
  ['3x3 SAME c6->12 + residual c3 batch 2 4x5', { n: 2, c: 6, h: 4, w: 5, co: 12, k: 3, same: true, res: 3, bn: true }],
];

/** Fused-epilogue cases, for each variant that has the epilogue. */
const epilogues = (variant: Variant): KernelCase[] => [
  {
    name: `${conv2dName(variant)} epilogue: bn + residual + relu (bottleneck output)`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([2, 8, 5, 6], rng);
        const w = ref.randomTensor([12, 8, 1, 1], rng);
        const res = ref.randomTensor([2, 12, 5, 6], rng);
        const scale = ref.randomArray(12, rng, 0.5, 1.5);
        const shift = ref.randomArray(12, rng);
        const xt = g.input('x', nhwc(x.shape));
        const rt = g.input('res', nhwc(res.shape));
        const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 12, kernel: 1, scale: f32(scale), shift: f32(shift), residual: rt, relu: true, variant });
        return { inputs: [[xt, x], [rt, res]], outputs: [[y, ref.conv2d(x, w, { scale, shift, residual: res, relu: true })]] };
      }),
  },
  ...[true, false].map(
    (ac): KernelCase => ({
      name: `${conv2dName(variant)} epilogue: relu then + bilinear upsample (align_corners=${ac}) 4x5 -> 8x10, c7`,
      run: (engine, seed) =>
        check(engine, seed, (g, rng) => {
          const x = ref.randomTensor([1, 5, 8, 10], rng);
          const w = ref.randomTensor([7, 5, 1, 1], rng);
          const low = ref.randomTensor([1, 7, 4, 5], rng);
          const xt = g.input('x', nhwc(x.shape));
          const lt = g.input('low', nhwc(low.shape));
          const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 7, kernel: 1, relu: true, upsampleAdd: { tensor: lt, alignCorners: ac }, variant });
          const addAfter = ref.bilinearResize(low, 8, 10, ac);
          return { inputs: [[xt, x], [lt, low]], outputs: [[y, ref.conv2d(x, w, { relu: true, addAfter })]] };
        }),
    }),
  ),
  {
    name: `${conv2dName(variant)} epilogue: upsample 1x1 -> 3x3 align_corners=true, c5, batch 2`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([2, 3, 3, 3], rng);
        const w = ref.randomTensor([5, 3, 3, 3], rng);
        const low = ref.randomTensor([2, 5, 1, 1], rng);
        const xt = g.input('x', nhwc(x.shape));
        const lt = g.input('low', nhwc(low.shape));
        const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 5, kernel: 3, padding: 1, upsampleAdd: { tensor: lt, alignCorners: true }, variant });
        return { inputs: [[xt, x], [lt, low]], outputs: [[y, ref.conv2d(x, w, { pad: 1, addAfter: ref.bilinearResize(low, 3, 3, true) })]] };
      }),
  },
  {
    name: `${conv2dName(variant)} into channel views: two convs write a free concat [8 | 5]`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 3, 6, 7], rng);
        const w1 = ref.randomTensor([8, 3, 3, 3], rng);
        const w2 = ref.randomTensor([5, 3, 1, 1], rng);
        const xt = g.input('x', nhwc(x.shape));
        const cat = g.tensor('cat', [1, 6, 7, 13]);
        conv2d(g, 'a', xt, { weight: f32(w1.data), outChannels: 8, kernel: 3, padding: 1, relu: true, out: g.channelView(cat, 0, 8), variant });
        conv2d(g, 'b', xt, { weight: f32(w2.data), outChannels: 5, kernel: 1, out: g.channelView(cat, 8, 5), variant });
        const expect = ref.concatChannels([ref.conv2d(x, w1, { pad: 1, relu: true }), ref.conv2d(x, w2)]);
        return { inputs: [[xt, x]], outputs: [[cat, expect]] };
      }),
  },
  {
    name: `${conv2dName(variant)} chain: intermediates share planned buffers (3 convs, residual from the first)`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 4, 7, 5], rng);
        const w1 = ref.randomTensor([8, 4, 3, 3], rng);
        const w2 = ref.randomTensor([8, 8, 3, 3], rng, -0.3, 0.3);
        const w3 = ref.randomTensor([8, 8, 1, 1], rng, -0.3, 0.3);
        const xt = g.input('x', nhwc(x.shape));
        const a = conv2d(g, 'c1', xt, { weight: f32(w1.data), outChannels: 8, kernel: 3, padding: 1, relu: true, variant });
        const b = conv2d(g, 'c2', a, { weight: f32(w2.data), outChannels: 8, kernel: 3, padding: 1, relu: true, variant });
        const c = conv2d(g, 'c3', b, { weight: f32(w3.data), outChannels: 8, kernel: 1, residual: a, relu: true, variant });
        const ra = ref.conv2d(x, w1, { pad: 1, relu: true });
        const rb = ref.conv2d(ra, w2, { pad: 1, relu: true });
        return { inputs: [[xt, x]], outputs: [[c, ref.conv2d(rb, w3, { residual: ra, relu: true })]] };
      }),
  },
];

const tfliteEpilogues = (variant: Variant): KernelCase[] => [
  {
    name: `${conv2dName(variant)} epilogue: relu6 then + bilinear upsample (asymmetric) 3x4 -> 7x9, c6`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 5, 7, 9], rng, -4, 4);
        const w = ref.randomTensor([6, 5, 1, 1], rng);
        const low = ref.randomTensor([1, 6, 3, 4], rng);
        const xt = g.input('x', nhwc(x.shape));
        const lt = g.input('low', nhwc(low.shape));
        const y = conv2d(g, 'conv', xt, { weight: f32(w.data), outChannels: 6, kernel: 1, activation: 'relu6', upsampleAdd: { tensor: lt, coordinates: 'asymmetric' }, variant });
        const addAfter = ref.bilinearResize(low, 7, 9, 'asymmetric');
        return { inputs: [[xt, x], [lt, low]], outputs: [[y, ref.conv2d(x, w, { act: 'relu6', addAfter })]] };
      }),
  },
];

// Blocked first: mutants find their case by the first name that contains a text.
export const conv2dCases: KernelCase[] = [
  ...shapes.map(([l, s]) => convCase(l, s)),
  ...epilogues('blocked'),
  ...shapes.slice(0, 5).map(([l, s]) => convCase(l, { ...s, variant: 'direct' })),
  ...tfliteShapes.map(([l, s]) => convCase(l, s)),
  ...tfliteEpilogues('blocked'),
  ...tfliteShapes.slice(0, 3).map(([l, s]) => convCase(l, { ...s, variant: 'direct' })),
  ...[...shapes, ...tfliteShapes].map(([l, s]) => convCase(l, { ...s, variant: 'tiled' })),
  ...epilogues('tiled'),
  ...tfliteEpilogues('tiled'),
];

/** WGSL rewrites that shift every `<ky|kx>) - <pad>` by d (the top or left padding of the taps). */
// The padding is a literal (direct variant) or a param (P.padT / P.padL).
const shiftPad = (axis: 'ky' | 'kx', d: number): Mutation => (s) => s.replace(new RegExp(`${axis}\\) - (\\d+|P\\.pad[TL])`, 'g'), (_, p) => `${axis}) - (${p} + ${d})`);

/**
 * Plausible bugs in the TFLite-facing parts of conv2d, each as a WGSL rewrite and the case that
 * must catch it (the case passes, the mutant fails with a MISMATCH).
 */
export const conv2dMutants: [string, string, Mutation][] = [
  ['conv2d: SAME made symmetric (top pad 0 -> 1)', 'conv2d SAME 3x3 s2 on even 16x12', shiftPad('ky', 1)],
  ['conv2d: SAME left pad 1 -> 0', 'conv2d SAME 3x3 s2 on odd 9x7', shiftPad('kx', -1)],
  ['conv2d(direct): SAME made symmetric (top pad 0 -> 1)', 'conv2d(direct) SAME 3x3 s2 on even', shiftPad('ky', 1)],
  ['conv2d: relu6 clamps at 7', 'conv2d SAME 3x3 s2 on even 16x12', (s) => s.replace(/vec4<f32>\(6\.0\)/g, 'vec4<f32>(7.0)')],
  ['conv2d: relu6 dropped', 'conv2d SAME 2x2 s1', (s) => s.replace(/v = clamp\(v, [^;]+\);/g, '')],
  ['conv2d(direct): relu6 clamps at 7', 'conv2d(direct) SAME 3x3 s2 on even', (s) => s.replace(/f32\(6\.0\)/g, 'f32(7.0)')],
  ['conv2d: PReLU slope ignored (acts as ReLU)', 'conv2d SAME 5x5 s1 c4->6', (s) => s.replace(/select\(v \* [^,]+, v, v >= vec4<f32>\(0\.0\)\)/g, 'max(v, vec4<f32>(0.0))')],
  ['conv2d: PReLU slope applied to positives too', 'conv2d palm stem', (s) => s.replace(/select\((v \* [^,]+), v, [^;]+\)/g, '$1')],
  ['conv2d(direct): PReLU slope from the next channel', 'conv2d(direct) SAME 3x3 s2 on odd', (s) => s.replace(/SS\[(\d+)u \+ oc\]/, 'SS[$1u + oc + 1u]')],
  ['conv2d: residual cut off one group early', '1x1 c16->32 + residual c24', (s) => s.replace(/if \(c4 < P\.r4\)/g, 'if (c4 < P.r4 - 1u)')],
  ['conv2d: residual read past its channels', '1x1 c16->32 + residual c24', (s) => s.replace(/if \(c4 < P\.r4\)/g, 'if (c4 < 8u)')],
  ['conv2d: residual added after PReLU', '1x1 c16->32 + residual c24', (s) => s.replace(/(if \(c4 < P\.r4\) \{[^}]*\})\s*(v = select\([^;]+;)/g, '$2 $1')],
  ['conv2d upsampleAdd: asymmetric given the half-pixel shift', 'upsample (asymmetric)', (s) => s.replace(/f32\(oy\) \* (P\.uSY)/, 'max((f32(oy) + 0.5) * $1 - 0.5, 0.0)')],
];
