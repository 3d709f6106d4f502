/** Index of the first NaN or infinity in f32 data, -1 when all are finite (weights must be finite). */
export function firstNonFinite(data: Float32Array): number {
  // Exponent bits all ones: NaN or +-Inf. An integer view is several times faster than isFinite.
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) === 0x7f800000) return i;
  return -1;
}
