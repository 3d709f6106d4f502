/**
 * hiu-webgpu: HIU-DMTL + MANO on WebGPU. The embedding API first; the engine, kernels, model
 * builders and weight readers for those who build their own graphs.
 */
export * from './api/index.ts';
export {
  Engine, Graph, Tensor, EngineError, WebGPUUnavailableError, NoAdapterError, DeviceLostError, ShapeError, PipelineError, DisposedError,
  type Profile, type LayerTiming,
} from './engine/index.ts';
export { ImageToTensor, type CropSpec } from './kernels/imageToTensor.ts';
export { buildHandGraph, readHandResult, readHandResults, type HandGraph, type HandResult, type Keypoint2D } from './model/pipeline.ts';
export { buildMano, MANO_COEFFS_LAYOUT, type ManoOutputs, type ManoParamLayout } from './model/mano.ts';
export type { ManoAsset } from './model/manoAsset.ts';
export { loadWeights, loadManoAsset, type HiuConfig, type LoadedWeights } from './weights/index.ts';
