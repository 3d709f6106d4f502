import { vec4IndexParams, type Param } from './common.ts';
import { conv2dHeaderWGSL, fma4, type Conv2dSpec } from './conv2d.wgsl.ts';

/** Threads per workgroup of the tiled kernel (its loaders and its compute lanes alike). */
export const TILED_THREADS = 64;

/** Threads across channel groups in a tile of tc4 groups: up to 4, each then takes tc4 / 4 groups. */
export const tiledChannelThreads = (tc4: number) => Math.min(tc4, 4);

// Non-short-circuit `&`: Tint turns each `&&` into a branch, and SwiftShader's compile time grows
// exponentially with a run of branchy loads (5 loads 26 s, 8 never finished) where `&` stays flat.
const allOf = (...conds: string[]) => conds.map((c) => `(${c})`).join(' & ');

/**
 * Implicit-GEMM convolution through workgroup memory. One workgroup of 64 threads computes a
 * tile of s.tile.tp output pixels x s.tile.tc4 output vec4 groups (of image wid.z); each thread
 * accumulates 4 pixels x tc4/4 groups (at least 1). K = kh * kw * ci4 (weight packing order) runs in
 * slices of ks: per slice the threads together copy the tile's ks x tp input vec4s and
 * ks x 4*tc4 weight vec4s into workgroup arrays, wait at a barrier, and multiply from there, so
 * every global load is shared by the whole tile instead of one thread's block.
 *
 * Loaders: thread lid copies K entry k0 + lid % ks for pixels lid / ks + j * 64 / ks, so
 * neighbouring threads read neighbouring vec4s of one pixel (nhwc4 is channel-fastest).
 * Padding taps, pixels past the map and K entries past the end are stored as 0 (read at index 0,
 * then selected away: branch-free, which SwiftShader compiles far better than an if per load),
 * which is how partial tiles and the last partial slice contribute nothing. Nothing returns
 * early: the barriers need the whole workgroup, so loads and stores are guarded instead.
 * Same weights, params and epilogue (`store`) as the register-blocked kernel.
 */
export function conv2dTiledWGSL(s: Conv2dSpec, params: readonly Param[]): string {
  const { tp, tc4, ks } = s.tile!;
  const { kh, kw } = s.win;
  const T = TILED_THREADS;
  const chT = tiledChannelThreads(tc4);
  const pxT = T / chT;
  const pix = [...Array(tp / pxT).keys()];
  const grp = [...Array(tc4 / chT).keys()];
  const wRow = tc4 * 4;
  const xLoads = [...Array((tp * ks) / T).keys()];
  const wLoads = [...Array(Math.ceil((ks * wRow) / T)).keys()];
  const wPartial = (ks * wRow) % T !== 0;
  const xStep = T / ks;
  return `${conv2dHeaderWGSL(s, params)}

var<workgroup> Xs: array<vec4<f32>, ${ks * tp}>;
var<workgroup> Ws: array<vec4<f32>, ${ks * wRow}>;

@compute @workgroup_size(${T}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.z;
  let npix = P.npix;
  let ci4 = P.ci4;
  let p0 = wid.y * ${tp}u;
  let c0 = wid.x * ${tc4}u;
  let K = ${kh * kw}u * ci4;
  let ih = i32(P.xH);
  let iw = i32(P.xW);
  // Loader role: one K entry per slice, ${xLoads.length} pixels (their top-left taps here).
  let kk = lid % ${ks}u;
  ${xLoads
    .map(
      (j) => `let lp${j} = p0 + lid / ${ks}u + ${j * xStep}u; let lq${j} = min(lp${j}, npix - 1u);
  let iy${j} = i32((lq${j} / P.yW) * P.sh) - P.padT; let ix${j} = i32((lq${j} % P.yW) * P.sw) - P.padL;`,
    )
    .join('\n  ')}
  // Compute role: pixels ty + i * ${pxT}, channel groups tx + t * ${chT} of the tile.
  let tx = lid % ${chT}u;
  let ty = lid / ${chT}u;
  ${pix.flatMap((i) => grp.map((t) => `var a${i}_${t} = vec4<f32>(0.0);`)).join('\n  ')}
  for (var k0 = 0u; k0 < K; k0 += ${ks}u) {
    {
      let k = k0 + kk;
      let tap = k / ci4;
      let c = k % ci4;
      let ky = i32(tap / ${kw}u);
      let kx = i32(tap % ${kw}u);
      ${xLoads
        .map(
          (j) => `{
        let y = iy${j} + ky; let x = ix${j} + kx;
        let ok = ${allOf('k < K', `lp${j} < npix`, 'y >= 0', 'y < ih', 'x >= 0', 'x < iw')};
        let v = X[select(0u, ${vec4IndexParams('x', 'n', 'u32(y)', 'u32(x)', 'c')}, ok)];
        Xs[kk * ${tp}u + lid / ${ks}u + ${j * xStep}u] = select(vec4<f32>(0.0), v, ok);
      }`,
        )
        .join('\n      ')}
    }
    ${wLoads
      .map(
        (j) => `{
      let i = lid + ${j * T}u;
      ${wPartial ? `if (i < ${ks * wRow}u) {` : '{'}
        let wk = k0 + i / ${wRow}u; let q = i % ${wRow}u;
        let ok = ${allOf('wk < K', 'c0 + q / 4u < P.co4')};
        Ws[i] = select(vec4<f32>(0.0), wv(select(0u, wk * P.coPad4 * 4u + c0 * 4u + q, ok)), ok);
      }
    }`,
      )
      .join('\n    ')}
    workgroupBarrier();
    for (var s = 0u; s < ${ks}u; s++) {
      let xo = s * ${tp}u + ty;
      let wo = s * ${wRow}u + tx * 4u;
      ${pix.map((i) => `let x${i} = Xs[xo + ${i * pxT}u];`).join('\n      ')}
      ${grp
        .map(
          (t) => `{
        let w0 = Ws[wo + ${t * chT * 4}u]; let w1 = Ws[wo + ${t * chT * 4 + 1}u]; let w2 = Ws[wo + ${t * chT * 4 + 2}u]; let w3 = Ws[wo + ${t * chT * 4 + 3}u];
        ${pix.map((i) => `a${i}_${t} += ${fma4(`x${i}`, 'w0', 'w1', 'w2', 'w3')};`).join('\n        ')}
      }`,
        )
        .join('\n      ')}
    }
    // The next slice overwrites the arrays only after everyone has read them.
    workgroupBarrier();
  }
  ${pix
    .flatMap((i) =>
      grp.map(
        (t) => `{
    let p = p0 + ty + ${i * pxT}u; let c4 = c0 + tx + ${t * chT}u;
    if (p < npix && c4 < P.co4) { store(n, p / P.yW, p % P.yW, c4, a${i}_${t}); }
  }`,
      ),
    )
    .join('\n  ')}
}`;
}
