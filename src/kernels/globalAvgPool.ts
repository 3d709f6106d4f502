import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { ceilDiv, nextPow2, outputTensor, paramWords } from './common.ts';
import { GAP_THREADS, globalAvgPoolParams, globalAvgPoolWGSL } from './globalAvgPool.wgsl.ts';

export interface GlobalAvgPoolOptions {
  out?: Tensor;
  /**
   * Interleave several pooled features into one vector: channel c goes to output channel
   * c * count + index of `out` ([N, 1, 1, C * count], required). TAM pools its three task
   * features with count 3 and index t = 0, 1, 2 (index 0 also zeroes the vector's padding).
   */
  interleave?: { count: number; index: number };
}

/** Adaptive average pool to 1x1: x [N, H, W, C] -> [N, 1, 1, C] (or into an interleaved vector). */
export function globalAvgPool(g: Graph, name: string, x: Tensor, o: GlobalAvgPoolOptions = {}): Tensor {
  const [n, h, w, c] = x.shape;
  const count = o.interleave?.count ?? 1;
  const index = o.interleave?.index ?? 0;
  if (o.interleave) {
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count)
      throw new ShapeError(`globalAvgPool '${name}': interleave needs integers count >= 1 and 0 <= index < count, got ${JSON.stringify(o.interleave)}`);
    if (!o.out) throw new ShapeError(`globalAvgPool '${name}': interleave needs 'out', the [${n}, 1, 1, ${c * count}] vector the dispatches share`);
  }
  const y = outputTensor(g, name, 'globalAvgPool', o.out, [n, 1, 1, c * count]);
  const c4 = ceilDiv(c, 4);
  const npix = h * w;
  // Up to 16 pixel lanes per channel group (a 4-step tree), the rest of the threads over channels.
  const wgY = Math.min(16, nextPow2(npix));
  const wgX = Math.min(nextPow2(c4), Math.max(1, GAP_THREADS / wgY));
  const params = globalAvgPoolParams({ x, y, count, index, wgX, wgY });
  g.add(name, {
    kernel: 'globalAvgPool',
    key: '',
    wgsl: () => globalAvgPoolWGSL(params),
    params: paramWords(params),
    workgroups: [ceilDiv(c4, wgX), n, 1],
    bindings: [
      { tensor: x, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: n * npix * c,
    bytes: 4 * n * (npix * pad4(c) + c),
  });
  return y;
}
