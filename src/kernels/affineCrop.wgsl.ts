/**
 * WGSL of the affine crop kernel (affineCrop.ts). One body, two sources: an engine tensor (a
 * graph node) or a float texture (AffineCropTexture); only the declarations and `tap` differ.
 */
import type { Tensor } from '../engine/index.ts';
import { f32, vec4Index } from './common.ts';

/** Floats per crop in the parameter tensor / buffer: a, b, c, d, e, f, mirror, 0. */
export const AFFINE_CROP_PARAMS = 8;

/** Where the kernel reads pixels: a tensor [1 or N, H, W, C >= 3] or a texture_2d<f32>. */
export type AffineCropSource = { tensor: Tensor } | { texture: true };

export interface AffineCropSpec {
  source: AffineCropSource;
  /** The [N, 1, 1, 8] parameter tensor (tensor source); the texture path binds a plain array. */
  params?: Tensor;
  /** Output [N, outH, outW, 3] tensor (tensor source); the texture path writes dense nhwc4. */
  out?: Tensor;
  outH: number;
  outW: number;
  /** Per channel: out = rgb * mul + add (scale, mean and std folded). */
  mul: readonly [number, number, number];
  add: readonly [number, number, number];
  wg: number;
}

/** Declarations and `tap(n, p)`: the texel at integer p of batch item n, 0 outside the image. */
function sourceWGSL(s: AffineCropSpec): string {
  if ('texture' in s.source)
    return `
@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;

fn tap(n: u32, p: vec2<i32>) -> vec3<f32> {
  let size = vec2<i32>(textureDimensions(src));
  if (any(p < vec2<i32>(0)) || any(p >= size)) { return vec3<f32>(0.0); }
  return textureLoad(src, p, 0).rgb;
}`;
  const x = s.source.tensor;
  const [xn, h, w] = x.shape;
  // One source image may serve every crop (xn = 1) or each crop has its own.
  const item = xn === 1 ? '0u' : 'n';
  return `
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> P: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;

fn tap(n: u32, p: vec2<i32>) -> vec3<f32> {
  let size = vec2<i32>(${w}, ${h});
  if (any(p < vec2<i32>(0)) || any(p >= size)) { return vec3<f32>(0.0); }
  let q = vec2<u32>(p);
  return X[${vec4Index(x, item, 'q.y', 'q.x', '0u')}].rgb;
}`;
}

/**
 * One thread per output pixel (u, v), one workgroup layer (z) per crop n. Crop coordinates are
 * continuous with pixel centres at k + 0.5; mirroring maps u to outW - u. The crop -> image
 * matrix gives image coordinates (x, y), again with centres at k + 0.5, so the four taps are
 * around (x, y) - 0.5. Taps outside the image read 0 and are still blended in, as OpenCV's
 * warpAffine with BORDER_CONSTANT 0 (MediaPipe's hand crops) does.
 */
export function affineCropWGSL(s: AffineCropSpec): string {
  const { outH, outW, wg, mul, add } = s;
  const outIndex = s.out ? vec4Index(s.out, 'n', 'gid.y', 'gid.x', '0u') : `(n * ${outH}u + gid.y) * ${outW}u + gid.x`;
  const v3 = (c: readonly number[]) => `vec3<f32>(${c.map(f32).join(', ')})`;
  return `${sourceWGSL(s)}

@compute @workgroup_size(${wg}, ${wg}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= ${outW}u || gid.y >= ${outH}u) { return; }
  let n = gid.z;
  let r0 = P[n * 2u];
  let r1 = P[n * 2u + 1u];
  let centre = vec2<f32>(f32(gid.x), f32(gid.y)) + 0.5;
  let uv = vec2<f32>(select(centre.x, ${f32(outW)} - centre.x, r1.z > 0.5), centre.y);
  let x = r0.x * uv.x + r0.y * uv.y + r0.z;
  let y = r0.w * uv.x + r1.x * uv.y + r1.y;
  let q = vec2<f32>(x, y) - 0.5;
  let f = floor(q);
  let l = q - f;
  let a = vec2<i32>(f);
  let top = mix(tap(n, a), tap(n, a + vec2<i32>(1, 0)), l.x);
  let bot = mix(tap(n, a + vec2<i32>(0, 1)), tap(n, a + vec2<i32>(1, 1)), l.x);
  let v = mix(top, bot, l.y) * ${v3(mul)} + ${v3(add)};
  Y[${outIndex}] = vec4<f32>(v.r, v.g, v.b, 0.0);
}`;
}
