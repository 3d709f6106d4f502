/**
 * CPU image preparation for the Node CLI and tests: RGBA pixels -> the network input
 * (1 x 3 x S x S, BGR, x / 127.5 - 1), and the mirroring that serves right hands (the network
 * was trained on left hands). The browser API does this on the GPU instead.
 */
import { ShapeError } from '../engine/index.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major, RGBA. */
  data: Uint8Array | Uint8ClampedArray;
}

/** Centre-crops the largest square and resizes it to size x size (bilinear, half-pixel centres). */
export function imageToInput(img: RgbaImage, size: number, mirror = false): Float32Array {
  const { width: w, height: h, data } = img;
  if (!(w >= 1 && h >= 1) || data.length !== w * h * 4)
    throw new ShapeError(`image must be at least 1x1 with width*height*4 bytes, got ${w}x${h} with ${data.length} bytes`);
  const side = Math.min(w, h);
  const x0 = (w - side) / 2;
  const y0 = (h - side) / 2;
  const out = new Float32Array(3 * size * size);
  const scale = side / size;
  const px = (x: number, y: number, c: number) => data[(y * w + x) * 4 + c];
  for (let oy = 0; oy < size; oy++) {
    const sy = Math.min(Math.max(y0 + (oy + 0.5) * scale - 0.5, 0), h - 1);
    const ya = Math.floor(sy);
    const yb = Math.min(ya + 1, h - 1);
    const ly = sy - ya;
    for (let ox = 0; ox < size; ox++) {
      const dx = mirror ? size - 1 - ox : ox;
      const sx = Math.min(Math.max(x0 + (dx + 0.5) * scale - 0.5, 0), w - 1);
      const xa = Math.floor(sx);
      const xb = Math.min(xa + 1, w - 1);
      const lx = sx - xa;
      for (let c = 0; c < 3; c++) {
        const v = (1 - ly) * ((1 - lx) * px(xa, ya, c) + lx * px(xb, ya, c)) + ly * ((1 - lx) * px(xa, yb, c) + lx * px(xb, yb, c));
        // BGR: the training code read images with OpenCV and never converted.
        out[((2 - c) * size + oy) * size + ox] = v / 127.5 - 1;
      }
    }
  }
  return out;
}

/** Flips NCHW maps left-right in place. */
export function mirrorMaps(data: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [n, c, h, w] = shape;
  for (let p = 0; p < n * c * h; p++) data.subarray(p * w, (p + 1) * w).reverse();
  return data;
}

/**
 * Mirrors POF maps: besides the flip, the x component of every bone direction (channel 3b)
 * changes sign.
 */
export function mirrorPof(data: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  mirrorMaps(data, shape);
  const [n, c, h, w] = shape;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch += 3) {
      const s = data.subarray(((b * c + ch) * h) * w, ((b * c + ch + 1) * h) * w);
      for (let i = 0; i < s.length; i++) s[i] = -s[i];
    }
  return data;
}

/** Negates x of [..., 3] points in place (3D joints, vertices). */
export function mirrorPoints3(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i += 3) data[i] = -data[i];
  return data;
}
