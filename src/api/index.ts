/** The public embedding API (see README "Embed it" and docs/embedding-example.ts). */
export { createHandEstimator } from './create.ts';
export {
  createHiuEstimator, cropFor, HandEstimator,
  type BinarySource, type Box, type DetectedBox, type EstimateAllOptions, type CropSquare, type EstimateOptions, type EstimatorInfo, type EstimatorStats,
  type GpuHandEstimate, type HandEstimate, type HandEstimatorOptions, type ImageKeypoint, type LoadProgressEvent,
} from './estimator.ts';
export * from './errors.ts';
export { isDetached, prepareSource, type HandImageSource } from './sources.ts';
export { DEFAULT_ONE_EURO, OneEuroFilter, oneEuroAlpha, type OneEuroOptions } from './oneEuro.ts';
export { createHandTracker, HandTracker, type HandTrackerOptions, type TrackedHand, type TrackOptions } from './tracker.ts';
export { createMediaPipeEstimator, MediaPipeHandEstimator, type MediaPipeEstimatorInfo, type MediaPipeEstimatorOptions } from './landmarker.ts';
export {
  HAND_KEYPOINT_NAMES, type EstimateHandsOptions, type Hand, type HandKeypoint, type HandKeypointName, type HandMesh, type HandsEstimator, type HandTimings,
  type Point3D, type RotatedBox,
} from './hands.ts';
export { formatCreation, type CreationTimings } from './creation.ts';
export type { VariantChoice, VariantPolicy } from '../engine/index.ts';
export { defaultHandUrls, defaultModelUrls, packageFileUrl, type HandModelVariant } from './packageFiles.ts';
