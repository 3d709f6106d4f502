/**
 * The whole hand pipeline on one graph: HIU-DMTL, then MANO driven by the regressor's 61
 * coefficients, and the readback that turns output tensors into CPU results (mirroring right
 * hands back, since the network was trained on left hands).
 */
import { unpackNHWC, type Executable, type Graph, type Tensor } from '../engine/index.ts';
import type { HiuConfig } from '../weights/config.ts';
import { buildHiuGraph, type HiuGraph } from './hiu.ts';
import { buildMano, type ManoOutputs } from './mano.ts';
import type { ManoAsset } from './manoAsset.ts';
import type { TensorLookup } from './params.ts';
import { mirrorMaps, mirrorPof, mirrorPoints3 } from './preprocess.ts';

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
  confident: boolean;
}

export interface HandResult {
  /** [21, H/4, W/4] etc. as NCHW Float32Arrays of batch item 0. */
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
}

const CONFIDENT = 0.4;

/** Reads batch item 0 of every output; `right` mirrors everything back to a right hand. */
export async function readHandResult(exe: Executable, h: HandGraph, right = false): Promise<HandResult> {
  const { net, mano } = h;
  const nchw = async (t: Tensor) => {
    const [, hh, ww, c] = t.shape;
    return { data: (await exe.readNCHW(t)).slice(0, c * hh * ww), shape: [1, c, hh, ww] as [number, number, number, number] };
  };
  const nhwc = async (t: Tensor) => unpackNHWC(await exe.read(t), t.shape).slice(0, t.shape[1] * t.shape[2] * t.shape[3]);
  const hm = await nchw(net.last.heatmaps);
  const pof = await nchw(net.last.pof);
  const ml = await nchw(net.last.maskLogit);
  const mp = await nchw(net.last.maskProb);
  const mapSize = hm.shape[3];
  const kp = await nhwc(net.last.keypoints);
  if (right) {
    mirrorMaps(hm.data, hm.shape);
    mirrorPof(pof.data, pof.shape);
    mirrorMaps(ml.data, ml.shape);
    mirrorMaps(mp.data, mp.shape);
  }
  const scale = h.inputSize / mapSize;
  const keypoints: Keypoint2D[] = [];
  for (let k = 0; k < kp.length / 3; k++) {
    const row = kp[3 * k];
    const col = right ? mapSize - 1 - kp[3 * k + 1] : kp[3 * k + 1];
    const peak = kp[3 * k + 2];
    // Map pixel centres sit at (i + 0.5) * scale in the input crop.
    keypoints.push({ row, col, x: (col + 0.5) * scale, y: (row + 0.5) * scale, peak, confident: peak > CONFIDENT });
  }
  const coeffs = net.coeffs ? await nhwc(net.coeffs) : new Float32Array(61).fill(NaN);
  let vertices: Float32Array | null = null;
  let joints3d: Float32Array | null = null;
  let joints2d: Float32Array | null = null;
  if (mano) {
    vertices = await nhwc(mano.vertices);
    joints3d = await nhwc(mano.joints3d);
    joints2d = await nhwc(mano.joints2d);
    if (right) {
      mirrorPoints3(vertices);
      mirrorPoints3(joints3d);
      for (let i = 0; i < joints2d.length; i += 2) joints2d[i] = 1 - joints2d[i];
    }
  }
  return {
    heatmaps: hm.data, pof: pof.data, maskLogit: ml.data, maskProb: mp.data, mapSize, keypoints,
    beta: coeffs.slice(0, 10), pose: coeffs.slice(10, 58), camera: coeffs.slice(58, 61), vertices, joints3d, joints2d,
  };
}
