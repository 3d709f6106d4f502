/**
 * The one entry point of the embedding API, for both model families:
 *   createHandEstimator()                      MediaPipe's trained models shipped with the package (full)
 *   createHandEstimator({ model: 'lite', ... }) the same family with options (MediaPipeEstimatorOptions)
 *   createHandEstimator({ weights, hand, ... }) HIU-DMTL weights from `hiu convert` (HandEstimatorOptions)
 * Both results implement HandsEstimator (estimateHands, profile, stats, dispose).
 */
import { createHiuEstimator, type HandEstimator } from './estimator.ts';
import { createMediaPipeEstimator, type MediaPipeEstimatorOptions, type MediaPipeHandEstimator } from './landmarker.ts';
import type { HandEstimatorOptions } from './types.ts';

export function createHandEstimator(opts?: MediaPipeEstimatorOptions): Promise<MediaPipeHandEstimator>;
export function createHandEstimator(opts: HandEstimatorOptions): Promise<HandEstimator>;
export function createHandEstimator(opts?: MediaPipeEstimatorOptions | HandEstimatorOptions): Promise<MediaPipeHandEstimator | HandEstimator> {
  if (opts && typeof opts === 'object' && ('weights' in opts || 'hand' in opts)) return createHiuEstimator(opts as HandEstimatorOptions);
  return createMediaPipeEstimator(opts as MediaPipeEstimatorOptions | undefined);
}
