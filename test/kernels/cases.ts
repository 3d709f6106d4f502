import { addCases, addMutants } from './add.cases.ts';
import { affineCropCases, affineCropMutants } from './affineCrop.cases.ts';
import { bilinearCases, bilinearMutants } from './bilinear.cases.ts';
import { conv2dCases, conv2dMutants } from './conv2d.cases.ts';
import { depthwiseCases, depthwiseMutants } from './depthwise.cases.ts';
import { denseCases, denseMutants } from './dense.cases.ts';
import { f16WeightCases, f16WeightMutants } from './f16Weights.cases.ts';
import type { KernelCase, Mutation } from './harness.ts';
import { headCases, headMutants } from './heads.cases.ts';
import { manoCases } from './mano.cases.ts';
import { poolCases, poolMutants } from './pool.cases.ts';
import { tamCases, tamMutants } from './tam.cases.ts';

/** Every kernel case; both runtimes run exactly this list. */
export const allCases: KernelCase[] = [
  ...conv2dCases, ...depthwiseCases, ...addCases, ...poolCases, ...bilinearCases, ...denseCases, ...tamCases, ...headCases, ...manoCases, ...affineCropCases, ...f16WeightCases,
];

/**
 * Mutants of conv2d's TFLite epilogues and padding, depthwise, add, pooling, resize, dense, TAM
 * and head kernels: [what, case name part, WGSL rewrite].
 */
export const kernelMutants: [string, string, Mutation][] = [
  ...conv2dMutants, ...depthwiseMutants, ...addMutants, ...poolMutants, ...bilinearMutants, ...denseMutants, ...tamMutants, ...headMutants, ...affineCropMutants, ...f16WeightMutants,
];
