/**
 * Non-finite values: weights must be finite (readers refuse them), and a network whose weights or
 * input overflow float32 gives NaN or infinity, which must never pass for an answer. Results are scanned where they already are on the CPU
 * (after the readback the caller needed anyway); nothing extra is read from the GPU.
 */

/** Index of the first NaN or infinity in f32 data, -1 when all are finite (weights must be finite). */
export function firstNonFinite(data: Float32Array): number {
  // Exponent bits all ones: NaN or +-Inf. An integer view is several times faster than isFinite.
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/** Number of entries of `values` that are NaN or +-infinity. */
export function countNonFinite(values: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  return bad;
}

/**
 * Null when every named output is finite; otherwise one line naming each output that is not,
 * with how many of its values are NaN or infinite, e.g. "vertices (2334 of 2334 values), camera
 * (3 of 3 values) are not finite". Null entries (outputs the model does not have) are skipped.
 */
export function nonFiniteReport(outputs: Record<string, ArrayLike<number> | null | undefined>): string | null {
  const parts: string[] = [];
  for (const [name, values] of Object.entries(outputs)) {
    if (!values) continue;
    const bad = countNonFinite(values);
    if (bad) parts.push(`${name} (${bad} of ${values.length} values)`);
  }
  if (!parts.length) return null;
  return `${parts.join(', ')} ${parts.length === 1 ? 'is' : 'are'} not finite (NaN or infinity: the weights or the input overflow float32)`;
}
