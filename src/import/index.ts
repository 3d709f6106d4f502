/// <reference types="@webgpu/types" preserve="true" />
export { importTflite, samePadding, weightPrecisionOf, type ImportedModel, type ImportOptions, type TfliteIo } from './tflite.ts';
export { TfliteRunner, readTfliteOutput, readTfliteOutputs } from './tfliteRunner.ts';
export { tfliteProblems, assertSupported, UnsupportedModelError, SUPPORTED_OPS } from './tfliteSupport.ts';
export { describeTflite, formatSummary, type TfliteSummary } from './tfliteInfo.ts';
