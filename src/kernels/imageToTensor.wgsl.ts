/**
 * WGSL of the image -> network-input kernel (imageToTensor.ts): samples a 2-D float texture
 * (an uploaded image, a video frame, a caller's GPUTexture) and writes the HIU-DMTL input.
 */

export interface ImageToTensorSpec {
  /** Output crop side S: the kernel writes S x S pixels per crop. */
  size: number;
  /** Threads per workgroup side (the workgroup is wg x wg). */
  wg: number;
}

/** Bytes of one crop's parameters in the params storage buffer (struct Crop). */
export const CROP_PARAMS_BYTES = 32;

/**
 * One thread per output pixel, one workgroup layer (z) per crop. Crop i of the params array
 * describes a square of side `side` image pixels at `origin`; output pixel (ox, oy) samples the
 * image at origin + (ox' + 0.5) * side / S - 0.5 (half-pixel centres, as OpenCV's and PyTorch's
 * resize), where ox' = S - 1 - ox when the crop is mirrored. Bilinear between the four nearest
 * texels, coordinates clamped to the image, as the CPU path (src/model/preprocess.ts) does;
 * sample points outside the image (beyond half a pixel of its border) read black (0, 0, 0), the
 * usual constant border of a crop that reaches past the image. Writes nhwc4
 * (B, G, R, 0) * 255 / 127.5 - 1 for channels 0..2 and 0 in the padded lane: the network takes
 * BGR in [-1, 1], as trained (OpenCV images, x / 127.5 - 1).
 */
export function imageToTensorWGSL(s: ImageToTensorSpec): string {
  const { size, wg } = s;
  return `
struct Crop {
  origin: vec2<f32>,
  side: f32,
  mirror: u32,
  image: vec2<f32>,
  dst: u32,
  pad: u32,
}

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var<storage, read> crops: array<Crop>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;

fn tap(p: vec2<i32>) -> vec3<f32> {
  return textureLoad(src, p, 0).rgb;
}

@compute @workgroup_size(${wg}, ${wg}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= ${size}u || gid.y >= ${size}u) { return; }
  let c = crops[gid.z];
  let ox = select(gid.x, ${size - 1}u - gid.x, c.mirror != 0u);
  let scale = c.side / ${size}.0;
  let s = c.origin + (vec2<f32>(f32(ox), f32(gid.y)) + 0.5) * scale - 0.5;
  var rgb = vec3<f32>(0.0);
  if (all(s >= vec2<f32>(-0.5)) && all(s <= c.image - 0.5)) {
    let q = clamp(s, vec2<f32>(0.0), c.image - 1.0);
    let f = floor(q);
    let l = q - f;
    let a = vec2<i32>(f);
    let b = min(a + 1, vec2<i32>(c.image) - 1);
    let top = mix(tap(a), tap(vec2<i32>(b.x, a.y)), l.x);
    let bot = mix(tap(vec2<i32>(a.x, b.y)), tap(b), l.x);
    rgb = mix(top, bot, l.y);
  }
  let v = rgb * (255.0 / 127.5) - 1.0;
  Y[c.dst + gid.y * ${size}u + gid.x] = vec4<f32>(v.b, v.g, v.r, 0.0);
}`;
}
