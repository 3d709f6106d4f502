import { add } from '../../src/kernels/add.ts';
import * as ref from '../reference/cpu.ts';
import { caseActivation, type CaseActivation } from './conv2d.cases.ts';
import { check, nhwc, type KernelCase, type Mutation } from './harness.ts';

function addCase(label: string, shape: [number, number, number, number], bChannels: number, act?: CaseActivation, range: [number, number] = [-1, 1]): KernelCase {
  return {
    name: `add ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [n, c, h, w] = shape;
        const a = ref.randomTensor(shape, rng, ...range);
        const b = ref.randomTensor([n, bChannels, h, w], rng, ...range);
        const activation = caseActivation(act, c, rng);
        const at = g.input('a', nhwc(a.shape));
        const bt = g.input('b', nhwc(b.shape));
        const y = add(g, 'add', at, bt, { activation: activation.gpu });
        return { inputs: [[at, a], [bt, b]], outputs: [[y, ref.activate(ref.add(a, b), activation.ref ?? 'none')]] };
      }),
  };
}

export const addCases: KernelCase[] = [
  addCase('c7 + c7 5x6', [1, 7, 5, 6], 7),
  addCase('c32 + c24 (channel-padded shortcut) 4x4 relu6', [1, 32, 4, 4], 24, 'relu6', [-5, 5]),
  addCase('c5 + c3 batch 2 3x2 prelu', [2, 5, 3, 2], 3, 'prelu'),
  addCase('c6 + c6 on a 1x1 map relu', [1, 6, 1, 1], 6, 'relu'),
];

/**
 * Plausible bugs in the add kernel, each as a WGSL rewrite and the case that must catch it
 * (the case passes, the mutant fails with a MISMATCH).
 */
export const addMutants: [string, string, Mutation][] = [
  ['add: narrow operand read past its channels', 'add c32 + c24', (s) => s.replace(/if \(c4 < \d+u\) \{ ([^}]*) \}/, '$1')],
  ['add: relu6 clamps at 7', 'add c32 + c24', (s) => s.replace(/vec4<f32>\(6\.0\)/g, 'vec4<f32>(7.0)')],
  ['add: PReLU slope applied to positives too', 'add c5 + c3', (s) => s.replace(/select\((v \* [^,]+), v, [^;]+\)/g, '$1')],
];
