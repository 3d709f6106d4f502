/**
 * Device loss as the embedding API reports it, for both estimator families: every call on an
 * estimator whose device is lost rejects with a DeviceLostError that says what to do in API
 * words. Recovery: `dispose()` the estimator (it still resolves) and create a new one with
 * createHandEstimator(), which requests a new device (pass a new `device` if you gave one).
 */
import type { GpuContext } from '../engine/device.ts';
import { DeviceLostError } from '../engine/errors.ts';

/** The error of `call` on a lost device; `cause` is what the call failed with, if anything. */
export function deviceLostError(call: string, ctx: GpuContext, cause?: unknown): DeviceLostError {
  const lost = ctx.lossReason() ?? { reason: 'unknown', message: '' };
  return new DeviceLostError(
    `${call}: the WebGPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''}); this estimator cannot run again: dispose() it and create a new estimator with createHandEstimator()`,
    lost.reason,
    cause === undefined ? undefined : { cause },
  );
}

/** Throws the DeviceLostError of `call` when the device is already lost (before queueing work). */
export function checkNotLost(call: string, ctx: GpuContext): void {
  if (ctx.isLost()) throw deviceLostError(call, ctx);
}

/**
 * Runs `work`; when the device is or becomes lost, whatever it returned or threw becomes the
 * DeviceLostError of `call` (results computed on a dying device are not trusted). WebGPU settles
 * `device.lost` a moment after the failure it causes, so a failure waits one macrotask for it.
 */
export async function lossAware<T>(call: string, ctx: GpuContext, work: () => Promise<T>): Promise<T> {
  checkNotLost(call, ctx);
  let result: T;
  try {
    result = await work();
  } catch (e) {
    if (!ctx.isLost()) await Promise.race([ctx.lost, new Promise((r) => setTimeout(r, 0))]);
    if (ctx.isLost()) throw deviceLostError(call, ctx, e);
    throw e;
  }
  checkNotLost(call, ctx);
  return result;
}
