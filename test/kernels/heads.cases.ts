import { heatmapKeypoints } from '../../src/kernels/heatmapKeypoints.ts';
import { sigmoid } from '../../src/kernels/sigmoid.ts';
import * as ref from '../reference/cpu.ts';
import { check, nhwc, type KernelCase, type Mutation } from './harness.ts';

function sigmoidCase(label: string, shape: [number, number, number, number], range: [number, number] = [-4, 4]): KernelCase {
  return {
    name: `sigmoid ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor(shape, rng, ...range);
        const xt = g.input('x', nhwc(x.shape));
        const y = sigmoid(g, 'sig', xt);
        return { inputs: [[xt, x]], outputs: [[y, ref.sigmoid(x)]] };
      }),
  };
}

/** Keypoints [N, K, 3] (reference order) -> the kernel's [N, K, 1, 3] output read back as NCHW [N, 3, K, 1]. */
function keypointTensor(kp: Float64Array, n: number, k: number): ref.Tensor64 {
  const out = ref.zeros([n, 3, k, 1]);
  for (let b = 0; b < n; b++) for (let j = 0; j < k; j++) for (let c = 0; c < 3; c++) out.data[(b * 3 + c) * k + j] = kp[(b * k + j) * 3 + c];
  return out;
}

function keypointCase(label: string, shape: [number, number, number, number], range: [number, number] = [-0.5, 1.5]): KernelCase {
  return {
    name: `heatmapKeypoints ${label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const [n, k] = shape;
        const maps = ref.randomTensor(shape, rng, ...range);
        const mt = g.input('maps', nhwc(maps.shape));
        const y = heatmapKeypoints(g, 'kp', mt);
        return { inputs: [[mt, maps]], outputs: [[y, keypointTensor(ref.heatmapKeypoints(maps), n, k)]] };
      }),
  };
}

export const headCases: KernelCase[] = [
  sigmoidCase('c1 8x8 (mask logit)', [1, 1, 8, 8]),
  sigmoidCase('c5 3x7 batch 2', [2, 5, 3, 7]),
  sigmoidCase('c3 1x1, values +-30', [1, 3, 1, 1], [-30, 30]),
  sigmoidCase('c8 5x5', [1, 8, 5, 5]),
  sigmoidCase('c7 4x6', [1, 7, 4, 6]),
  keypointCase('21 maps 16x16, values in [-0.5, 1.5], batch 2', [2, 21, 16, 16]),
  keypointCase('1 map 5x7', [1, 1, 5, 7]),
  keypointCase('3 maps 1x1', [1, 3, 1, 1]),
  keypointCase('5 maps 9x4 (non-square)', [1, 5, 9, 4]),
  keypointCase('7 maps 6x6 all negative (empty maps give 0, 0, 0)', [1, 7, 6, 6], [-1, -0.1]),
  keypointCase('4 maps 64x64 (full size)', [1, 4, 64, 64]),
  keypointCase('21 sparse maps 8x8, values in [-30, 1] (a few hot pixels: max and centroid from single pixels)', [1, 21, 8, 8], [-30, 1]),
  keypointCase('21 maps 9x7, values in [0, 0.01] (heat sums below 1)', [1, 21, 9, 7], [0, 0.01]),
];

/**
 * Plausible bugs in these kernels, each as a WGSL rewrite and the case that must catch it
 * (run by a mutation test: the case passes, the mutant fails with a MISMATCH or a padding error).
 */
export const headMutants: [string, string, Mutation][] = [
  ['sigmoid: padded lanes not masked', 'sigmoid c5 3x7', (s) => s.replace(/select\(vec4<f32>\(0\.0\), v, [^;]+\)/, 'v')],
  ['sigmoid: sign flipped', 'sigmoid c8 5x5', (s) => s.replace('exp(-X', 'exp(X')],
  ['keypoints: no clamp', '21 maps 16x16', (s) => s.replace(/clamp\((M\[[^\]]+\]), vec4<f32>\(0\.0\), vec4<f32>\(1\.0\)\)/, '$1')],
  ['keypoints: row and col swapped', '5 maps 9x4', (s) => s.replace('rr[0][t] / d, rc[0][t] / d', 'rc[0][t] / d, rr[0][t] / d')],
  ['keypoints: eps 1 instead of 1e-8', 'heat sums below 1', (s) => s.replace('1e-8', '1.0')],
  ['keypoints: max not combined in the tree', '21 sparse maps 8x8', (s) => s.replace('rm[t] = max(rm[t], rm[t + st]);', '')],
  ['keypoints: first tree step skipped', '21 maps 16x16', (s) => s.replace('var st = 8u;', 'var st = 4u;')],
  ['keypoints: column from the wrong width', '1 map 5x7', (s) => s.replace('p - row * w', 'p - row * (w - 1u)')],
  ['sigmoid: batch index ignored', 'sigmoid c5 3x7 batch 2', (s) => s.replace(/let n = q \/ \d+u;/, 'let n = 0u;')],
];
