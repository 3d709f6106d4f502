/// <reference types="@webgpu/types" preserve="true" />
// Kept in the published .d.ts (preserve): the types name GPUDevice, GPUBuffer...; @webgpu/types is a dependency.
export { Engine, type EngineOptions } from './engine.ts';
export { isSoftwareAdapter, type VariantChoice, type VariantOptions, type VariantPolicy, type VariantSource } from './variants.ts';
export { acquireDevice, type AcquireOptions, type GpuContext } from './device.ts';
export * from './errors.ts';
export { Executable, type BuildStats, type LayerTiming, type Profile } from './executor.ts';
export { Graph, Tensor, Constant, type Binding, type ConstantKind, type Dispatch, type GraphOptions, type Node, type WeightPrecision } from './graph.ts';
export { planMemory, type MemoryPlan } from './planner.ts';
export { PipelineCache } from './pipelines.ts';
export type { MemoryByKind, MemoryKind, ResourceCounts } from './resources.ts';
export * from './tensor.ts';
export type { ProfileMethod, ProfileOptions } from './executor.ts';
export {
  profileReport, formatProfileTable, toChromeTrace, prefixBlocks, blockClassifier, methodLine, coverageLine, median, OTHER_BLOCK,
  type BlockRule, type BlockTotal, type ChromeTrace, type ProfileReport, type ProfileRow, type ReportOptions, type RunSummary,
  type TableOptions, type TraceEvent,
} from './profileReport.ts';
export { formatBuild, formatMemory } from './buildReport.ts';
