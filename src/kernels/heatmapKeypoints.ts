import { pad4, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, outputTensor, paramWords } from './common.ts';
import { heatmapKeypointsParams, heatmapKeypointsWGSL } from './heatmapKeypoints.wgsl.ts';

export interface HeatmapKeypointsOptions {
  out?: Tensor;
}

/**
 * 2D keypoints from heat maps (the network page's Equation 1): maps [N, H, W, K] ->
 * [N, K, 1, 3], the H axis indexing keypoints and the channels (row, col, maxval) in map pixels.
 */
export function heatmapKeypoints(g: Graph, name: string, maps: Tensor, o: HeatmapKeypointsOptions = {}): Tensor {
  const [n, h, w, k] = maps.shape;
  const y = outputTensor(g, name, 'heatmapKeypoints', o.out, [n, k, 1, 3]);
  // 16 threads: a 4-step tree; barriers cost per thread (on SwiftShader 4x faster than 64 on 16x16 maps).
  const spec = { maps, y, wg: 16 };
  const params = heatmapKeypointsParams(spec);
  g.add(name, {
    kernel: 'heatmapKeypoints',
    key: '',
    wgsl: () => heatmapKeypointsWGSL(spec, params),
    params: paramWords(params),
    workgroups: [ceilDiv(k, 4), n, 1],
    bindings: [
      { tensor: maps, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: 8 * n * h * w * k,
    bytes: 4 * n * (h * w * pad4(k) + 4 * k),
  });
  return y;
}
