/**
 * Kernel variants chosen per layer shape. A kernel wrapper may offer several implementations of
 * one op on the same bindings (Dispatch.alternatives, e.g. conv2d 'blocked' and 'tiled'); which
 * is faster depends on the adapter and the shape, so the engine can time them on the device at
 * compile time and keep the fastest, within a time budget, caching the choice per shape for the
 * engine's life.
 */
import type { GpuContext } from './device.ts';
import { ShapeError } from './errors.ts';
import type { Dispatch, Node } from './graph.ts';

/**
 * 'auto' (default): measure on a hardware adapter, take each op's default variant on a software
 * one (SwiftShader, WARP, llvmpipe: a CPU, where the default is the variant written for it).
 * 'measure': always measure. 'default': never. `{ conv2d: 'tiled' }`: force a variant per op
 * (ops not named follow 'auto').
 */
export type VariantPolicy = 'auto' | 'measure' | 'default' | Readonly<Record<string, string>>;

export interface VariantOptions {
  policy?: VariantPolicy;
  /**
   * Wall-clock ms this compile() may spend timing variants (default: the engine's, 250), checked
   * before each shape (the shape under way finishes); shapes past it keep the default.
   */
  budgetMs?: number;
}

/** How a layer's variant was picked. */
export type VariantSource = 'default' | 'forced' | 'measured' | 'cached' | 'over-budget';

export interface VariantChoice {
  layer: string;
  /** The op (the default dispatch's kernel name, e.g. 'conv2d'). */
  op: string;
  variant: string;
  source: VariantSource;
  /** GPU ms per dispatch of each variant (the default first), when measured this compile or earlier on this engine. */
  timesMs?: Record<string, number>;
}

/** The name of a dispatch's implementation ('default' when it offers none). */
export const variantName = (d: Dispatch): string => d.variant ?? 'default';

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

/** A CPU posing as a GPU: the fallback adapter or a known software rasteriser. */
export function isSoftwareAdapter(ctx: GpuContext): boolean {
  const a = ctx.adapterInfo;
  return a.isFallback || SOFTWARE.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

/** A time budget in ms: a number >= 0 (Infinity allowed). */
export function checkBudget(ms: unknown, what: string): number {
  if (typeof ms !== 'number' || !(ms >= 0)) throw new ShapeError(`variants: ${what} must be a number of milliseconds >= 0, got ${String(ms)}`);
  return ms;
}

export function checkPolicy(p: unknown): VariantPolicy {
  if (p === undefined) return 'auto';
  if (p === 'auto' || p === 'measure' || p === 'default') return p;
  if (p && typeof p === 'object' && !Array.isArray(p) && Object.values(p).every((v) => typeof v === 'string')) return p as Record<string, string>;
  throw new ShapeError(`variants: expected 'auto', 'measure', 'default' or { op: variant }, got ${JSON.stringify(p) ?? String(p)}`);
}

/**
 * The dispatches compile() builds for a node, the first being the one used unless measurement
 * picks another: the forced variant alone, or every variant when measuring, else the default.
 */
export function candidates(node: Node, policy: VariantPolicy, measure: boolean): { list: Dispatch[]; forced: boolean } {
  const all = [node as Dispatch, ...(node.alternatives ?? [])];
  if (all.length === 1) return { list: all, forced: false };
  if (typeof policy === 'object' && node.kernel in policy) {
    const want = policy[node.kernel];
    const d = all.find((x) => variantName(x) === want);
    if (!d) throw new ShapeError(`variants: ${node.kernel} has no variant '${want}' (it has ${all.map(variantName).join(', ')}); layer '${node.name}'`);
    return { list: [d], forced: true };
  }
  return { list: measure ? all : [all[0]], forced: false };
}

/** Same shape, same choice: the candidates' keys, dispatch sizes and params. */
export function tuningKey(list: readonly Dispatch[]): string {
  return list.map((d) => `${d.kernel}|${d.key}|${d.workgroups.join('x')}|${d.params ? Array.from(d.params).join(',') : ''}`).join(' / ');
}

export interface Timeable {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/**
 * GPU ms per dispatch of each item, `reps` dispatches per item in one pass each (after one
 * untimed warm-up submit): from timestamp queries when the device has them, else the CPU wall
 * time of a submit until the queue is idle.
 */
export async function timeDispatches(ctx: GpuContext, items: readonly Timeable[], reps: number): Promise<number[]> {
  const device = ctx.device;
  const encodePass = (enc: GPUCommandEncoder, it: Timeable, timestampWrites?: GPUComputePassTimestampWrites) => {
    const pass = enc.beginComputePass({ label: 'variant-timing', timestampWrites });
    pass.setPipeline(it.pipeline);
    pass.setBindGroup(0, it.bindGroup);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(...it.workgroups);
    pass.end();
  };
  const warm = device.createCommandEncoder({ label: 'variant-warmup' });
  for (const it of items) encodePass(warm, it);
  device.queue.submit([warm.finish()]);
  await device.queue.onSubmittedWorkDone();
  if (ctx.features.timestampQuery) {
    const count = 2 * items.length;
    const set = device.createQuerySet({ label: 'variant-times', type: 'timestamp', count });
    const resolve = device.createBuffer({ label: 'variant-times-resolve', size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ label: 'variant-times-read', size: 8 * count, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = device.createCommandEncoder({ label: 'variant-timing' });
      items.forEach((it, i) => encodePass(enc, it, { querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }));
      enc.resolveQuerySet(set, 0, count, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 8 * count);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      return items.map((_, i) => Math.max(0, Number(t[2 * i + 1] - t[2 * i]) / 1e6) / reps);
    } finally {
      set.destroy();
      resolve.destroy();
      read.destroy();
    }
  }
  const out: number[] = [];
  for (const it of items) {
    const enc = device.createCommandEncoder({ label: 'variant-timing' });
    encodePass(enc, it);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    out.push((performance.now() - t0) / reps);
  }
  return out;
}

/** Per-engine memory of measured shapes: tuning key -> variant times. */
export type TuningCache = Map<string, Record<string, number>>;

/** An alternative must beat the default by this fraction to be picked (timings are noisy). */
export const VARIANT_MARGIN = 0.1;

/** The variant to run given measured times (the first entry is the default): the fastest, if it beats the default clearly. */
export function fastest(times: Record<string, number>): string {
  const entries = Object.entries(times);
  const [dflt, dfltMs] = entries[0];
  let best = dflt;
  for (const [v, ms] of entries) if (ms < times[best]) best = v;
  return times[best] < dfltMs * (1 - VARIANT_MARGIN) ? best : dflt;
}
