import { Graph, ShapeError } from '../../src/engine/index.ts';
import { denseChain, type DenseLayer } from '../../src/kernels/denseChain.ts';
import * as ref from '../reference/cpu.ts';
import { check, f32, type KernelCase, type Rng, type Mutation } from './harness.ts';

export interface LayerShape {
  out: number;
  bias?: boolean;
  bn?: boolean;
  relu?: boolean;
}

/** Random layers for a chain starting at width `inW`: the kernel's form and the reference's. */
export function randomLayers(inW: number, shapes: readonly LayerShape[], rng: Rng): { gpu: DenseLayer[]; cpu: ref.DenseLayer[] } {
  const gpu: DenseLayer[] = [];
  const cpu: ref.DenseLayer[] = [];
  let w = inW;
  for (const s of shapes) {
    // Weights ~ 1/sqrt(In) keep activations O(1) through long chains.
    const a = 1.7 / Math.sqrt(w);
    const wt = ref.randomArray(s.out * w, rng, -a, a);
    const bias = s.bias ? ref.randomArray(s.out, rng) : undefined;
    const scale = s.bn ? ref.randomArray(s.out, rng, 0.5, 1.5) : undefined;
    const shift = s.bn ? ref.randomArray(s.out, rng) : undefined;
    gpu.push({ weight: f32(wt), bias: bias && f32(bias), scale: scale && f32(scale), shift: shift && f32(shift), relu: s.relu });
    cpu.push({ w: wt, bias, scale, shift, relu: s.relu, outFeatures: s.out });
    w = s.out;
  }
  return { gpu, cpu };
}

function chainCase(label: string, n: number, inW: number, shapes: LayerShape[]): KernelCase {
  return {
    name: `denseChain ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor([n, inW, 1, 1], rng);
        const { gpu, cpu } = randomLayers(inW, shapes, rng);
        const xt = g.input('x', [n, 1, 1, inW]);
        const y = denseChain(g, 'mlp', xt, gpu);
        const out = shapes[shapes.length - 1].out;
        return { inputs: [[xt, x]], outputs: [[y, ref.tensor([n, out, 1, 1], ref.denseChain(x.data, cpu))]] };
      }),
  };
}

const cbr = (out: number): LayerShape => ({ out, bn: true, relu: true });

export const denseCases: KernelCase[] = [
  chainCase('one layer 7 -> 5 + bias', 1, 7, [{ out: 5, bias: true }]),
  chainCase('one layer 3 -> 1 relu, batch 2', 2, 3, [{ out: 1, relu: true }]),
  chainCase('5 -> 13 -> 3 bias, BN, relu, batch 2', 2, 5, [{ out: 13, bias: true, bn: true, relu: true }, { out: 3, bias: true }]),
  chainCase('regressor MLP scaled down: 128 -> 32 -> 32 -> 32 -> 61 + bias, batch 2', 2, 128, [cbr(32), cbr(32), cbr(32), { out: 61, bias: true }]),
  chainCase('regressor widths 2048 -> 512 -> 61 (input read from memory)', 1, 2048, [cbr(512), { out: 61, bias: true }]),
  chainCase('61 -> 2048 -> 7 (max intermediate width; more output groups than threads)', 1, 61, [{ out: 2048, bias: true, relu: true }, { out: 7 }]),
  chainCase('TAM widths scaled down: 24 -> 24 -> 8 -> 8 -> 8 -> 24 -> 24', 1, 24, [cbr(24), cbr(8), cbr(8), cbr(8), cbr(24), { out: 24 }]),
  chainCase('TAM widths full size: 768 -> 768 -> 256 -> 256 -> 256 -> 768 -> 768', 1, 768, [cbr(768), cbr(256), cbr(256), cbr(256), cbr(768), { out: 768 }]),
  {
    name: 'denseChain rejects a width over 2048 and a weight that does not fit',
    run: async () => {
      const g = new Graph();
      const x = g.input('x', [1, 1, 1, 16]);
      const tooWide = () => denseChain(g, 'wide', x, [{ weight: new Float32Array(16 * 2049) }, { weight: new Float32Array(2049) }]);
      const badWeight = () => denseChain(g, 'bad', x, [{ weight: new Float32Array(17) }]);
      for (const [what, f, want] of [['too wide', tooWide, /layer 0 outputs 2049 values, more than the 2048/], ['bad weight', badWeight, /layer 0: weight has 17 values/]] as const) {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        if (!(err instanceof ShapeError) || !want.test(err.message)) throw new Error(`${what}: expected a ShapeError matching ${want}, got ${err}`);
      }
    },
  },
];

/**
 * Plausible bugs in these kernels, each as a WGSL rewrite and the case that must catch it
 * (run by a mutation test: the case passes, the mutant fails with a MISMATCH or a padding error).
 */
export const denseMutants: [string, string, Mutation][] = [
  ['dense: last tree step skipped', 'regressor widths 2048', (s) => s.replace(/if \(t < (\d+)u\) \{ part\[t\] \+= part\[t \+ \1u\]; \}\n  workgroupBarrier\(\);\n  (?=if \(t < \d+u\) \{ var v)/g, '')],
  ['dense: weight lanes 1 and 2 swapped', 'denseChain 5 -> 13 -> 3', (s) => s.replace(/a\.y \* wv\(w \+ 1u\) \+ a\.z \* wv\(w \+ 2u\)/g, 'a.y * wv(w + 2u) + a.z * wv(w + 1u)')],
  ['dense: ReLU dropped', 'TAM widths scaled down', (s) => s.replace(/ v = max\(v, vec4<f32>\(0\.0\)\);/g, '')],
  ['dense: output-group loop stops at the thread count', '61 -> 2048 -> 7', (s) => s.replace('o4 < 512u; o4 += 256u', 'o4 < 256u; o4 += 256u')],
  ['dense: layer 2 reads the ping buffer instead of the pong one', 'TAM widths scaled down', (s) => s.replace(/(layer 2:[\s\S]*?)let a = B\[i4\];/, '$1let a = A[i4];')],
];
