/**
 * Image files for the CLI (`hiu infer`, `hiu hands`): PNG and JPEG, checked against a pixel budget
 * from their header before anything is decoded. A 1.5 MB PNG can declare 20000 x 20000 pixels (1.6
 * GB of RGBA, several GB while decoding): its width and height are read from the IHDR chunk (PNG)
 * or the SOF segment (JPEG), a few bytes, and the file is refused there.
 */
import { readFileSync, statSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { extname } from 'node:path';
import type { RgbaImage } from '../../src/model/preprocess.ts';
import { quoteUntrusted } from '../../src/util/untrusted.ts';

/** Most pixels an input image may have: a 50-megapixel photo (8160 x 6120) passes; its RGBA is 200 MB. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Largest image file read: an uncompressed 16-bit RGBA PNG of MAX_IMAGE_PIXELS is 400 MB. */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

export interface ImageHeader {
  format: 'PNG' | 'JPEG';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the header, or a reason why there are none (not PNG/JPEG, truncated). */
export function readImageHeader(b: Uint8Array): ImageHeader | string {
  const be16 = (o: number) => (b[o] << 8) | b[o + 1];
  const be32 = (o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  if (PNG_SIGNATURE.every((x, i) => b[i] === x)) {
    // The first chunk must be IHDR: length 13, then width and height (big-endian).
    if (b.length < 24 || be32(8) !== 13 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return 'PNG without an IHDR chunk first';
    return { format: 'PNG', width: be32(16), height: be32(20) };
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    // Walk the segments up to the frame header (SOF0-15 except DHT C4, JPG C8, DAC CC).
    let o = 2;
    while (o + 4 <= b.length) {
      if (b[o] !== 0xff) return `JPEG segment marker expected at byte ${o}`;
      const m = b[o + 1];
      if (m === 0xff) {
        o++; // fill byte
        continue;
      }
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
        o += 2; // markers without a length
        continue;
      }
      if (m === 0xda || m === 0xd9) return 'JPEG without a frame header (SOF) before its image data';
      const len = be16(o + 2);
      if (len < 2) return `JPEG segment at byte ${o} has length ${len}`;
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        if (o + 9 > b.length) break;
        return { format: 'JPEG', height: be16(o + 5), width: be16(o + 7) };
      }
      o += 2 + len;
    }
    return 'JPEG truncated before its frame header (SOF)';
  }
  return 'not a PNG or JPEG file';
}

/** Refuses, in one line naming the file, an image whose header declares no size or more than MAX_IMAGE_PIXELS. */
export function checkImageHeader(b: Uint8Array, what: string, byName: string = 'an image'): ImageHeader {
  const h = readImageHeader(b);
  if (typeof h === 'string') throw new Error(`${what}: cannot decode as ${byName}: ${h}`);
  const { format, width, height } = h;
  if (width < 1 || height < 1) throw new Error(`${what}: ${format} image declares ${width} x ${height} pixels (an empty image, or a JPEG height left to a DNL marker: not supported)`);
  if (width * height > MAX_IMAGE_PIXELS)
    throw new Error(`${what}: ${format} image of ${width} x ${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels) is over the budget of ${MAX_IMAGE_PIXELS / 1e6} megapixels; downscale it first`);
  return h;
}

/** Reads a PNG or JPEG as RGBA after checking its size and header. `what` names it in errors. */
export function decodeImage(path: string, what = `input ${path}`): RgbaImage {
  const size = statSync(path).size;
  if (size > MAX_IMAGE_FILE_BYTES) throw new Error(`${what}: ${size} bytes is more than an image file may have (${MAX_IMAGE_FILE_BYTES})`);
  const bytes = readFileSync(path);
  // Decoded by what it is, whatever its name says (the name only words the message for a non-image).
  const { format } = checkImageHeader(bytes, what, extname(path).toLowerCase() === '.png' ? 'PNG' : 'JPEG');
  try {
    if (format === 'PNG') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    // The decoders' own words for a corrupt file, never a JavaScript internal (TypeError, RangeError).
    const why = e instanceof TypeError || e instanceof RangeError ? 'corrupt data' : quoteUntrusted(String((e as Error).message), 200);
    throw new Error(`${what}: cannot decode as ${format}: ${why}`);
  }
}
