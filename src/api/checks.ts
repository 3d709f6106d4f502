/** Checks of createHandEstimator's file arguments, shared by both families. */
import { DetachedBufferError, EstimateOptionsError } from './errors.ts';
import { isDetached } from './sources.ts';
import type { BinarySource } from './types.ts';

/** Throws a typed error unless `s` is a URL, File/Blob, ArrayBuffer or Uint8Array (attached). */
export function checkBinary(what: string, s: BinarySource | undefined): void {
  if (s === undefined || s === null) throw new EstimateOptionsError(`createHandEstimator: '${what}' is required (URL, File/Blob, ArrayBuffer or Uint8Array)`);
  if (s instanceof ArrayBuffer && isDetached(s)) throw new DetachedBufferError(`${what}: the ArrayBuffer was transferred (detached); pass a copy or keep it attached`);
  if (s instanceof Uint8Array && isDetached(s.buffer)) throw new DetachedBufferError(`${what}: the Uint8Array's buffer was transferred (detached)`);
  const ok = typeof s === 'string' || s instanceof URL || s instanceof ArrayBuffer || s instanceof Uint8Array || (typeof Blob !== 'undefined' && s instanceof Blob);
  if (!ok) throw new EstimateOptionsError(`createHandEstimator: '${what}' must be a URL, File/Blob, ArrayBuffer or Uint8Array`);
}
