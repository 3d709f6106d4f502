/** The embedding API's public types (see estimator.ts for the behaviour). */
import type { ResourceCounts, VariantPolicy } from '../engine/index.ts';
import type { CreationTimings } from './creation.ts';
import type { HandResult, Keypoint2D } from '../model/pipeline.ts';
import type { DecodeOptions } from '../model/detector.ts';
import type { HiuConfig } from '../weights/index.ts';

/** A file from `hiu convert` / `hiu convert-mano`: a URL (fetched), a File/Blob, or its bytes. */
export type BinarySource = string | URL | Blob | ArrayBuffer | Uint8Array;

export interface LoadProgressEvent {
  /** 'models' (MediaPipe), 'weights' (HIU-DMTL) and 'hand' report bytes; 'compile' starts building GPU pipelines; 'ready' ends. */
  phase: 'models' | 'weights' | 'hand' | 'compile' | 'ready';
  loaded: number;
  /** Bytes of this phase's file when known (Content-Length, Blob size). */
  total?: number;
  /** Overall progress in [0, 1], for one progress bar (weights count 85 %, hand 10 %, compile 5 %). */
  fraction: number;
  /** On 'ready': where creation spent its time and how many pipelines each graph compiled. */
  timings?: CreationTimings;
}

export interface HandEstimatorOptions {
  /** HIU-DMTL weights converted by `hiu convert` (.safetensors, f32 or f16). */
  weights: BinarySource;
  /** Hand asset: `hiu convert-mano` output, or assets/hand-left.safetensors. The LEFT hand: right hands are mirrored. */
  hand: BinarySource;
  /** Use this device (e.g. the one your renderer uses) instead of requesting one; it is not destroyed by dispose(). */
  device?: GPUDevice;
  onProgress?: (p: LoadProgressEvent) => void;
  /**
   * The weights' storage type you expect ('f32' or 'f16'); a file of the other type is a
   * WeightsError.
   */
  dtype?: 'f32' | 'f16';
  /**
   * How the GPU holds the weights: 'f16' (pairs packed in u32 and widened in the kernels: half
   * the memory and weight traffic, no shader-f16 needed) or 'f32'. Default: the file's dtype, so
   * an f16 file stays f16 (and computes exactly as if expanded). 'f16' on an f32 file rounds the
   * weights (measured on the test model: outputs within 7.8e-4 relative L2). Math is f32 either way.
   */
  weightPrecision?: 'f32' | 'f16';
  /**
   * How kernel variants (e.g. conv2d 'blocked' or 'tiled') are picked per layer shape:
   * 'auto' (default) times them on the device at creation (a few ms per shape, up to 250 ms
   * per graph compiled, checked between shapes) on a hardware GPU and takes the defaults on a
   * software adapter; 'measure' always
   * times; 'default' never; `{ conv2d: 'tiled' }` forces one. The choice per layer is in
   * profile() (each layer's `variant`); the time spent timing is in `creation` (tuneMs).
   */
  kernelVariants?: VariantPolicy;
  signal?: AbortSignal;
  /**
   * Optional hand detector (`hiu convert` of the official `hand_det.pth`, .safetensors): enables
   * detect(), estimateAll() and createHandTracker(). Loaded after the weights and the hand.
   */
  detector?: BinarySource;
  /** Most hands estimateAll() returns; the batched HIU-DMTL graph is compiled for this batch. Default 2. */
  maxHands?: number;
  /** Detector decoding (score threshold 0.5, top-k 10, NMS IoU 0.7 by default). */
  detection?: DecodeOptions;
}

/** A rectangle in image pixels, e.g. a detector's box. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A detector box in image pixels with its score (the centre-score map's peak value). */
export interface DetectedBox extends Box {
  score: number;
}

export interface EstimateAllOptions {
  /**
   * Handedness per hand: one value for every hand, or one per hand in the order results come
   * (left to right by box centre in the image); hands past the array's end take its last value.
   * Default 'left'.
   */
  hands?: 'left' | 'right' | readonly ('left' | 'right')[];
  /** Skip the detector and use these boxes (image pixels, at most maxHands, each overlapping the image); e.g. a tracker's boxes. */
  boxes?: readonly Box[];
  /** 'cpu' (default) or 'gpu' (buffers of the whole batch; `batchIndex` says which item). */
  output?: 'cpu' | 'gpu';
}

export interface EstimateOptions {
  /** Which hand the crop shows. The network was trained on left hands: right hands are mirrored in and out. */
  hand: 'left' | 'right';
  /**
   * Crop a square of 1.5 x max(w, h) centred on this box (reaching past the image reads black).
   * Default: the centred largest square. A box entirely outside the image is an EstimateOptionsError.
   */
  box?: Box;
  /** 'cpu' (default): read results back; 'gpu': leave them in GPU buffers. */
  output?: 'cpu' | 'gpu';
}

/** The square of the image that went into the network, in image pixels. */
export interface CropSquare {
  x: number;
  y: number;
  size: number;
}

export interface ImageKeypoint extends Keypoint2D {
  /** Image pixels (x right, y down). `row`/`col` stay heat-map coordinates. */
  x: number;
  y: number;
  /** Network-input crop pixels (0 .. inputSize). */
  cropX: number;
  cropY: number;
}

/** CPU results. Maps (heatmaps, pof, mask) are NCHW over the crop, already un-mirrored for right hands. */
export interface HandEstimate extends Omit<HandResult, 'keypoints'> {
  hand: 'left' | 'right';
  keypoints: ImageKeypoint[];
  /** MANO's 21 projected joints in image pixels ([21, 2] x, y), or null without MANO. */
  joints2dImage: Float32Array | null;
  crop: CropSquare;
  imageWidth: number;
  imageHeight: number;
  /** Network input side (crop pixels) and heat-map side. */
  inputSize: number;
}

/**
 * GPU results: the executable's own output buffers, nhwc4 (every row padded to 4 floats), valid
 * until the next estimate() runs. Nothing is read back, so they are not checked for NaN or
 * infinity (HandEstimate.nonFinite is the CPU path's check). NOT mirrored for right hands (`mirrored` says so): negate
 * x of vertices/joints3d, and use 1 - u for crop coordinates u (joints2d, mask columns).
 */
export interface GpuHandEstimate {
  hand: 'left' | 'right';
  mirrored: boolean;
  crop: CropSquare;
  imageWidth: number;
  imageHeight: number;
  inputSize: number;
  mapSize: number;
  /** Batch item of the buffers holding this hand (estimateAll; 0 for estimate()). Item i starts i x (per-item size) into each buffer. */
  batchIndex?: number;
  buffers: {
    /** [V] x vec4 (x, y, z, 0), metres. */
    vertices: GPUBuffer | null;
    /** [21] x vec4 (x, y, z, 0). */
    joints3d: GPUBuffer | null;
    /** [21] x vec4 (u, v, 0, 0), crop coordinates in [0, 1]. */
    joints2d: GPUBuffer | null;
    /** [mapSize * mapSize] x vec4 (p, 0, 0, 0), mask probability, row-major. */
    maskProb: GPUBuffer;
    /** [21] x vec4 (row, col, peak, 0) heat-map keypoints. */
    keypoints: GPUBuffer;
    /** 64 floats: beta 0..9 | pose 10..57 | camera (s, tx, ty) 58..60 | 0. */
    coeffs: GPUBuffer | null;
  };
  /** Vertex count and triangle indices (F x 3) of the hand mesh. */
  numVertices: number;
  faces: Uint32Array | null;
}

export interface EstimatorInfo {
  config: HiuConfig;
  inputSize: number;
  mapSize: number;
  /** Storage dtype of the weights file. */
  weightsDtype: 'f32' | 'f16';
  /** How the GPU holds the HIU-DMTL weights (see HandEstimatorOptions.weightPrecision; a detector follows its own file's dtype unless that option is given). */
  weightPrecision: 'f32' | 'f16';
  /** Compute dispatches per inference (the graph's layers), not counting image preparation. */
  dispatches: number;
  adapter: { vendor: string; architecture: string; description: string };
  timestampQuery: boolean;
  /** The detector's input side and dispatches (null without a detector), and estimateAll()'s batch. */
  detector: { inputSize: number; dispatches: number } | null;
  maxHands: number;
}

/** GPU objects the estimator holds; `memory` splits the engine's buffer bytes by kind (weights, activations, staging...). */
export interface EstimatorStats extends ResourceCounts {
  pipelines: number;
  /** Upload texture and the preparation kernel's parameter buffer. */
  textures: number;
  prepBuffers: number;
}

