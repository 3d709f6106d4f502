import { conv2d } from '../../src/kernels/conv2d.ts';
import { depthwiseConv2d } from '../../src/kernels/depthwiseConv2d.ts';
import { maxPool2d } from '../../src/kernels/maxPool2d.ts';
import * as ref from '../reference/cpu.ts';
import { caseActivation, type CaseActivation } from './conv2d.cases.ts';
import { check, f32, nhwc, type KernelCase, type Mutation } from './harness.ts';

interface DwShape {
  n?: number;
  c: number;
  h: number;
  w: number;
  /** Depth multiplier (default 1). */
  m?: number;
  k: number | [number, number];
  s?: number | [number, number];
  p?: ref.Padding;
  /** TensorFlow SAME padding instead of p. */
  same?: boolean;
  act?: CaseActivation;
  bias?: boolean;
  bn?: boolean;
  /** A residual with this many channels (<= c*m). */
  res?: number;
  /** All-ones weights (the importer's 1x1 identity carrying a standalone activation). */
  ones?: boolean;
  range?: [number, number];
}

function dwCase(label: string, s: DwShape): KernelCase {
  return {
    name: `depthwiseConv2d ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const m = s.m ?? 1;
        const co = s.c * m;
        const [kh, kw] = typeof s.k === 'number' ? [s.k, s.k] : s.k;
        const x = ref.randomTensor([s.n ?? 1, s.c, s.h, s.w], rng, ...(s.range ?? [-1, 1]));
        const w = s.ones ? ref.tensor([co, 1, kh, kw], new Array(co * kh * kw).fill(1)) : ref.randomTensor([co, 1, kh, kw], rng);
        const bias = s.bias ? ref.randomArray(co, rng) : undefined;
        const scale = s.bn ? ref.randomArray(co, rng, 0.5, 1.5) : undefined;
        const shift = s.bn ? ref.randomArray(co, rng) : undefined;
        const act = caseActivation(s.act, co, rng);
        const pad = s.same ? ref.samePads(s.h, s.w, s.k, s.s) : s.p;
        const o = { stride: s.s, pad, depthMultiplier: m };
        const res = s.res === undefined ? undefined : ref.randomTensor([s.n ?? 1, s.res, ...ref.depthwiseConv2d(x, w, o).shape.slice(2)], rng);
        const xt = g.input('x', nhwc(x.shape));
        const rt = res && g.input('res', nhwc(res.shape));
        const y = depthwiseConv2d(g, 'dw', xt, {
          weight: f32(w.data), kernel: s.k, stride: s.s, padding: pad, depthMultiplier: s.m, activation: act.gpu,
          bias: bias && f32(bias), scale: scale && f32(scale), shift: shift && f32(shift), residual: rt,
        });
        const expect = ref.depthwiseConv2d(x, w, { ...o, bias, scale, shift, act: act.ref, residual: res });
        return { inputs: rt && res ? [[xt, x], [rt, res]] : [[xt, x]], outputs: [[y, expect]] };
      }),
  };
}

const shapes: [string, DwShape][] = [
  ['3x3 s1 SAME c5 7x9 relu6 (x-blocks of 4, tail of 1)', { c: 5, h: 7, w: 9, k: 3, same: true, act: 'relu6', range: [-4, 4] }],
  ['3x3 s2 SAME on even 12x10 (pads 0,1) c7 bias', { c: 7, h: 12, w: 10, k: 3, s: 2, same: true, bias: true }],
  ['5x5 s2 SAME c24 16x16 (pads 1,2) prelu (palm)', { c: 24, h: 16, w: 16, k: 5, s: 2, same: true, act: 'prelu' }],
  ['5x5 s1 SAME c3 6x5 batch 2 bn', { n: 2, c: 3, h: 6, w: 5, k: 5, same: true, bn: true }],
  ['3x3 s2 VALID c1 9x8', { c: 1, h: 9, w: 8, k: 3, s: 2 }],
  ['3x3 s1 SAME on a 1x1 map c4 relu', { c: 4, h: 1, w: 1, k: 3, same: true, act: 'relu' }],
  ['multiplier 2 3x3 s1 SAME c3->6 5x7 prelu', { c: 3, m: 2, h: 5, w: 7, k: 3, same: true, act: 'prelu' }],
  ['multiplier 2 5x5 s2 SAME c5->10 9x9 batch 2 bias', { n: 2, c: 5, m: 2, h: 9, w: 9, k: 5, s: 2, same: true, bias: true }],
  ['multiplier 3 3x3 s1 SAME c2->6 4x4 (lanes span input groups)', { c: 2, m: 3, h: 4, w: 4, k: 3, same: true }],
  ['3x3 pads {0,2,2,0} c12 6x3 + residual c6 relu6', { c: 12, h: 6, w: 3, k: 3, p: { top: 0, bottom: 2, left: 2, right: 0 }, res: 6, act: 'relu6', range: [-4, 4] }],
  ['1x1 identity + prelu c6 4x5 (a standalone PRELU)', { c: 6, h: 4, w: 5, k: 1, ones: true, act: 'prelu' }],
  ['5x5 s2 SAME on a 2x1 map c12', { c: 12, h: 2, w: 1, k: 5, s: 2, same: true }],
  ['[3,5] kernel s[1,2] SAME c8 7x11 + residual c8 prelu', { c: 8, h: 7, w: 11, k: [3, 5], s: [1, 2], same: true, res: 8, act: 'prelu' }],
];

const blocks: KernelCase[] = [
  {
    // BlazePalm's stride-2 block: dw 5x5 s2 -> 1x1 conv + (maxpool 2x2 s2 shortcut, channels padded 24 -> 32) -> PReLU,
    // then a stride-1 block: dw 5x5 -> 1x1 + identity shortcut -> PReLU.
    name: 'depthwiseConv2d palm-style blocks: dw5x5 s2 -> 1x1 + maxpool shortcut padded 24->32 -> prelu; dw5x5 -> 1x1 + shortcut -> prelu (16x16)',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 24, 16, 16], rng);
        const wd1 = ref.randomTensor([24, 1, 5, 5], rng, -0.5, 0.5);
        const b1 = ref.randomArray(24, rng);
        const w1 = ref.randomTensor([32, 24, 1, 1], rng, -0.5, 0.5);
        const a1 = ref.randomArray(32, rng);
        const wd2 = ref.randomTensor([32, 1, 5, 5], rng, -0.5, 0.5);
        const w2 = ref.randomTensor([32, 32, 1, 1], rng, -0.3, 0.3);
        const b2 = ref.randomArray(32, rng);
        const a2 = ref.randomArray(32, rng);
        const same = ref.samePads(16, 16, 5, 2);
        const same1 = ref.samePads(8, 8, 5, 1);
        const xt = g.input('x', nhwc(x.shape));
        const d1 = depthwiseConv2d(g, 'dw1', xt, { weight: f32(wd1.data), kernel: 5, stride: 2, padding: same, bias: f32(b1) });
        const sc = maxPool2d(g, 'pool', xt, { kernel: 2, stride: 2, padding: ref.samePads(16, 16, 2, 2) });
        const y1 = conv2d(g, 'pw1', d1, { weight: f32(w1.data), outChannels: 32, kernel: 1, residual: sc, activation: { prelu: f32(a1) } });
        const d2 = depthwiseConv2d(g, 'dw2', y1, { weight: f32(wd2.data), kernel: 5, padding: same1 });
        const y2 = conv2d(g, 'pw2', d2, { weight: f32(w2.data), outChannels: 32, kernel: 1, bias: f32(b2), residual: y1, activation: { prelu: f32(a2) } });
        const r1 = ref.conv2d(ref.depthwiseConv2d(x, wd1, { stride: 2, pad: same, bias: b1 }), w1, { residual: ref.maxPool2d(x, 2, 2), act: { prelu: a1 } });
        const r2 = ref.conv2d(ref.depthwiseConv2d(r1, wd2, { pad: same1 }), w2, { bias: b2, residual: r1, act: { prelu: a2 } });
        return { inputs: [[xt, x]], outputs: [[y2, r2]] };
      }),
  },
  {
    // MobileNetV2-style inverted residuals as in the hand landmark model: expand 1x1 relu6 ->
    // dw 3x3 relu6 -> project 1x1, first with stride 2 (no shortcut), then stride 1 + residual.
    name: 'depthwiseConv2d landmark-style blocks: 1x1 relu6 -> dw3x3 s2 relu6 -> 1x1; 1x1 relu6 -> dw3x3 relu6 -> 1x1 + residual (16x16)',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([1, 8, 16, 16], rng, -3, 3);
        const we1 = ref.randomTensor([24, 8, 1, 1], rng);
        const wd1 = ref.randomTensor([24, 1, 3, 3], rng);
        const wp1 = ref.randomTensor([12, 24, 1, 1], rng, -0.5, 0.5);
        const we2 = ref.randomTensor([36, 12, 1, 1], rng);
        const wd2 = ref.randomTensor([36, 1, 3, 3], rng);
        const bd2 = ref.randomArray(36, rng);
        const wp2 = ref.randomTensor([12, 36, 1, 1], rng, -0.5, 0.5);
        const s2 = ref.samePads(16, 16, 3, 2);
        const s1 = ref.samePads(8, 8, 3, 1);
        const xt = g.input('x', nhwc(x.shape));
        const e1 = conv2d(g, 'e1', xt, { weight: f32(we1.data), outChannels: 24, kernel: 1, activation: 'relu6' });
        const d1 = depthwiseConv2d(g, 'd1', e1, { weight: f32(wd1.data), kernel: 3, stride: 2, padding: s2, activation: 'relu6' });
        const p1 = conv2d(g, 'p1', d1, { weight: f32(wp1.data), outChannels: 12, kernel: 1 });
        const e2 = conv2d(g, 'e2', p1, { weight: f32(we2.data), outChannels: 36, kernel: 1, activation: 'relu6' });
        const d2 = depthwiseConv2d(g, 'd2', e2, { weight: f32(wd2.data), kernel: 3, padding: s1, bias: f32(bd2), activation: 'relu6' });
        const p2 = conv2d(g, 'p2', d2, { weight: f32(wp2.data), outChannels: 12, kernel: 1, residual: p1 });
        const r1 = ref.conv2d(ref.depthwiseConv2d(ref.conv2d(x, we1, { act: 'relu6' }), wd1, { stride: 2, pad: s2, act: 'relu6' }), wp1);
        const rd2 = ref.depthwiseConv2d(ref.conv2d(r1, we2, { act: 'relu6' }), wd2, { pad: s1, bias: bd2, act: 'relu6' });
        return { inputs: [[xt, x]], outputs: [[p2, ref.conv2d(rd2, wp2, { residual: r1 })]] };
      }),
  },
];

export const depthwiseCases: KernelCase[] = [...shapes.map(([l, s]) => dwCase(l, s)), ...blocks];

/**
 * Plausible bugs in the depthwise kernel, each as a WGSL rewrite and the case that must catch it
 * (the case passes, the mutant fails with a MISMATCH).
 */
export const depthwiseMutants: [string, string, Mutation][] = [
  ['depthwise: SAME made symmetric (top pad 0 -> 1)', 'depthwiseConv2d 3x3 s2 SAME on even', (s) => s.replace(/ky\) - P\.padT;/, 'ky) - (P.padT + 1);')],
  ['depthwise: SAME left pad 1 -> 0', 'depthwiseConv2d 5x5 s2 SAME c24', (s) => s.replace(/\(ox0 \* (\d+)u\) - P\.padL;/, '(ox0 * $1u) - (P.padL - 1);')],
  ['depthwise: reads the neighbouring channel group', 'depthwiseConv2d 5x5 s2 SAME c24', (s) => s.replace(/(X\[[^\]]*)\+ \(c4\)\]/g, '$1+ (c4 ^ 1u)]')],
  ['depthwise: depth multiplier ignored', 'depthwiseConv2d multiplier 2 3x3', (s) => s.replace('/ vec4<u32>(P.m)', '/ vec4<u32>(1u)')],
  ['depthwise: multiplier 3 lanes read one input group', 'depthwiseConv2d multiplier 3', (s) => s.replace(/let ch = [^;]+;/, 'let ch = vec4<u32>(c4 * 4u / 3u);')],
  ['depthwise: relu6 clamps at 7', 'depthwiseConv2d 3x3 s1 SAME c5 7x9 relu6', (s) => s.replace(/vec4<f32>\(6\.0\)/g, 'vec4<f32>(7.0)')],
  ['depthwise: PReLU slope ignored (acts as ReLU)', 'depthwiseConv2d 1x1 identity + prelu', (s) => s.replace(/select\(v \* [^,]+, v, v >= vec4<f32>\(0\.0\)\)/g, 'max(v, vec4<f32>(0.0))')],
  ['depthwise: PReLU slope applied to positives too', 'depthwiseConv2d multiplier 2 3x3', (s) => s.replace(/select\((v \* [^,]+), v, [^;]+\)/g, '$1')],
  ['depthwise: residual cut off one group early', 'depthwiseConv2d 3x3 pads {0,2,2,0} c12', (s) => s.replace(/if \(c4 < P\.r4\)/g, 'if (c4 < P.r4 - 1u)')],
  ['depthwise: residual read past its channels', 'depthwiseConv2d 3x3 pads {0,2,2,0} c12', (s) => s.replace(/if \(c4 < P\.r4\)/g, 'if (c4 < 3u)')],
  ['depthwise: last pixel of an x-block not stored', 'depthwiseConv2d 3x3 s1 SAME c5 7x9', (s) => s.replace(/if \(ox0 \+ 3u < P\.yW\)/, 'if (ox0 + 3u < 0u)')],
  ['depthwise: stride ignored between a block\'s outputs', 'depthwiseConv2d [3,5] kernel s[1,2]', (s) => s.replace(/a1 \+= x2 \* w0/, 'a1 += x1 * w0')],
];
