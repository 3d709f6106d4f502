/**
 * The whole hand pipeline on one graph: HIU-DMTL, then MANO driven by the regressor's 61
 * coefficients, and the readback that turns output tensors into CPU results (mirroring right
 * hands back, since the network was trained on left hands).
 */
import { unpackNHWC, unpackToNCHW, type Executable, type Graph, type Tensor } from '../engine/index.ts';
import type { HiuConfig } from '../weights/config.ts';
import { buildHiuGraph, type HiuGraph } from './hiu.ts';
import { buildMano, type ManoOutputs } from './mano.ts';
import type { ManoAsset } from './manoAsset.ts';
import type { TensorLookup } from './params.ts';
import { mirrorMaps, mirrorPof, mirrorPoints3 } from './preprocess.ts';
import { nonFiniteReport } from '../util/finite.ts';

export interface HandGraph {
  net: HiuGraph;
  mano: ManoOutputs | null;
  inputSize: number;
}

export function buildHandGraph(g: Graph, weights: TensorLookup, config: HiuConfig, asset: ManoAsset | null, opts: { batch?: number; inputSize?: number } = {}): HandGraph {
  const inputSize = opts.inputSize ?? config.inputSize;
  const net = g.scope('hiu', () => buildHiuGraph(g, weights, config, { batch: opts.batch, inputSize }));
  let mano: ManoOutputs | null = null;
  if (asset && net.coeffs) {
    mano = buildMano(g, asset, net.coeffs);
    for (const t of [mano.vertices, mano.joints3d, mano.joints2d]) g.output(t);
  }
  return { net, mano, inputSize };
}

export interface Keypoint2D {
  /** Map pixel coordinates (0 .. mapSize - 1) and input-crop pixel coordinates. */
  row: number;
  col: number;
  x: number;
  y: number;
  /** Peak of the clamped heat map; confident when above 0.4. */
  peak: number;
  /** peak > 0.4, and false for every keypoint when any output of the hand is not finite (HandResult.nonFinite). */
  confident: boolean;
}

export interface HandResult {
  /** [21, H/4, W/4] etc. as NCHW Float32Arrays of one batch item (item 0 unless asked otherwise). */
  heatmaps: Float32Array;
  pof: Float32Array;
  maskLogit: Float32Array;
  maskProb: Float32Array;
  mapSize: number;
  keypoints: Keypoint2D[];
  beta: Float32Array;
  pose: Float32Array;
  /** Weak-perspective camera (s, tx, ty). */
  camera: Float32Array;
  /** MANO outputs in metres ([V, 3], [21, 3]) and crop coordinates in [0, 1] ([21, 2]). */
  vertices: Float32Array | null;
  joints3d: Float32Array | null;
  joints2d: Float32Array | null;
  /**
   * Null when every output above is finite. Otherwise the result is garbage (weights or input
   * that overflow float32, e.g. a weight of 3e38): this names the outputs holding NaN or infinity
   * and how many values, and every keypoint is `confident: false`. Results are returned, not
   * thrown, so a caller can still look at them; the CLI exits non-zero.
   */
  nonFinite: string | null;
}

const CONFIDENT = 0.4;

/** Reads batch item `item` (default 0) of every output; `right` mirrors everything back to a right hand. */
export async function readHandResult(exe: Executable, h: HandGraph, right = false, item = 0): Promise<HandResult> {
  const rights: boolean[] = [];
  rights[item] = right;
  return (await readHandResults(exe, h, rights))[item];
}

/**
 * Reads several batch items with one readback of every output tensor: item i is read when
 * `rights[i]` is a boolean (true mirrors it back to a right hand); holes are skipped (the
 * returned array has a hole there too).
 */
export async function readHandResults(exe: Executable, h: HandGraph, rights: readonly (boolean | undefined)[]): Promise<HandResult[]> {
  const { net, mano } = h;
  const batch = net.last.heatmaps.shape[0];
  if (rights.length > batch) throw new Error(`readHandResults: ${rights.length} items asked, the graph has batch ${batch}`);
  // Every output in one read-back (one GPU round trip), then unpacked.
  const wanted = [net.last.heatmaps, net.last.pof, net.last.maskLogit, net.last.maskProb, net.last.keypoints,
    ...(net.coeffs ? [net.coeffs] : []), ...(mano ? [mano.vertices, mano.joints3d, mano.joints2d] : [])];
  const raw = new Map((await exe.readMany(wanted)).map((d, i) => [wanted[i], d]));
  const nchw = (t: Tensor) => {
    const [, hh, ww, c] = t.shape;
    return { all: unpackToNCHW(raw.get(t)!, t.shape), per: c * hh * ww, shape: [1, c, hh, ww] as [number, number, number, number] };
  };
  const nhwc = (t: Tensor) => ({ all: unpackNHWC(raw.get(t)!, t.shape), per: t.shape[1] * t.shape[2] * t.shape[3] });
  const item = (a: { all: Float32Array; per: number }, i: number) => a.all.slice(i * a.per, (i + 1) * a.per);
  const HM = nchw(net.last.heatmaps);
  const POF = nchw(net.last.pof);
  const ML = nchw(net.last.maskLogit);
  const MP = nchw(net.last.maskProb);
  const KP = nhwc(net.last.keypoints);
  const CO = net.coeffs ? nhwc(net.coeffs) : null;
  const VE = mano ? nhwc(mano.vertices) : null;
  const J3 = mano ? nhwc(mano.joints3d) : null;
  const J2 = mano ? nhwc(mano.joints2d) : null;
  const mapSize = HM.shape[3];
  const scale = h.inputSize / mapSize;
  const out: HandResult[] = [];
  rights.forEach((right, i) => {
    if (right === undefined) return;
    const hm = { data: item(HM, i), shape: HM.shape };
    const pof = { data: item(POF, i), shape: POF.shape };
    const ml = { data: item(ML, i), shape: ML.shape };
    const mp = { data: item(MP, i), shape: MP.shape };
    const kp = item(KP, i);
    if (right) {
      mirrorMaps(hm.data, hm.shape);
      mirrorPof(pof.data, pof.shape);
      mirrorMaps(ml.data, ml.shape);
      mirrorMaps(mp.data, mp.shape);
    }
    const keypoints: Keypoint2D[] = [];
    for (let k = 0; k < kp.length / 3; k++) {
      const row = kp[3 * k];
      const col = right ? mapSize - 1 - kp[3 * k + 1] : kp[3 * k + 1];
      const peak = kp[3 * k + 2];
      // Map pixel centres sit at (i + 0.5) * scale in the input crop.
      keypoints.push({ row, col, x: (col + 0.5) * scale, y: (row + 0.5) * scale, peak, confident: peak > CONFIDENT });
    }
    const coeffs = CO ? item(CO, i) : new Float32Array(61).fill(NaN);
    let vertices: Float32Array | null = null;
    let joints3d: Float32Array | null = null;
    let joints2d: Float32Array | null = null;
    if (VE && J3 && J2) {
      vertices = item(VE, i);
      joints3d = item(J3, i);
      joints2d = item(J2, i);
      if (right) {
        mirrorPoints3(vertices);
        mirrorPoints3(joints3d);
        for (let j = 0; j < joints2d.length; j += 2) joints2d[j] = 1 - joints2d[j];
      }
    }
    // The scan runs over values already read back: no extra GPU work or readback.
    const nonFinite = nonFiniteReport({
      heatmaps: hm.data, pof: pof.data, maskLogit: ml.data, maskProb: mp.data, keypoints: kp, coefficients: CO ? coeffs : null, vertices, joints3d, joints2d,
    });
    if (nonFinite) for (const k of keypoints) k.confident = false;
    out[i] = {
      heatmaps: hm.data, pof: pof.data, maskLogit: ml.data, maskProb: mp.data, mapSize, keypoints,
      beta: coeffs.slice(0, 10), pose: coeffs.slice(10, 58), camera: coeffs.slice(58, 61), vertices, joints3d, joints2d, nonFinite,
    };
  });
  return out;
}
