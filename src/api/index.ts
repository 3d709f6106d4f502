/** The public embedding API (see README "Embed it" and docs/embedding-example.ts). */
export {
  createHandEstimator, cropFor, HandEstimator,
  type BinarySource, type Box, type DetectedBox, type EstimateAllOptions, type CropSquare, type EstimateOptions, type EstimatorInfo, type EstimatorStats,
  type GpuHandEstimate, type HandEstimate, type HandEstimatorOptions, type ImageKeypoint, type LoadProgressEvent,
} from './estimator.ts';
export * from './errors.ts';
export { isDetached, prepareSource, type HandImageSource } from './sources.ts';
export { DEFAULT_ONE_EURO, OneEuroFilter, oneEuroAlpha, type OneEuroOptions } from './oneEuro.ts';
export { createHandTracker, HandTracker, type HandTrackerOptions, type TrackedHand, type TrackOptions } from './tracker.ts';
