/// <reference types="@webgpu/types" preserve="true" />
// Kept in the published .d.ts (preserve): the types name GPUDevice, GPUBuffer...; @webgpu/types is a dependency.
export * from './config.ts';
export * from './dtype.ts';
export * from './npy.ts';
export * from './pickle.ts';
export * from './pth.ts';
export * from './safetensors.ts';
export * from './source.ts';
export * from './zip.ts';
export * from './convert.ts';
export * from './loader.ts';
export * from './mano.ts';
export * from './tflite.ts';
