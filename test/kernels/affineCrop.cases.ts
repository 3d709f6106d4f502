import { AffineCropTexture, affineCrop, affineCropParams, type AffineCropItem } from '../../src/kernels/affineCrop.ts';
import * as ref from '../reference/cpu.ts';
import { check, nhwc, type KernelCase, type Mutation } from './harness.ts';

type Rgb = readonly [number, number, number];
interface Norm {
  scale: number;
  mean?: Rgb;
  std?: Rgb;
}

/**
 * Float64 reference: output pixel centre (u + 0.5, v + 0.5), mirrored to outW - u', mapped
 * through [a..f] to image (x, y); bilinear around (x, y) - 0.5 with taps outside the image
 * reading 0; then (rgb * scale - mean) / std. src is NCHW [1 or N, C >= 3, H, W].
 */
function refAffineCrop(src: ref.Tensor64, params: Float64Array, oh: number, ow: number, norm: Norm): ref.Tensor64 {
  const [sn, sc, sh, sw] = src.shape;
  const n = params.length / 8;
  const out = ref.zeros([n, 3, oh, ow]);
  for (let i = 0; i < n; i++) {
    const [a, b, c, d, e, f, mirror] = params.subarray(i * 8, i * 8 + 8);
    const item = sn === 1 ? 0 : i;
    const tap = (ch: number, x: number, y: number) => (x < 0 || y < 0 || x >= sw || y >= sh ? 0 : src.data[((item * sc + ch) * sh + y) * sw + x]);
    for (let v = 0; v < oh; v++)
      for (let u = 0; u < ow; u++) {
        const uc = mirror > 0.5 ? ow - (u + 0.5) : u + 0.5;
        const vc = v + 0.5;
        const qx = a * uc + b * vc + c - 0.5;
        const qy = d * uc + e * vc + f - 0.5;
        const x0 = Math.floor(qx);
        const y0 = Math.floor(qy);
        const lx = qx - x0;
        const ly = qy - y0;
        for (let ch = 0; ch < 3; ch++) {
          const top = tap(ch, x0, y0) * (1 - lx) + tap(ch, x0 + 1, y0) * lx;
          const bot = tap(ch, x0, y0 + 1) * (1 - lx) + tap(ch, x0 + 1, y0 + 1) * lx;
          const val = (top * (1 - ly) + bot * ly) * norm.scale;
          out.data[((i * 3 + ch) * oh + v) * ow + u] = (val - (norm.mean?.[ch] ?? 0)) / (norm.std?.[ch] ?? 1);
        }
      }
  }
  return out;
}

/** Crop -> image matrix of an oh x ow crop of a (rw x rh) rect centred at (cx, cy), rotated by deg. */
function rotated(cx: number, cy: number, rw: number, rh: number, deg: number, oh: number, ow: number): number[] {
  const t = (deg * Math.PI) / 180;
  const [sx, sy] = [rw / ow, rh / oh];
  const [a, b, d, e] = [Math.cos(t) * sx, -Math.sin(t) * sy, Math.sin(t) * sx, Math.cos(t) * sy];
  return [a, b, cx - a * (ow / 2) - b * (oh / 2), d, e, cy - d * (ow / 2) - e * (oh / 2)];
}

/** Letterbox of a w x h image into an oh x ow input: one scale, centred, zero bands (MediaPipe's palm detector input). */
function letterbox(w: number, h: number, oh: number, ow: number): number[] {
  const s = Math.max(w / ow, h / oh); // image pixels per input pixel
  return [s, 0, -s * ((ow - w / s) / 2), 0, s, -s * ((oh - h / s) / 2)];
}

interface CropCase {
  label: string;
  /** Source NCHW [1 or N, C, H, W]. */
  src: [number, number, number, number];
  oh: number;
  ow: number;
  items: AffineCropItem[];
  norm?: Norm;
  exact?: boolean;
}

const u8: Norm = { scale: 1 / 255 };

function cropCase(k: CropCase): KernelCase {
  const norm = k.norm ?? u8;
  return {
    name: `affineCrop ${k.label}`,
    run: (engine, seed) =>
      check(engine, seed, (g, rng) => {
        const x = ref.randomTensor(k.src, rng, 0, norm.scale === 1 ? 1 : 255);
        const p = Float64Array.from(affineCropParams(k.items)); // f32-rounded, as the GPU sees it
        const params = ref.tensor([k.items.length, 8, 1, 1], p);
        const xt = g.input('image', nhwc(x.shape));
        const pt = g.input('params', nhwc(params.shape));
        const y = affineCrop(g, 'crop', xt, { height: k.oh, width: k.ow, params: pt, valueScale: norm.scale, mean: norm.mean, std: norm.std });
        const tol = k.exact ? { rtol: 0, atol: 0 } : { rtol: 1e-5, atol: 2e-5 };
        return { inputs: [[xt, x], [pt, params]], outputs: [[y, refAffineCrop(x, p, k.oh, k.ow, norm)]], ...tol };
      }),
  };
}

const I = [1, 0, 0, 0, 1, 0];
const imagenet: Norm = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

const crops: CropCase[] = [
  { label: 'identity 6x7 is the source exactly', src: [1, 4, 6, 7], oh: 6, ow: 7, items: [{ toImage: I }], norm: { scale: 1 }, exact: true },
  { label: 'rotation 0 down 11x13 -> 7x9', src: [1, 4, 11, 13], oh: 7, ow: 9, items: [{ toImage: rotated(6.3, 5.1, 8.5, 7.2, 0, 7, 9) }] },
  { label: 'rotation 90 off-centre 10x12 -> 8x8', src: [1, 4, 10, 12], oh: 8, ow: 8, items: [{ toImage: rotated(8, 4, 9, 9, 90, 8, 8) }] },
  { label: 'rotation 30 mean/std 9x14 -> 10x10', src: [1, 4, 9, 14], oh: 10, ow: 10, items: [{ toImage: rotated(7, 4.5, 8, 8, 30, 10, 10) }], norm: imagenet },
  { label: 'rotation -135 source 5x4 smaller than output 9x11', src: [1, 3, 5, 4], oh: 9, ow: 11, items: [{ toImage: rotated(2, 2.5, 6, 5, -135, 9, 11) }] },
  { label: '1x1 output rotation 30', src: [1, 4, 6, 6], oh: 1, ow: 1, items: [{ toImage: rotated(3.2, 2.7, 2, 2, 30, 1, 1) }] },
  { label: 'batch 2 one image, different matrices, second mirrored 8x10 -> 6x5', src: [1, 4, 8, 10], oh: 6, ow: 5, items: [{ toImage: rotated(5, 4, 6, 7, 30, 6, 5) }, { toImage: rotated(4, 3, 5, 5, -135, 6, 5), mirror: true }] },
  { label: 'batch 2 two images c3 7x6 -> 5x5', src: [2, 3, 7, 6], oh: 5, ow: 5, items: [{ toImage: rotated(3, 3.5, 4, 4, 90, 5, 5) }, { toImage: rotated(2.5, 4, 6, 6, 0, 5, 5) }] },
  { label: 'letterbox wide 12x8 -> 16x16', src: [1, 4, 8, 12], oh: 16, ow: 16, items: [{ toImage: letterbox(12, 8, 16, 16) }] },
  { label: 'letterbox tall 6x12 -> 8x8', src: [1, 4, 12, 6], oh: 8, ow: 8, items: [{ toImage: letterbox(6, 12, 8, 8) }] },
  { label: 'mirror rotation 30 9x9 -> 7x6', src: [1, 4, 9, 9], oh: 7, ow: 6, items: [{ toImage: rotated(4.5, 4.5, 6, 7, 30, 7, 6), mirror: true }] },
];

/** The texture source (AffineCropTexture, outside the graph) against the same reference: rgba8unorm texels k / 255. */
const textureCase: KernelCase = {
  name: 'affineCrop texture rgba8unorm rotation 30 + mirrored batch 2 11x9 -> 6x7',
  async run(engine, seed) {
    const [w, h, oh, ow] = [11, 9, 6, 7];
    const rng = ref.makeRng(seed);
    const texels = Uint8Array.from({ length: w * h * 4 }, () => Math.floor(rng() * 256));
    const items: AffineCropItem[] = [{ toImage: rotated(5, 4, 8, 7, 30, oh, ow) }, { toImage: rotated(6, 5, 6, 6, -135, oh, ow), mirror: true }];
    const device = engine.device;
    const texture = device.createTexture({ size: [w, h], format: 'rgba8unorm', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
    const bytes = items.length * oh * ow * 16;
    const out = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const crop = await AffineCropTexture.create(device, { height: oh, width: ow });
    try {
      device.queue.writeTexture({ texture }, texels, { bytesPerRow: w * 4 }, [w, h]);
      device.queue.writeBuffer(out, 0, new Float32Array(bytes / 4).fill(NaN));
      const enc = device.createCommandEncoder();
      crop.encode(enc, texture, out, items);
      enc.copyBufferToBuffer(out, 0, readback, 0, bytes);
      device.queue.submit([enc.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      // NCHW source from the RGBA texels, and the output's nhwc4 -> NCHW with padded lanes checked.
      const src = ref.zeros([1, 4, h, w]);
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 4; c++) src.data[c * w * h + i] = texels[i * 4 + c] / 255;
      const want = refAffineCrop(src, Float64Array.from(affineCropParams(items)), oh, ow, { scale: 1 });
      const nchw = new Float32Array(want.data.length);
      for (let n = 0; n < items.length; n++)
        for (let p = 0; p < oh * ow; p++) {
          for (let c = 0; c < 3; c++) nchw[(n * 3 + c) * oh * ow + p] = got[(n * oh * ow + p) * 4 + c];
          if (got[(n * oh * ow + p) * 4 + 3] !== 0) throw new Error(`affineCrop texture: padded lane not 0 (seed ${seed})`);
        }
      const r = ref.compare(nchw, want.data, { rtol: 1e-5, atol: 2e-5, shape: want.shape, name: 'affineCrop texture' });
      if (!r.ok) throw new Error(`${r.message} (seed ${seed})`);
    } finally {
      crop.dispose();
      texture.destroy();
      out.destroy();
      readback.destroy();
    }
  },
};

export const affineCropCases: KernelCase[] = [...crops.map(cropCase), textureCase];

/** Rewrites [a..f] as read by the kernel: x from the first row, y from the second. */
const xRow = 'r0.x * uv.x + r0.y * uv.y + r0.z';
const yRow = 'r0.w * uv.x + r1.x * uv.y + r1.y';
const swapRows: Mutation = (s) => s.replace(xRow, '@X').replace(yRow, xRow).replace('@X', yRow);
const transpose: Mutation = (s) => s.replace(xRow, 'r0.x * uv.x + r0.w * uv.y + r0.z').replace(yRow, 'r0.y * uv.x + r1.x * uv.y + r1.y');
const clampToEdge: Mutation = (s) =>
  s.replace('if (any(p < vec2<i32>(0)) || any(p >= size)) { return vec3<f32>(0.0); }\n  let q = vec2<u32>(p);', 'let q = vec2<u32>(clamp(p, vec2<i32>(0), size - 1));');

/** Plausible bugs, each as a WGSL rewrite and the case that must catch it with a MISMATCH. */
export const affineCropMutants: [string, string, Mutation][] = [
  ['affineCrop: output half-pixel centre dropped', 'affineCrop identity', (s) => s.replace('vec2<f32>(f32(gid.x), f32(gid.y)) + 0.5', 'vec2<f32>(f32(gid.x), f32(gid.y))')],
  ['affineCrop: source half-pixel centre dropped', 'affineCrop rotation 0', (s) => s.replace('vec2<f32>(x, y) - 0.5', 'vec2<f32>(x, y)')],
  ['affineCrop: matrix rows swapped', 'affineCrop rotation 30', swapRows],
  ['affineCrop: matrix transposed', 'affineCrop rotation 30', transpose],
  ['affineCrop: zero outside replaced by clamp-to-edge (rotated)', 'affineCrop rotation -135', clampToEdge],
  ['affineCrop: zero outside replaced by clamp-to-edge (letterbox bands)', 'affineCrop letterbox wide', clampToEdge],
  ['affineCrop: mirror ignored', 'affineCrop mirror', (s) => s.replace('r1.z > 0.5', 'false')],
  ['affineCrop: channel order swapped', 'affineCrop rotation 0', (s) => s.replace('vec4<f32>(v.r, v.g, v.b, 0.0)', 'vec4<f32>(v.b, v.g, v.r, 0.0)')],
  ['affineCrop: every crop uses the first matrix', 'affineCrop batch 2 one image', (s) => s.replace('P[n * 2u]', 'P[0u]').replace('P[n * 2u + 1u]', 'P[1u]')],
  ['affineCrop: second image ignored', 'affineCrop batch 2 two images', (s) => s.replace(/X\[\(\(\(n\) \*/, 'X[(((0u) *')],
];
