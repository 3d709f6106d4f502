/** RGBA images for the video-mode tests: a photo moved and turned, as a hand moves between frames. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** `img` moved by (dx, dy) pixels and rotated by `deg` about its centre (nearest pixel; outside is black). */
export function movedImage(img: RgbaImage, dx: number, dy: number, deg: number): RgbaImage {
  const { width: W, height: H } = img;
  const out = new Uint8Array(W * H * 4);
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      // Inverse map: output pixel -> source pixel.
      const u = x + 0.5 - W / 2 - dx;
      const v = y + 0.5 - H / 2 - dy;
      const sx = Math.floor(c * u + s * v + W / 2);
      const sy = Math.floor(-s * u + c * v + H / 2);
      if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
      out.set(img.data.subarray((sy * W + sx) * 4, (sy * W + sx) * 4 + 4), (y * W + x) * 4);
    }
  return { width: W, height: H, data: out };
}
