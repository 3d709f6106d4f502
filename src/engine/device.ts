import { isNode, loadDawn, noAdapterHint } from '../platform/node.ts';
import { DeviceLostError, NoAdapterError, WebGPUUnavailableError } from './errors.ts';

/** What the engine needs from a WebGPU device, plus which optional features it got. */
export interface GpuContext {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; description: string; isFallback: boolean };
  features: { timestampQuery: boolean; shaderF16: boolean; subgroups: boolean };
  /** Resolves with a DeviceLostError when the device is lost; never rejects. */
  lost: Promise<DeviceLostError>;
  /** True once `lost` has resolved. */
  isLost(): boolean;
  /** Why the device was lost ('destroyed' or 'unknown', and WebGPU's message); null while it is not. */
  lossReason(): { reason: string; message: string } | null;
  /** Only destroys the device when the engine created it. */
  destroy(): void;
  /**
   * Kept alive on purpose: Dawn's Node binding frees the instance when the GPU object is
   * garbage-collected, and a live device then crashes the process on its next tick.
   */
  readonly owners: readonly unknown[];
}

export interface AcquireOptions {
  /** Use this device instead of requesting one (the caller keeps ownership). */
  device?: GPUDevice;
  /** A GPU object to use instead of navigator.gpu / Dawn (e.g. from a custom Dawn build). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Ask for timestamp-query when the adapter has it (default true). */
  timestamps?: boolean;
}

/**
 * Finds a GPU object: navigator.gpu in browsers and workers, Dawn's `webgpu` package in Node.
 * In Node without a GPU, point Vulkan at SwiftShader (VK_ICD_FILENAMES); see README.
 */
async function findGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) return loadDawn();
  throw new WebGPUUnavailableError(
    'WebGPU is not available: navigator.gpu is missing. Use a browser with WebGPU enabled, served over https or from localhost.',
  );
}

const OPTIONAL_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'] as const;

export async function acquireDevice(opts: AcquireOptions = {}): Promise<GpuContext> {
  if (opts.device) return wrapDevice(opts.device, undefined, false);
  const gpu = opts.gpu ?? (await findGpu());
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError('WebGPU is present but requestAdapter() returned no adapter.' + (await noAdapterHint()));
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter(
    (f) => adapter.features.has(f) && (f !== 'timestamp-query' || opts.timestamps !== false),
  ) as GPUFeatureName[];
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  return wrapDevice(device, adapter, true, [gpu, adapter]);
}

function wrapDevice(
  device: GPUDevice,
  adapter: GPUAdapter | undefined,
  owned: boolean,
  owners: unknown[] = [],
): GpuContext {
  let lostInfo: { reason: string; message: string } | null = null;
  const lost = device.lost.then((info) => {
    lostInfo = { reason: String(info.reason), message: info.message };
    return new DeviceLostError(`WebGPU device lost (${info.reason}): ${info.message}`, String(info.reason));
  });
  const info = adapter?.info ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const has = (f: string) => device.features.has(f);
  return {
    device,
    adapterInfo: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      isFallback: !!(info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
    },
    features: { timestampQuery: has('timestamp-query'), shaderF16: has('shader-f16'), subgroups: has('subgroups') },
    owners,
    lost,
    isLost: () => lostInfo !== null,
    lossReason: () => lostInfo,
    destroy: () => {
      if (owned) device.destroy();
    },
  };
}
