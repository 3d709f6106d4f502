/**
 * Strict UTF-8 for names and headers read from files. TextDecoder's fatal error says only "The
 * encoded data was not valid for encoding utf-8"; a reader needs the byte offset to name in its
 * own one-line message, so on failure this finds the first bad sequence.
 */
const STRICT = new TextDecoder('utf-8', { fatal: true });

export type Utf8Result = { ok: true; text: string } | { ok: false; offset: number };

export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: STRICT.decode(bytes) };
  } catch {
    return { ok: false, offset: firstInvalidUtf8(bytes) };
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), -1 if none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: sequence length and the allowed range of the second byte (no overlongs, surrogates or > U+10FFFF).
    let n: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) (n = 3), c === 0xe0 ? (lo = 0xa0) : c === 0xed ? (hi = 0x9f) : 0;
    else if (c >= 0xf0 && c <= 0xf4) (n = 4), c === 0xf0 ? (lo = 0x90) : c === 0xf4 ? (hi = 0x8f) : 0;
    else return i;
    if (i + n > b.length) return i;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += n;
  }
  return -1;
}
