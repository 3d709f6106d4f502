/// <reference types="@webgpu/types" preserve="true" />
/**
 * hiu-webgpu: HIU-DMTL + MANO on WebGPU. The embedding API first; the engine, kernels, model
 * builders and weight readers for those who build their own graphs. The reference is kept in the
 * published .d.ts (preserve): the types name GPUDevice, GPUBuffer...; @webgpu/types is a dependency.
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
// Trained models: TFLite files on the engine, and MediaPipe's hand pipeline built on them.
export { readTflite, readModelBundle, TfliteFormatError, type TfliteModel } from './weights/tflite.ts';
export { TfliteRunner, importTflite, UnsupportedModelError, type ImportedModel, type TfliteIo } from './import/index.ts';
export { HandLandmarker, type HandLandmarkerModels, type HandLandmarkerOptions, type LandmarkedHand, type RgbaPixels } from './model/handLandmarker.ts';
export { fitHand, type HandFit, type HandFitOptions } from './model/handFit.ts';
export { HandMesher, weakPerspective, type MeshTarget } from './model/handMesh.ts';
export { PALM_TARGET_ANGLE, TASKS_PALM_TARGET_ANGLE } from './model/handRegion.ts';
