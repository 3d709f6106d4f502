import { bilinearResize } from '../../src/kernels/bilinearResize.ts';
import * as ref from '../reference/cpu.ts';
import { check, nhwc, type KernelCase, type Mutation } from './harness.ts';

/** `mode`: PyTorch's align_corners flag, or a TFLite mode passed as `coordinates` (the reference then uses TFLite's own tap rules). */
function resizeCase(label: string, shape: [number, number, number, number], oh: number, ow: number, mode: boolean | ref.ResizeCoordinates): KernelCase {
  return {
    name: `bilinearResize ${typeof mode === 'boolean' ? `align_corners=${mode}` : mode} ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor(shape, rng);
        const xt = g.input('x', nhwc(x.shape));
        const y = bilinearResize(g, 'resize', xt, { height: oh, width: ow, ...(typeof mode === 'boolean' ? { alignCorners: mode } : { coordinates: mode }) });
        return { inputs: [[xt, x]], outputs: [[y, ref.bilinearResize(x, oh, ow, mode)]] };
      }),
  };
}

const shapes: [string, [number, number, number, number], number, number][] = [
  ['up x2 c4 8x8 -> 16x16 (decoder)', [1, 4, 8, 8], 16, 16],
  ['up c3 4x5 -> 9x13', [1, 3, 4, 5], 9, 13],
  ['down c5 9x7 -> 4x3', [1, 5, 9, 7], 4, 3],
  ['1x1 -> 3x4 c1', [1, 1, 1, 1], 3, 4],
  ['5x6 -> 1x1 c7', [1, 7, 5, 6], 1, 1],
  ['3x3 -> 7x2 batch 2 c6', [2, 6, 3, 3], 7, 2],
  ['same size 6x5 c2', [1, 2, 6, 5], 6, 5],
  ['1x7 -> 4x3 c9 (one row in)', [1, 9, 1, 7], 4, 3],
];

export const bilinearCases: KernelCase[] = [
  ...[true, false].flatMap((ac) => shapes.map(([l, s, oh, ow]) => resizeCase(l, s, oh, ow, ac))),
  // TFLite's modes; asymmetric on every shape, the other two once each (they share the PyTorch code).
  ...shapes.map(([l, s, oh, ow]) => resizeCase(l, s, oh, ow, 'asymmetric')),
  resizeCase('up c3 4x5 -> 9x13', [1, 3, 4, 5], 9, 13, 'halfPixel'),
  resizeCase('down c5 9x7 -> 4x3', [1, 5, 9, 7], 4, 3, 'alignCorners'),
];

/**
 * Plausible bugs in these kernels, each as a WGSL rewrite and the case that must catch it
 * (run by a mutation test: the case passes, the mutant fails with a MISMATCH or a padding error).
 */
export const bilinearMutants: [string, string, Mutation][] = [
  ['bilinear: align_corners=false sampled as true', 'align_corners=false up c3 4x5', (s) => s.replace(/max\(\(f32\(oy\) \+ 0\.5\) \* (P\.\w+) - 0\.5, 0\.0\)/, 'f32(oy) * $1')],
  ['bilinear: right tap = left tap', 'align_corners=true up c3 4x5', (s) => s.replace('let x1 = min(x0 + 1u', 'let x1 = min(x0 + 0u')],
  ['bilinear: asymmetric given the half-pixel shift', 'bilinearResize asymmetric up c3 4x5', (s) => s.replace(/f32\(oy\) \* (P\.\w+)/, 'max((f32(oy) + 0.5) * $1 - 0.5, 0.0)')],
  ['bilinear: asymmetric downsampling given the half-pixel shift (columns)', 'bilinearResize asymmetric down c5', (s) => s.replace(/f32\(ox\) \* (P\.\w+)/, 'max((f32(ox) + 0.5) * $1 - 0.5, 0.0)')],
];
