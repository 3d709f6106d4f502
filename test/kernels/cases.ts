import { bilinearCases } from './bilinear.cases.ts';
import { conv2dCases } from './conv2d.cases.ts';
import { denseCases } from './dense.cases.ts';
import type { KernelCase } from './harness.ts';
import { headCases } from './heads.cases.ts';
import { manoCases } from './mano.cases.ts';
import { poolCases } from './pool.cases.ts';
import { tamCases } from './tam.cases.ts';

/** Every kernel case; both runtimes run exactly this list. */
export const allCases: KernelCase[] = [...conv2dCases, ...poolCases, ...bilinearCases, ...denseCases, ...tamCases, ...headCases, ...manoCases];
