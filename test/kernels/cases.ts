import { conv2dCases } from './conv2d.cases.ts';
import type { KernelCase } from './harness.ts';

/** Every kernel case; both runtimes run exactly this list. */
export const allCases: KernelCase[] = [...conv2dCases];
