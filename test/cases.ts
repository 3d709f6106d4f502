import { allCases } from './kernels/cases.ts';
import type { KernelCase } from './kernels/harness.ts';
import { hiuCases } from './model/hiu.cases.ts';

/** Everything both runtimes run: kernel cases, then whole-model conformance cases. */
export const runtimeCases: KernelCase[] = [...allCases, ...hiuCases];
