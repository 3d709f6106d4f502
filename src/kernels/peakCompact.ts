import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { f32, outputTensor, place } from './common.ts';
import { peakCompactWGSL } from './peakCompact.wgsl.ts';

export interface PeakCompactOptions {
  /** Max-pooled copy of `maps` (any channel count >= 1; channel 0 is compared), same N, H, W. */
  pooled: Tensor;
  /** Peaks need channel 0 >= threshold (a shader constant: a new threshold is a new pipeline). */
  threshold: number;
  /** Slots per batch item; peaks past it are counted but not stored. */
  capacity: number;
  out?: Tensor;
}

/** Channels per slot of a peakCompact output for maps with `channels` channels: (row, col, 0, 0) + the map's vec4s. */
export function peakSlotWidth(channels: number): number {
  return 4 + pad4(channels);
}

/**
 * Compacts the peaks of channel 0 of `maps` [N, H, W, C] (pixels where it is >= threshold and
 * equals channel 0 of `pooled`, i.e. the max of its pooling window) into a short list, so a few
 * hundred bytes come back to the CPU instead of the whole map. Output [N, 1, 1 + capacity, E],
 * E = peakSlotWidth(C): slot 0 is the header (peaks found, peaks stored, 0...), slots 1..stored
 * hold (row, col, 0, 0, maps[n, row, col, 0..C-1], 0-padding) in no particular order; the rest
 * are 0. found > capacity says the list overflowed.
 */
export function peakCompact(g: Graph, name: string, maps: Tensor, o: PeakCompactOptions): Tensor {
  const [n, h, w, c] = maps.shape;
  const p = o.pooled;
  if (p.shape[0] !== n || p.shape[1] !== h || p.shape[2] !== w)
    throw new ShapeError(`peakCompact '${name}': pooled '${p.name}' [${p.shape}] must match maps '${maps.name}' [${maps.shape}] in N, H, W`);
  if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new ShapeError(`peakCompact '${name}': capacity must be a positive integer, got ${o.capacity}`);
  if (!Number.isFinite(o.threshold)) throw new ShapeError(`peakCompact '${name}': threshold must be finite, got ${o.threshold}`);
  if (n > 65535) throw new ShapeError(`peakCompact '${name}': batch ${n} > 65535`);
  const e = peakSlotWidth(c);
  const y = outputTensor(g, name, 'peakCompact', o.out, [n, 1, 1 + o.capacity, e]);
  const wg = 256;
  const spec = { maps, pooled: p, y, threshold: o.threshold, capacity: o.capacity, wg };
  g.add(name, {
    kernel: 'peakCompact',
    key: `${place(maps)},${place(p)}>${place(y)} t${f32(o.threshold)} cap${o.capacity}`,
    wgsl: () => peakCompactWGSL(spec),
    workgroups: [n, 1, 1],
    bindings: [
      { tensor: maps, access: 'read' },
      { tensor: p, access: 'read' },
      { tensor: y, access: 'write' },
    ],
    flops: 2 * n * h * w,
    bytes: 4 * (2 * n * h * w * 4 + n * (1 + o.capacity) * e),
  });
  return y;
}
