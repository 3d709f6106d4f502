/**
 * Errors of the embedding API. All are EngineErrors (src/engine/errors.ts), so one
 * `instanceof EngineError` tells the library's errors from the caller's; each subclass names one
 * kind of mistake, and its message says what was wrong and what to do.
 */
import { DisposedError, EngineError } from '../engine/errors.ts';

/** The image given to estimate() cannot be used: zero size, not decoded yet, unsupported type. */
export class InvalidImageError extends EngineError {
  override name = 'InvalidImageError';
}

/** An ArrayBuffer (weights, hand asset, ImageData pixels) was transferred or detached. */
export class DetachedBufferError extends EngineError {
  override name = 'DetachedBufferError';
}

/** The weights file is not HIU-DMTL weights from `hiu convert` (wrong architecture, corrupt, wrong dtype). */
export class WeightsError extends EngineError {
  override name = 'WeightsError';
}

/** @internal A weight too large for f16 storage (weightPrecision 'f16') as a WeightsError naming it; other errors as they are. */
export function f16RangeError(e: unknown, what: string): unknown {
  return e instanceof RangeError && /outside the f16 range/.test(e.message) ? new WeightsError(`${what}: ${e.message}`, { cause: e }) : e;
}

/** The hand asset is not a usable MANO/hand file from `hiu convert-mano` (or the wrong side). */
export class HandAssetError extends EngineError {
  override name = 'HandAssetError';
}

/** estimate()/profile() on an estimator after dispose(). */
export class EstimatorDisposedError extends DisposedError {
  override name = 'EstimatorDisposedError';
}

/** Bad options (unknown hand, a box that is not a finite positive rectangle, unknown output). */
export class EstimateOptionsError extends EngineError {
  override name = 'EstimateOptionsError';
}
