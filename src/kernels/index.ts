/// <reference types="@webgpu/types" preserve="true" />
// Kept in the published .d.ts (preserve): the types name GPUDevice, GPUBuffer...; @webgpu/types is a dependency.
export * from './conv2d.ts';
export * from './depthwiseConv2d.ts';
export * from './add.ts';
export * from './avgPool2d.ts';
export * from './maxPool2d.ts';
export * from './bilinearResize.ts';
export * from './globalAvgPool.ts';
export * from './denseChain.ts';
export * from './taskAttention.ts';
export * from './sigmoid.ts';
export * from './heatmapKeypoints.ts';
export * from './manoPose.ts';
export * from './manoSkin.ts';
export * from './peakCompact.ts';
export * from './imageToTensor.ts';
export * from './affineCrop.ts';
export type { Activation, Padding, Pads, ResizeCoordinates } from './common.ts';
