import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import type { Constant, Tensor } from '../engine/index.ts';
import {
  activationWGSL, bilinearSamplerParams, paramsWGSL, weightBufferWGSL, samplerParams, tensorParams, u32Param, vec4Index, vec4IndexParams,
  type ActivationKind, type Param, type ResizeCoordinates, type WindowShape,
} from './common.ts';

export interface Conv2dSpec {
  x: Tensor;
  y: Tensor;
  /** The packed weights (f32 or f16 pairs; read through weightBufferWGSL). */
  w: Constant;
  win: WindowShape;
  /** Output-channel vec4 groups in the packed weights (a multiple of the blocked kernel's tc; every variant reads this packing). */
  coPad4: number;
  /** Pixels per thread and vec4 channel groups per thread (register blocking). */
  tp: number;
  tc: number;
  /** Threads across channel blocks in a blocked workgroup of 64 (a param: P.wgX). */
  wgX: number;
  act: ActivationKind;
  /** The tiled variant's workgroup tile (see conv2dTiledWGSL); absent for the others. */
  tile?: Conv2dTile;
  residual?: Tensor;
  upsample?: { t: Tensor; coordinates: ResizeCoordinates };
}

/** A workgroup's tile: tp output pixels x tc4 output vec4 groups, ks K entries (taps x ci4) per slice. */
export interface Conv2dTile {
  tp: number;
  tc4: number;
  ks: number;
}

/**
 * The shape values the conv kernels read from their params: tensor placements, channel groups,
 * stride and top/left padding (the kernel size stays baked in, so its loops unroll).
 */
export function conv2dParams(s: Conv2dSpec): Param[] {
  const { x, y, win } = s;
  const [, oh, ow, co] = y.shape;
  return [
    ...tensorParams('x', x), ...tensorParams('y', y),
    u32Param('ci4', Math.ceil(x.channels / 4)), u32Param('co4', Math.ceil(co / 4)), u32Param('coPad4', s.coPad4), u32Param('npix', oh * ow),
    u32Param('wgX', s.wgX), u32Param('sh', win.sh), u32Param('sw', win.sw), { name: 'padT', type: 'i32', value: win.pad.top }, { name: 'padL', type: 'i32', value: win.pad.left },
    ...(s.residual ? [...tensorParams('r', s.residual), u32Param('r4', Math.ceil(s.residual.channels / 4))] : []),
    ...(s.upsample ? samplerParams('u', s.upsample.t, oh, ow, s.upsample.coordinates) : []),
  ];
}

/**
 * Implicit-GEMM convolution on nhwc4 tensors, register-blocked: each thread accumulates
 * tp output pixels x tc groups of 4 output channels. Per (kh, kw, ci4) step it loads tp input
 * vec4s and 4*tc weight vec4s and does 16*tp*tc multiply-adds, so every load feeds several FMAs.
 * No workgroup memory: neighbouring threads share inputs through the cache, and the kernel
 * stays barrier-free (barriers are what software rasterisers pay most for).
 *
 * Weights are packed [kh][kw][ci4][coPad4][4] vec4s: entry j of a group holds input channel
 * ci4*4+j for output channels co4*4..co4*4+3. The epilogue: v = acc*scale + shift, then
 * + residual, then the activation, then + bilinear(upsample) — BatchNorm, activation, residual
 * and the decoder's upsample-and-add fused into the conv's store. Only the top/left padding
 * appears in the loop: bottom/right padding just makes the output bigger, and the bounds test
 * zeroes those taps. Shapes come from the params (conv2dParams), so every layer with the same
 * kernel size, blocking and epilogue shares one pipeline.
 */
export function conv2dWGSL(s: Conv2dSpec, params: readonly Param[]): string {
  const { tp, tc } = s;
  const { kh, kw } = s.win;
  const pix = [...Array(tp).keys()];
  const grp = [...Array(tc).keys()];
  return `${conv2dHeaderWGSL(s, params)}

// 64 threads laid out wgX (channel blocks) by 64 / wgX (pixel blocks), wgX from the params.
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let cob = (wid.x * P.wgX + lid % P.wgX) * ${tc}u;
  let pb = (wid.y * (64u / P.wgX) + lid / P.wgX) * ${tp}u;
  let n = wid.z;
  let npix = P.npix;
  let ci4 = P.ci4;
  if (cob >= P.co4 || pb >= npix) { return; }
  let ih = i32(P.xH);
  let iw = i32(P.xW);
  ${pix.map((i) => `let p${i} = min(pb + ${i}u, npix - 1u); let oy${i} = p${i} / P.yW; let ox${i} = p${i} % P.yW;`).join('\n  ')}
  ${pix.flatMap((i) => grp.map((t) => `var a${i}_${t} = vec4<f32>(0.0);`)).join('\n  ')}
  let wstride = P.coPad4 * 4u;
  for (var ky = 0u; ky < ${kh}u; ky++) {
    for (var kx = 0u; kx < ${kw}u; kx++) {
      ${pix
        .map(
          (i) => `let iy${i} = i32(oy${i} * P.sh + ky) - P.padT; let ix${i} = i32(ox${i} * P.sw + kx) - P.padL;
      let ok${i} = iy${i} >= 0 && iy${i} < ih && ix${i} >= 0 && ix${i} < iw;
      let xb${i} = select(0u, ${vec4IndexParams('x', 'n', `u32(iy${i})`, `u32(ix${i})`, '0u')}, ok${i});`,
        )
        .join('\n      ')}
      let wb = (ky * ${kw}u + kx) * ci4 * wstride + cob * 4u;
      for (var c = 0u; c < ci4; c++) {
        ${pix.map((i) => `let x${i} = select(vec4<f32>(0.0), X[xb${i} + c], ok${i});`).join('\n        ')}
        let wc = wb + c * wstride;
        ${grp
          .map(
            (t) => `{
          let w0 = wv(wc + ${t * 4}u); let w1 = wv(wc + ${t * 4 + 1}u); let w2 = wv(wc + ${t * 4 + 2}u); let w3 = wv(wc + ${t * 4 + 3}u);
          ${pix.map((i) => `a${i}_${t} += ${fma4(`x${i}`, 'w0', 'w1', 'w2', 'w3')};`).join('\n          ')}
        }`,
          )
          .join('\n        ')}
      }
    }
  }
  ${pix
    .flatMap((i) => grp.map((t) => `if (pb + ${i}u < npix && cob + ${t}u < P.co4) { store(n, oy${i}, ox${i}, cob + ${t}u, a${i}_${t}); }`))
    .join('\n  ')}
}`;
}

/** WGSL expression: input vec4 x times the 4 weight vec4s of its lanes (x.x * w0 + ... ). */
export const fma4 = (x: string, w0: string, w1: string, w2: string, w3: string) => `${x}.x * ${w0} + ${x}.y * ${w1} + ${x}.z * ${w2} + ${x}.w * ${w3}`;

/**
 * What the register-blocked and tiled conv kernels share: the bindings (weights read through
 * `fn wv(i) -> vec4<f32>`, whatever their precision), the params struct and
 * `fn store(n, oy, ox, c4, acc)`, the fused epilogue: v = acc*scale + shift, + residual (groups
 * past P.r4 add nothing), the activation, + bilinear(upsample); then the write to Y.
 */
export function conv2dHeaderWGSL(s: Conv2dSpec, params: readonly Param[]): string {
  const hasRes = !!s.residual;
  const hasUp = !!s.upsample;
  const nb = 4 + (hasRes ? 1 : 0) + (hasUp ? 1 : 0);
  return wgsl`
@group(0) @binding(0) var<storage, read> X: array<vec4<f32>>;
${weightBufferWGSL(s.w, 1, 'Wt', 'wv', 'vec4')}
@group(0) @binding(2) var<storage, read> SS: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
#if ${hasRes}
@group(0) @binding(4) var<storage, read> R: array<vec4<f32>>;
#endif
#if ${hasUp}
@group(0) @binding(${hasRes ? 5 : 4}) var<storage, read> U: array<vec4<f32>>;
${hasUp ? bilinearSamplerParams('upsampled', 'U', 'u', s.upsample!.coordinates) : ''}
#endif
${paramsWGSL(params, nb)}

fn store(n: u32, oy: u32, ox: u32, c4: u32, acc: vec4<f32>) {
  var v = acc * SS[c4] + SS[P.coPad4 + c4];
  ${hasRes ? `if (c4 < P.r4) { v += R[${vec4IndexParams('r', 'n', 'oy', 'ox', 'c4')}]; }` : ''}
  ${activationWGSL(s.act, 'v', `SS[2u * P.coPad4 + c4]`)}
  ${hasUp ? `v += upsampled(n, oy, ox, c4);` : ''}
  Y[${vec4IndexParams('y', 'n', 'oy', 'ox', 'c4')}] = v;
}`;
}

/** The plain kernel kept as a yardstick: one output value per thread, scalar loads. */
export function conv2dDirectWGSL(s: Conv2dSpec, wg: number): string {
  const { x, y } = s;
  const { kh, kw, sh, sw, pad } = s.win;
  const [, ih, iw] = x.shape;
  const [n, oh, ow, co] = y.shape;
  const ci = x.channels;
  // Threads cover the padded channels too, so padded lanes get their 0 (zero weights and shift).
  const cp = s.coPad4 * 4;
  const total = n * oh * ow * cp;
  return `
@group(0) @binding(0) var<storage, read> X: array<f32>;
${weightBufferWGSL(s.w, 1, 'Wt', 'ws', 'scalar')}
@group(0) @binding(2) var<storage, read> SS: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(${wg}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * ${wg * 65535}u;
  if (i >= ${total}u) { return; }
  let oc = i % ${cp}u;
  if (oc >= ${Math.ceil(co / 4) * 4}u) { return; }
  let ox = (i / ${cp}u) % ${ow}u;
  let oy = (i / ${cp * ow}u) % ${oh}u;
  let n = i / ${cp * ow * oh}u;
  var acc = 0.0;
  for (var ky = 0u; ky < ${kh}u; ky++) {
    for (var kx = 0u; kx < ${kw}u; kx++) {
      let iy = i32(oy * ${sh}u + ky) - ${pad.top};
      let ix = i32(ox * ${sw}u + kx) - ${pad.left};
      if (iy < 0 || iy >= ${ih} || ix < 0 || ix >= ${iw}) { continue; }
      for (var c = 0u; c < ${ci}u; c++) {
        let xv = X[(${vec4Index(x, 'n', 'u32(iy)', 'u32(ix)', '0u')}) * 4u + c];
        acc += xv * ws(((((ky * ${kw}u + kx) * ${Math.ceil(ci / 4)}u + c / 4u) * ${s.coPad4}u + oc / 4u) * 4u + c % 4u) * 4u + oc % 4u);
      }
    }
  }
  var v = acc * SS[oc] + SS[${s.coPad4 * 4}u + oc];
  ${activationWGSL(s.act, 'v', `SS[${2 * cp}u + oc]`, 'f32')}
  Y[(${vec4Index(y, 'n', 'oy', 'ox', '0u')}) * 4u + oc] = v;
}`;
}
