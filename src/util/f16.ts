/** IEEE half-precision conversions (checkpoint readers, the converter, and f16 weights on the GPU). */

// f16 -> f32 through a 64 K lookup table: exact, and fast enough for 177 M values.
let F16_TABLE: Float32Array | null = null;
function f16Table(): Float32Array {
  if (F16_TABLE) return F16_TABLE;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (F16_TABLE = t);
}

export function f16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const t = f16Table();
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]];
  return dst;
}

/** f32 -> f16 bits, round to nearest even (as numpy's astype(float16)); overflow gives +-inf. */
export function f32ToF16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      dst[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      dst[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // Subnormal f16 (or zero): shift the full significand into place, rounding to nearest even.
      if (e < -10) {
        dst[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      dst[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct (inf at the top)
      dst[i] = sign | h;
    }
  }
  return dst;
}

/** Largest finite f16 (values up to 65519.99 still round to it; 65520 and above round to inf). */
export const F16_MAX = 65504;

/**
 * f32 values as f16 pairs packed in u32 words (element 2i in the low half, 2i+1 in the high
 * half, as WGSL's unpack2x16float reads them), rounded to nearest even; an odd count ends with a
 * zero half. A finite value that would round to infinity throws, naming `what` and the value.
 */
export function packF16Pairs(src: Float32Array, what: string): Uint32Array {
  const halves = f32ToF16(src, new Uint16Array(src.length + (src.length & 1)));
  for (let i = 0; i < src.length; i++)
    if ((halves[i] & 0x7fff) === 0x7c00 && Number.isFinite(src[i]))
      throw new RangeError(`${what}: value ${src[i]} at index ${i} is outside the f16 range (|v| <= ${F16_MAX}); use f32 weights`);
  return new Uint32Array(halves.buffer, 0, halves.length / 2);
}
