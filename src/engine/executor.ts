import type { GpuContext } from './device.ts';
import { DeviceLostError, DisposedError, EngineError, ShapeError } from './errors.ts';
import type { Dispatch, Graph, Node, Tensor } from './graph.ts';
import { bindingSignature, type PipelineCache } from './pipelines.ts';
import { planMemory, type MemoryPlan } from './planner.ts';
import { packNCHW, storageBytes, unpackToNCHW } from './tensor.ts';
import type { MemoryByKind, ResourceTracker } from './resources.ts';
import {
  candidates, fastest, isSoftwareAdapter, timeDispatches, tuningKey, variantName,
  type TuningCache, type VariantChoice, type VariantPolicy, type VariantSource,
} from './variants.ts';

export interface LayerTiming {
  name: string;
  kernel: string;
  /** The implementation used when the op has several (e.g. conv2d 'blocked' or 'tiled'); see VariantPolicy. */
  variant?: string;
  /** GPU time of this dispatch in milliseconds. */
  ms: number;
  workgroups: [number, number, number];
  flops: number;
  bytes: number;
}

export type ProfileMethod = 'timestamp-query' | 'per-dispatch-submit';

export interface Profile {
  /** How times were taken: GPU timestamps, or one submit per dispatch timed on the CPU. */
  method: ProfileMethod;
  layers: LayerTiming[];
  /**
   * timestamp-query: first dispatch start to last dispatch end on the GPU, in milliseconds
   * (gaps between the per-layer passes included). per-dispatch-submit: CPU wall time of the
   * whole per-dispatch loop.
   */
  totalMs: number;
  /**
   * The whole graph encoded as `run()` encodes it (one compute pass), timed separately in the
   * same submit: GPU timestamps around that one pass, or, without timestamp-query, the CPU wall
   * time of one submit until the queue is idle. Absent when not measured (`endToEnd: false`).
   */
  endToEndMs?: number;
  /** Why the method is what it is, e.g. that the device has no timestamp-query. */
  note?: string;
}

export interface ProfileOptions {
  /**
   * 'auto' (default): timestamp queries when the device has them, else one submit per
   * dispatch. Forcing 'timestamp-query' on a device without it is an error.
   */
  method?: 'auto' | ProfileMethod;
  /** Also time the unsplit graph (one pass) for `endToEndMs` (default true). */
  endToEnd?: boolean;
}

/** Where Engine.compile spent its time (CPU wall ms) and what it compiled. */
export interface BuildStats {
  /** Shader compilation and pipeline creation, waited for. */
  compileMs: number;
  /** Buffer allocation and weight and param uploads (overlapping compilation where it runs in the background). */
  uploadMs: number;
  /** Bind groups. */
  bindMs: number;
  /** Distinct pipelines the graph's dispatches use. */
  pipelines: number;
  /** Of those, how many this compile built (the rest came from the engine's cache). */
  newPipelines: number;
  /** Timing kernel variants on the device (see VariantPolicy), and how many layer shapes were timed. */
  tuneMs: number;
  tunedShapes: number;
}

/** How compile() picks among kernel variants (see variants.ts). */
export interface Tuning {
  policy: VariantPolicy;
  budgetMs: number;
  /** The engine's memory of measured shapes. */
  cache: TuningCache;
}

interface Step {
  node: Node;
  /** The dispatch run for the node: the node itself or the variant chosen. */
  d: Dispatch;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  choice: VariantChoice | null;
}

/** Dispatches in the first timed pass of a shape; the second pass is sized to last TUNE_PASS_MS (at most TUNE_MAX_REPS dispatches). */
const TUNE_REPS = 4;
const TUNE_PASS_MS = 1;
const TUNE_MAX_REPS = 256;

/** A compiled graph: buffers planned and allocated, pipelines built, bind groups made once. */
export class Executable {
  readonly plan: MemoryPlan;
  private slots: GPUBuffer[] = [];
  private constBuffers: GPUBuffer[] = [];
  private paramBuffer: GPUBuffer | null = null;
  /** Where compile() spent its time, and how many distinct pipelines the graph uses. */
  buildStats: BuildStats = { compileMs: 0, uploadMs: 0, bindMs: 0, pipelines: 0, newPipelines: 0, tuneMs: 0, tunedShapes: 0 };
  private staging = new Map<number, GPUBuffer>();
  private steps: Step[] = [];
  private query: { set: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private ctx: GpuContext,
    readonly graph: Graph,
    private tracker: ResourceTracker,
  ) {
    this.plan = planMemory(graph);
  }

  static async create(ctx: GpuContext, graph: Graph, cache: PipelineCache, tracker: ResourceTracker, tuning: Tuning): Promise<Executable> {
    const exe = new Executable(ctx, graph, tracker);
    await exe.build(cache, tuning);
    return exe;
  }

  private get device(): GPUDevice {
    return this.ctx.device;
  }

  private async build(cache: PipelineCache, tuning: Tuning): Promise<void> {
    const { device, graph, plan } = this;
    const { policy } = tuning;
    const measure = policy === 'measure' || (policy !== 'default' && !isSoftwareAdapter(this.ctx));
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    const fits = (d: Dispatch) => d.workgroups.every((w) => w <= limit && w >= 1 && Number.isInteger(w));
    const cands = graph.nodes.map((n) => {
      const { list: [first, ...rest], forced } = candidates(n, policy, measure);
      if (!fits(first))
        throw new ShapeError(`layer '${n.name}': dispatch [${first.workgroups.join(', ')}] exceeds this device's limit of ${limit} workgroups per dimension`);
      // An alternative this device cannot dispatch is simply not a candidate.
      return { list: [first, ...rest.filter(fits)], forced };
    });
    const all = cands.flatMap((c) => c.list);
    // Pipelines to build now: every candidate of a shape to be timed; of a shape timed before on
    // this engine, only its winner.
    const wanted = cands.flatMap(({ list }) => {
      const times = list.length > 1 ? tuning.cache.get(tuningKey(list)) : undefined;
      return times ? [list.find((d) => variantName(d) === fastest(times)) ?? list[0]] : list;
    });
    // Start every shader compiling before allocating anything.
    const t0 = performance.now();
    const before = cache.size;
    const built = new Map<Dispatch, Promise<GPUComputePipeline>>();
    const pipelineOf = (d: Dispatch) => {
      let p = built.get(d);
      if (!p) built.set(d, (p = cache.get(d.kernel, d.key, bindingSignature(d), d.wgsl)));
      return p;
    };
    wanted.forEach(pipelineOf);
    const t1 = performance.now();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.slots = plan.slotBytes.map((size, i) =>
      this.tracker.buffer(device, { label: `slot${i}`, size: Math.max(16, size), usage }, 'activations'),
    );
    for (const c of graph.constants) {
      const buf = this.tracker.buffer(device, { label: c.name, size: Math.max(16, c.data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }, c.kind);
      device.queue.writeBuffer(buf, 0, c.data.buffer, c.data.byteOffset, c.data.byteLength);
      this.constBuffers.push(buf);
    }
    const params = this.uploadParams(all);
    const t2 = performance.now();
    await Promise.all(built.values());
    const t3 = performance.now();
    const bindGroups = new Map<Dispatch, GPUBindGroup>();
    const bindGroup = (d: Dispatch, label: string) => {
      let g = bindGroups.get(d);
      if (!g) {
        const entries: GPUBindGroupEntry[] = d.bindings.map((b, binding) => {
          if ('constant' in b) return { binding, resource: { buffer: this.constBuffers[b.constant.id] } };
          return { binding, resource: { buffer: this.bufferOf(b.tensor) } };
        });
        const p = params.at.get(d);
        if (p) entries.push({ binding: entries.length, resource: { buffer: params.buffer!, offset: p.offset, size: p.size } });
        g = this.tracker.bindGroup(device, { label, layout: cache.layout(bindingSignature(d)).bgl, entries });
        bindGroups.set(d, g);
      }
      return g;
    };
    const t4 = performance.now();
    const { picks, tuned } = await this.pick(graph.nodes, cands, tuning, async (d, n) => ({ pipeline: await pipelineOf(d), bindGroup: bindGroup(d, n.name), workgroups: d.workgroups }));
    const t5 = performance.now();
    this.steps = await Promise.all(graph.nodes.map(async (node, i) => {
      const { d, choice } = picks[i];
      return { node, d, pipeline: await pipelineOf(d), bindGroup: bindGroup(d, node.name), choice };
    }));
    // Bind groups made only to time a variant that lost.
    const used = new Set(this.steps.map((s) => s.bindGroup));
    for (const g of bindGroups.values()) if (!used.has(g)) this.tracker.release(g);
    this.buildStats = {
      // Synchronous builds (Node) compile inside cache.get, before the uploads.
      compileMs: t1 - t0 + (t3 - t2),
      uploadMs: t2 - t1,
      bindMs: performance.now() - t5 + (t4 - t3),
      pipelines: new Set(this.steps.map(({ d }) => `${d.kernel}|${d.key}|${bindingSignature(d)}`)).size,
      newPipelines: cache.size - before,
      tuneMs: tuned ? t5 - t4 : 0,
      tunedShapes: tuned,
    };
  }

  /**
   * Each node's dispatch: its only candidate, or (several, when measuring) the fastest on this
   * device, one timing per distinct shape, remembered in the engine's cache; shapes past the
   * time budget keep the default.
   */
  private async pick(
    nodes: readonly Node[], cands: { list: Dispatch[]; forced: boolean }[], tuning: Tuning,
    timeable: (d: Dispatch, n: Node) => Promise<{ pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number] }>,
  ): Promise<{ picks: { d: Dispatch; choice: VariantChoice | null }[]; tuned: number }> {
    const start = performance.now();
    let tuned = 0;
    const out: { d: Dispatch; choice: VariantChoice | null }[] = [];
    for (const [i, node] of nodes.entries()) {
      const { list, forced } = cands[i];
      const hasVariants = !!node.alternatives?.length;
      const choice = (d: Dispatch, source: VariantSource, timesMs?: Record<string, number>): VariantChoice | null =>
        hasVariants ? { layer: node.name, op: node.kernel, variant: variantName(d), source, ...(timesMs ? { timesMs } : {}) } : null;
      if (list.length === 1) {
        out.push({ d: list[0], choice: choice(list[0], forced ? 'forced' : 'default') });
        continue;
      }
      const key = tuningKey(list);
      let times = tuning.cache.get(key);
      let source: VariantSource = 'cached';
      if (!times) {
        if (performance.now() - start >= tuning.budgetMs) {
          out.push({ d: list[0], choice: choice(list[0], 'over-budget') });
          continue;
        }
        const items = await Promise.all(list.map((d) => timeable(d, node)));
        // A first pass sizes the second so that each variant's pass lasts about TUNE_PASS_MS:
        // small layers would otherwise be decided by timer ticks and submit overhead.
        const first = await timeDispatches(this.ctx, items, TUNE_REPS);
        const reps = Math.min(TUNE_MAX_REPS, Math.max(TUNE_REPS, Math.ceil(TUNE_PASS_MS / Math.max(1e-3, Math.min(...first)))));
        const second = await timeDispatches(this.ctx, items, reps);
        const best = reps === TUNE_REPS ? second.map((v, j) => Math.min(v, first[j])) : second;
        times = Object.fromEntries(list.map((d, j) => [variantName(d), best[j]]));
        tuning.cache.set(key, times);
        source = 'measured';
        tuned++;
      }
      const win = fastest(times);
      const d = list.find((x) => variantName(x) === win) ?? list[0];
      out.push({ d, choice: choice(d, source, times) });
    }
    return { picks: out, tuned };
  }

  /** Every dispatch's params in one uniform buffer, each block at the device's offset alignment. */
  private uploadParams(ds: readonly Dispatch[]): { buffer: GPUBuffer | null; at: Map<Dispatch, { offset: number; size: number }> } {
    const align = this.device.limits.minUniformBufferOffsetAlignment;
    let end = 0;
    const at = new Map<Dispatch, { offset: number; size: number }>();
    for (const d of ds) {
      if (!d.params) continue;
      const offset = Math.ceil(end / align) * align;
      const size = Math.max(16, Math.ceil(d.params.byteLength / 16) * 16);
      end = offset + size;
      at.set(d, { offset, size });
    }
    if (!end) return { buffer: null, at };
    const bytes = new Uint32Array(end / 4);
    for (const [d, p] of at) bytes.set(d.params!, p.offset / 4);
    this.paramBuffer = this.tracker.buffer(this.device, { label: 'params', size: end, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }, 'constants');
    this.device.queue.writeBuffer(this.paramBuffer, 0, bytes);
    return { buffer: this.paramBuffer, at };
  }

  /** The variant each layer with several runs, and how it was picked (empty when no op offers variants). */
  variants(): VariantChoice[] {
    return this.steps.flatMap((s) => (s.choice ? [s.choice] : []));
  }

  private bufferOf(t: Tensor): GPUBuffer {
    const slot = this.plan.slotOf.get(t.storage.id);
    if (slot === undefined) throw new EngineError(`tensor '${t.name}' is never written by any node and is not a graph input`);
    return this.slots[slot];
  }

  private check(): void {
    if (this.disposed) throw new DisposedError('this executable was disposed');
    const lost = this.ctx.lossReason();
    if (lost) throw new DeviceLostError(`the WebGPU device was lost (${lost.reason}); create a new engine`, lost.reason);
  }

  private io(t: Tensor, what: string): GPUBuffer {
    if (!this.graph.inputs.has(t) && !this.graph.outputs.has(t))
      throw new EngineError(`cannot ${what} '${t.name}': only graph inputs and outputs own their memory (intermediates share buffers)`);
    return this.bufferOf(t);
  }

  /** Writes nhwc4 storage (see tensor.ts) into an input or output tensor. */
  write(t: Tensor, storage: Float32Array): void {
    this.check();
    const want = storageBytes(t.shape) / 4;
    if (storage.length !== want) throw new ShapeError(`write '${t.name}': got ${storage.length} floats, its nhwc4 storage holds ${want}`);
    this.device.queue.writeBuffer(this.io(t, 'write'), 0, storage.buffer, storage.byteOffset, storage.byteLength);
  }

  /** Writes PyTorch-ordered NCHW data. */
  writeNCHW(t: Tensor, data: ArrayLike<number>): void {
    const [n, h, w, c] = t.shape;
    this.write(t, packNCHW(data, [n, c, h, w]));
  }

  /** Fills a tensor's whole storage, padding included (tests poison outputs with NaN). */
  fill(t: Tensor, value: number): void {
    this.write(t, new Float32Array(storageBytes(t.shape) / 4).fill(value));
  }

  /**
   * Encodes every dispatch into one command buffer and submits it once. `before` and `after`
   * may encode their own work (e.g. preparing an input from a texture, copying an output for
   * rendering) into the same command buffer.
   */
  run(hooks: { before?: (enc: GPUCommandEncoder) => void; after?: (enc: GPUCommandEncoder) => void } = {}): Promise<void> {
    this.check();
    return this.serial(async () => {
      const enc = this.device.createCommandEncoder({ label: 'inference' });
      hooks.before?.(enc);
      const pass = enc.beginComputePass({ label: 'graph' });
      for (const s of this.steps) this.dispatch(pass, s);
      pass.end();
      hooks.after?.(enc);
      this.device.queue.submit([enc.finish()]);
    });
  }

  /** The GPU buffer behind a graph input or output (for callers that encode their own work). */
  gpuBuffer(t: Tensor): GPUBuffer {
    this.check();
    return this.io(t, 'expose');
  }

  private dispatch(pass: GPUComputePassEncoder, s: Step): void {
    pass.setPipeline(s.pipeline);
    pass.setBindGroup(0, s.bindGroup);
    pass.dispatchWorkgroups(...s.d.workgroups);
  }

  /**
   * Runs once and times each dispatch. With timestamp-query, each dispatch gets its own compute
   * pass with timestampWrites (begin/end), so a layer's time is its pass on the GPU; the unsplit
   * graph is also timed in one extra pass (`endToEndMs`) in the same command buffer. Without it,
   * each dispatch is submitted alone and timed on the CPU until the queue is idle, and the
   * profile says so (`method`, `note`).
   */
  profile(opts: ProfileOptions = {}): Promise<Profile> {
    this.check();
    const want = opts.method ?? 'auto';
    const has = this.ctx.features.timestampQuery;
    if (want === 'timestamp-query' && !has)
      throw new EngineError("profile: method 'timestamp-query' was asked for, but this device has no timestamp-query feature");
    const endToEnd = opts.endToEnd ?? true;
    if (want === 'per-dispatch-submit')
      return this.serial(() => this.profileSubmits(endToEnd, 'forced by the caller (profile({ method: \'per-dispatch-submit\' }))'));
    if (has) return this.serial(() => this.profileTimestamps(endToEnd));
    return this.serial(() => this.profileSubmits(endToEnd, 'the device has no timestamp-query feature'));
  }

  private async profileTimestamps(endToEnd: boolean): Promise<Profile> {
    const n = this.steps.length;
    // Queries 0..2n-1: per-layer begin/end; 2n, 2n+1: the unsplit graph's pass.
    const count = 2 * n + 2;
    if (!this.query) {
      this.query = {
        set: this.tracker.querySet(this.device, { label: 'layer-times', type: 'timestamp', count }),
        resolve: this.tracker.buffer(this.device, { label: 'layer-times-resolve', size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }, 'other'),
        read: this.tracker.buffer(this.device, { label: 'layer-times-read', size: 8 * count, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }, 'other'),
      };
    }
    const q = this.query;
    const enc = this.device.createCommandEncoder({ label: 'inference-profiled' });
    if (endToEnd && n) {
      const pass = enc.beginComputePass({
        label: 'graph-end-to-end',
        timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: 2 * n, endOfPassWriteIndex: 2 * n + 1 },
      });
      for (const s of this.steps) this.dispatch(pass, s);
      pass.end();
    }
    this.steps.forEach((s, i) => {
      const pass = enc.beginComputePass({
        label: s.node.name,
        timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      this.dispatch(pass, s);
      pass.end();
    });
    const used = endToEnd && n ? count : 2 * n;
    if (used) {
      enc.resolveQuerySet(q.set, 0, used, q.resolve, 0);
      enc.copyBufferToBuffer(q.resolve, 0, q.read, 0, 8 * used);
    }
    this.device.queue.submit([enc.finish()]);
    if (!used) return { method: 'timestamp-query', layers: [], totalMs: 0 };
    await q.read.mapAsync(GPUMapMode.READ, 0, 8 * used);
    const t = new BigInt64Array(q.read.getMappedRange(0, 8 * used).slice(0));
    q.read.unmap();
    // Timestamps of separate passes may be reordered or clamped by the implementation: a
    // negative interval reads as 0 rather than poisoning the sums.
    const span = (a: bigint, b: bigint) => Math.max(0, Number(b - a) / 1e6);
    const layers = this.steps.map((s, i) => this.timing(s, span(t[2 * i], t[2 * i + 1])));
    let first = t[0];
    let last = t[1];
    for (let i = 0; i < n; i++) {
      if (t[2 * i] < first) first = t[2 * i];
      if (t[2 * i + 1] > last) last = t[2 * i + 1];
    }
    const profile: Profile = { method: 'timestamp-query', layers, totalMs: span(first, last) };
    if (endToEnd) profile.endToEndMs = span(t[2 * n], t[2 * n + 1]);
    return profile;
  }

  private async profileSubmits(endToEnd: boolean, why: string): Promise<Profile> {
    const layers: LayerTiming[] = [];
    let endToEndMs: number | undefined;
    if (endToEnd && this.steps.length) {
      const start = performance.now();
      const enc = this.device.createCommandEncoder({ label: 'graph-end-to-end' });
      const pass = enc.beginComputePass({ label: 'graph' });
      for (const s of this.steps) this.dispatch(pass, s);
      pass.end();
      this.device.queue.submit([enc.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      endToEndMs = performance.now() - start;
    }
    const t0 = performance.now();
    for (const s of this.steps) {
      const start = performance.now();
      const enc = this.device.createCommandEncoder({ label: s.node.name });
      const pass = enc.beginComputePass({ label: s.node.name });
      this.dispatch(pass, s);
      pass.end();
      this.device.queue.submit([enc.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      layers.push(this.timing(s, performance.now() - start));
    }
    const profile: Profile = {
      method: 'per-dispatch-submit',
      layers,
      totalMs: performance.now() - t0,
      note: `${why}: each layer was submitted alone and timed on the CPU until the queue was idle, so its time includes submit and wait overhead`,
    };
    if (endToEndMs !== undefined) profile.endToEndMs = endToEndMs;
    return profile;
  }

  private timing(s: Step, ms: number): LayerTiming {
    const { node, d } = s;
    const t: LayerTiming = { name: node.name, kernel: node.kernel, ms, workgroups: d.workgroups, flops: d.flops, bytes: d.bytes };
    if (s.choice) t.variant = s.choice.variant;
    return t;
  }

  /** Reads an input or output back as nhwc4 storage, after all submitted work. */
  read(t: Tensor): Promise<Float32Array> {
    return this.readMany([t]).then((a) => a[0]);
  }

  /**
   * Reads several inputs or outputs (nhwc4 storage) after all submitted work with one submit and
   * the maps awaited together: one GPU round trip instead of one per tensor.
   */
  readMany(ts: readonly Tensor[]): Promise<Float32Array[]> {
    this.check();
    const srcs = ts.map((t) => this.io(t, 'read'));
    return this.serial(async () => {
      const enc = this.device.createCommandEncoder({ label: 'read' });
      const staged = ts.map((t, i) => {
        const size = storageBytes(t.shape);
        let st = this.staging.get(t.id);
        if (!st) {
          st = this.tracker.buffer(this.device, { label: `read:${t.name}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }, 'staging');
          this.staging.set(t.id, st);
        }
        if (ts.indexOf(t) === i) enc.copyBufferToBuffer(srcs[i], 0, st, 0, size); // once per tensor
        return st;
      });
      this.device.queue.submit([enc.finish()]);
      // A tensor asked for twice shares one staging buffer: map it once, copy the data for the repeats.
      const unique = [...new Set(staged)];
      const maps = await Promise.allSettled(unique.map((st) => st.mapAsync(GPUMapMode.READ)));
      const failed = maps.find((m): m is PromiseRejectedResult => m.status === 'rejected');
      if (failed) {
        // Leave no buffer mapped behind, or every later read would fail on it too.
        unique.forEach((st, i) => maps[i].status === 'fulfilled' && st.unmap());
        throw failed.reason;
      }
      const data = new Map(unique.map((st) => [st, new Float32Array(st.getMappedRange().slice(0))]));
      for (const st of unique) st.unmap();
      return staged.map((st, i) => (staged.indexOf(st) === i ? data.get(st)! : data.get(st)!.slice()));
    });
  }

  /** Reads an output as PyTorch-ordered NCHW. */
  async readNCHW(t: Tensor): Promise<Float32Array> {
    return unpackToNCHW(await this.read(t), t.shape);
  }

  /** Calls made while another is in flight wait their turn; none interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * GPU memory this executable holds, by kind: weights (at the graph's weight precision), other
   * constants, activation slots, read-back staging, profiling buffers.
   */
  memory(): MemoryByKind {
    return this.tracker.memoryOf(this.buffers());
  }

  /** Every buffer this executable owns. */
  private buffers(): GPUBuffer[] {
    const bufs = [...this.slots, ...this.constBuffers, ...this.staging.values()];
    if (this.paramBuffer) bufs.push(this.paramBuffer);
    if (this.query) bufs.push(this.query.resolve, this.query.read);
    return bufs;
  }

  get dispatchCount(): number {
    return this.steps.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers()) this.tracker.destroy(b);
    if (this.query) this.tracker.destroy(this.query.set);
    this.paramBuffer = null;
    for (const s of this.steps) this.tracker.release(s.bindGroup);
    this.slots = [];
    this.constBuffers = [];
    this.staging.clear();
    this.steps = [];
    this.query = null;
  }
}
