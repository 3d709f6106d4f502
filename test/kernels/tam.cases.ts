import { conv2d } from '../../src/kernels/conv2d.ts';
import { denseChain } from '../../src/kernels/denseChain.ts';
import { globalAvgPool } from '../../src/kernels/globalAvgPool.ts';
import { taskAttention } from '../../src/kernels/taskAttention.ts';
import * as ref from '../reference/cpu.ts';
import { randomLayers, type LayerShape } from './dense.cases.ts';
import { check, f32, nhwc, type KernelCase, type Mutation } from './harness.ts';

function attentionCase(label: string, shape: [number, number, number, number], logitScale = 3): KernelCase {
  return {
    name: `taskAttention ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [n, c] = shape;
        const logits = ref.randomTensor([n, 3 * c, 1, 1], rng, -logitScale, logitScale);
        const feats = [0, 1, 2].map(() => ref.randomTensor(shape, rng));
        const lt = g.input('logits', [n, 1, 1, 3 * c]);
        const ts = feats.map((f, t) => g.input(`f${t}`, nhwc(f.shape)));
        const y = taskAttention(g, 'tam', lt, ts);
        return {
          inputs: [[lt, logits], ...feats.map((f, t) => [ts[t], f] as const)] as [typeof lt, ref.Tensor64][],
          outputs: [[y, ref.taskAttention(logits.data, feats)]],
        };
      }),
  };
}

const cbr = (out: number): LayerShape => ({ out, bn: true, relu: true });

/**
 * A whole TAM, scaled down (width c instead of 256), as the network runs it: the previous stack's
 * F0 (a 1x1 conv here) and T share the next stack's input concat [F0 | T]; T comes from GAP of the
 * three task features into one interleaved vector, the six 1x1 convs as one dense chain, and the
 * softmax-weighted sum written straight into the concat's channel view.
 */
function tamCase(label: string, n: number, c: number, h: number, w: number, f0c: number): KernelCase {
  return {
    name: `TAM graph ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const shape = [n, c, h, w];
        const feats = [0, 1, 2].map(() => ref.randomTensor(shape, rng));
        const x0 = ref.randomTensor([n, 3, h, w], rng);
        const w0 = ref.randomTensor([f0c, 3, 1, 1], rng);
        const widths: LayerShape[] = [cbr(3 * c), cbr(c), cbr(c), cbr(c), cbr(3 * c), { out: 3 * c }];
        const { gpu, cpu } = randomLayers(3 * c, widths, rng);

        const ts = feats.map((f, t) => g.input(`x_${['hm', 'pof', 'mask'][t]}`, nhwc(f.shape)));
        const x0t = g.input('x0', nhwc(x0.shape));
        const cat = g.tensor('cat', [n, h, w, f0c + c]);
        conv2d(g, 'f0', x0t, { weight: f32(w0.data), outChannels: f0c, kernel: 1, out: g.channelView(cat, 0, f0c) });
        const vec = g.tensor('gap', [n, 1, 1, 3 * c]);
        ts.forEach((t, i) => globalAvgPool(g, `gap${i}`, t, { out: vec, interleave: { count: 3, index: i } }));
        const logits = denseChain(g, 'convs', vec, gpu);
        taskAttention(g, 'attend', logits, ts, { out: g.channelView(cat, f0c, c) });

        const refLogits = ref.denseChain(ref.tamGapInterleave(feats), cpu);
        const expect = ref.concatChannels([ref.conv2d(x0, w0), ref.taskAttention(refLogits, feats)]);
        return { inputs: [...feats.map((f, i) => [ts[i], f] as const), [x0t, x0]] as [typeof x0t, ref.Tensor64][], outputs: [[cat, expect]] };
      }),
  };
}

export const tamCases: KernelCase[] = [
  attentionCase('C=5 4x3 batch 2 (ragged channel group)', [2, 5, 4, 3]),
  attentionCase('C=8 6x7', [1, 8, 6, 7]),
  attentionCase('C=1 1x1', [1, 1, 1, 1]),
  attentionCase('C=3 2x9', [1, 3, 2, 9]),
  attentionCase('C=7 16x16 (4 pixels per thread)', [1, 7, 16, 16]),
  attentionCase('C=12 5x5, logits up to +-100 (exp overflows f32 unless the max is subtracted)', [1, 12, 5, 5], 100),
  {
    name: 'taskAttention into a channel view of a concat buffer [F0 4 | T 5], batch 2',
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [n, c, h, w] = [2, 5, 3, 4];
        const logits = ref.randomTensor([n, 3 * c, 1, 1], rng, -3, 3);
        const feats = [0, 1, 2].map(() => ref.randomTensor([n, c, h, w], rng));
        const f0 = ref.randomTensor([n, 4, h, w], rng);
        const w0 = ref.randomTensor([4, 4, 1, 1], rng);
        const lt = g.input('logits', [n, 1, 1, 3 * c]);
        const ts = feats.map((f, t) => g.input(`f${t}`, nhwc(f.shape)));
        const f0t = g.input('f0', nhwc(f0.shape));
        const cat = g.tensor('cat', [n, h, w, 4 + c]);
        conv2d(g, 'f0conv', f0t, { weight: f32(w0.data), outChannels: 4, kernel: 1, out: g.channelView(cat, 0, 4) });
        taskAttention(g, 'tam', lt, ts, { out: g.channelView(cat, 4, c) });
        const expect = ref.concatChannels([ref.conv2d(f0, w0), ref.taskAttention(logits.data, feats)]);
        return {
          inputs: [[lt, logits], [f0t, f0], ...feats.map((f, t) => [ts[t], f] as const)] as [typeof lt, ref.Tensor64][],
          outputs: [[cat, expect]],
        };
      }),
  },
  tamCase('C=8 16x16, F0 4 channels', 1, 8, 16, 16, 4),
  tamCase('C=5 (15-wide vector) 6x5, batch 2, F0 8 channels', 2, 5, 6, 5, 8),
];

/**
 * Plausible bugs in these kernels, each as a WGSL rewrite and the case that must catch it
 * (run by a mutation test: the case passes, the mutant fails with a MISMATCH or a padding error).
 */
export const tamMutants: [string, string, Mutation][] = [
  ['taskAttention: softmax without subtracting the max', 'logits up to +-100', (s) => s.replace(/exp\(l(\d) - m\)/g, 'exp(l$1)')],
  ['taskAttention: de-interleave swaps two tasks', 'taskAttention C=8 6x7', (s) => s.replace('let l0 = vec4<f32>(q0.x, q0.w, q1.z, q2.y);', 'let l0 = vec4<f32>(q0.x, q0.w, q1.w, q2.y);')],
  ['taskAttention: last pixel of a thread not stored', 'C=7 16x16', (s) => s.replace(/if \(pb \+ 3u < (\d+)u\)/, 'if (pb + 3u < 0u)')],
];
