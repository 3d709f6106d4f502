import { allCases } from './kernels/cases.ts';
import type { KernelCase } from './kernels/harness.ts';
import { peakCompactCases } from './kernels/peakCompact.cases.ts';
import { detectorCases } from './model/detector.cases.ts';
import { hiuCases } from './model/hiu.cases.ts';
import { hiuConfigCases } from './model/hiuConfigs.cases.ts';
import { tfliteCases } from './model/tflite.cases.ts';
import { tfliteSyntheticCases } from './model/tfliteSynthetic.cases.ts';

/** Everything both runtimes run: kernel cases, then whole-model conformance cases. */
export const runtimeCases: KernelCase[] = [...allCases, ...peakCompactCases, ...hiuCases, ...hiuConfigCases, ...detectorCases, ...tfliteSyntheticCases, ...tfliteCases];
