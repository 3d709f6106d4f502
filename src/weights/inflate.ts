/**
 * DEFLATE with the output bounded by what a zip directory declares. fflate's one-shot inflate
 * keeps decoding past a given output buffer (1.5 MB of deflated zeros is 1.5 GB of work), and
 * without one it grows its output to whatever the stream holds. Here the stream is fed in small
 * pieces and decoding stops as soon as it would exceed the declared size.
 */
import { Inflate } from 'fflate';
import { quoteUntrusted } from '../util/untrusted.ts';

/** Compressed bytes fed per step, so output past the declared size is caught within about 16 MiB (DEFLATE's 1032:1). */
const STEP = 16 << 10;
/** Smaller steps when only a header is wanted. */
const SNIFF_STEP = 256;

export class InflateError extends Error {
  override name = 'InflateError';
}

/**
 * The first `size` bytes the stream inflates to. `exact`: the stream must hold exactly `size`
 * bytes (a zip entry); otherwise decoding stops once `size` bytes are out (sniffing a header).
 * Errors are an InflateError whose message continues "entry 'x' ...".
 */
export function inflateBounded(raw: Uint8Array, size: number, exact = true): Uint8Array {
  const out = new Uint8Array(size);
  let got = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    if (got + chunk.length > size) {
      if (exact) throw new InflateError(`inflates past its declared ${size} bytes`);
      out.set(chunk.subarray(0, size - got), got);
      got = size;
    } else {
      out.set(chunk, got);
      got += chunk.length;
    }
    ended ||= final;
  });
  const step = exact ? STEP : SNIFF_STEP;
  try {
    for (let p = 0; (p < raw.length || p === 0) && !ended && (exact || got < size); p += step) inf.push(raw.subarray(p, p + step), p + step >= raw.length);
  } catch (e) {
    if (e instanceof InflateError) throw e;
    // fflate's messages name the DEFLATE problem ('invalid block type', 'unexpected EOF').
    throw new InflateError(`has invalid DEFLATE data (${quoteUntrusted(String((e as Error).message), 40)})`);
  }
  if (exact && got !== size) throw new InflateError(`inflates to ${got} bytes, expected ${size}`);
  return got === size ? out : out.subarray(0, got);
}
