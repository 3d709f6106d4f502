/**
 * Honest results: a network whose weights or input overflow float32 gives NaN or infinity, and
 * those must never pass for an answer. Results are scanned where they already are on the CPU
 * (after the readback the caller needed anyway); nothing extra is read from the GPU.
 */

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
