import type { GpuContext } from './device.ts';
import { DisposedError, EngineError, ShapeError } from './errors.ts';
import type { Graph, Node, Tensor } from './graph.ts';
import { bindingSignature, type PipelineCache } from './pipelines.ts';
import { planMemory, type MemoryPlan } from './planner.ts';
import { packNCHW, storageBytes, unpackToNCHW } from './tensor.ts';
import type { ResourceTracker } from './resources.ts';

export interface LayerTiming {
  name: string;
  kernel: string;
  /** GPU time of this dispatch in milliseconds. */
  ms: number;
  workgroups: [number, number, number];
  flops: number;
  bytes: number;
}

export interface Profile {
  /** How times were taken: GPU timestamps, or one submit per dispatch timed on the CPU. */
  method: 'timestamp-query' | 'per-dispatch-submit';
  layers: LayerTiming[];
  /** First dispatch start to last dispatch end, in milliseconds. */
  totalMs: number;
}

interface Step {
  node: Node;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

/** A compiled graph: buffers planned and allocated, pipelines built, bind groups made once. */
export class Executable {
  readonly plan: MemoryPlan;
  private slots: GPUBuffer[] = [];
  private constBuffers: GPUBuffer[] = [];
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

  static async create(ctx: GpuContext, graph: Graph, cache: PipelineCache, tracker: ResourceTracker): Promise<Executable> {
    const exe = new Executable(ctx, graph, tracker);
    await exe.build(cache);
    return exe;
  }

  private get device(): GPUDevice {
    return this.ctx.device;
  }

  private async build(cache: PipelineCache): Promise<void> {
    const { device, graph, plan } = this;
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    for (const n of graph.nodes)
      if (n.workgroups.some((w) => w > limit || w < 1 || !Number.isInteger(w)))
        throw new ShapeError(`layer '${n.name}': dispatch [${n.workgroups.join(', ')}] exceeds this device's limit of ${limit} workgroups per dimension`);
    // Start every shader compiling before allocating anything.
    const pipelines = graph.nodes.map((n) => cache.get(n.kernel, n.key, bindingSignature(n.bindings), n.wgsl));
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.slots = plan.slotBytes.map((size, i) =>
      this.tracker.buffer(device, { label: `slot${i}`, size: Math.max(16, size), usage }),
    );
    for (const c of graph.constants) {
      const buf = this.tracker.buffer(device, { label: c.name, size: Math.max(16, c.data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, c.data.buffer, c.data.byteOffset, c.data.byteLength);
      this.constBuffers.push(buf);
    }
    const built = await Promise.all(pipelines);
    this.steps = graph.nodes.map((node, i) => {
      const layout = cache.layout(bindingSignature(node.bindings)).bgl;
      const bindGroup = this.tracker.bindGroup(device, {
        label: node.name,
        layout,
        entries: node.bindings.map((b, binding) => {
          if ('constant' in b) return { binding, resource: { buffer: this.constBuffers[b.constant.id] } };
          return { binding, resource: { buffer: this.bufferOf(b.tensor) } };
        }),
      });
      return { node, pipeline: built[i], bindGroup };
    });
  }

  private bufferOf(t: Tensor): GPUBuffer {
    const slot = this.plan.slotOf.get(t.storage.id);
    if (slot === undefined) throw new EngineError(`tensor '${t.name}' is never written by any node and is not a graph input`);
    return this.slots[slot];
  }

  private check(): void {
    if (this.disposed) throw new DisposedError('this executable was disposed');
    if (this.ctx.isLost()) throw new EngineError('the WebGPU device was lost; create a new engine');
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

  /** Encodes every dispatch into one command buffer and submits it once. */
  run(): Promise<void> {
    this.check();
    return this.serial(async () => {
      const enc = this.device.createCommandEncoder({ label: 'inference' });
      const pass = enc.beginComputePass({ label: 'graph' });
      for (const s of this.steps) this.dispatch(pass, s);
      pass.end();
      this.device.queue.submit([enc.finish()]);
    });
  }

  private dispatch(pass: GPUComputePassEncoder, s: Step): void {
    pass.setPipeline(s.pipeline);
    pass.setBindGroup(0, s.bindGroup);
    pass.dispatchWorkgroups(...s.node.workgroups);
  }

  /** Runs once and times each dispatch. */
  profile(): Promise<Profile> {
    this.check();
    return this.serial(() => (this.ctx.features.timestampQuery ? this.profileTimestamps() : this.profileSubmits()));
  }

  private async profileTimestamps(): Promise<Profile> {
    const n = this.steps.length;
    if (!this.query) {
      this.query = {
        set: this.tracker.querySet(this.device, { label: 'layer-times', type: 'timestamp', count: 2 * n }),
        resolve: this.tracker.buffer(this.device, { label: 'layer-times-resolve', size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: this.tracker.buffer(this.device, { label: 'layer-times-read', size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
    }
    const q = this.query;
    const enc = this.device.createCommandEncoder({ label: 'inference-profiled' });
    this.steps.forEach((s, i) => {
      const pass = enc.beginComputePass({
        label: s.node.name,
        timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
      this.dispatch(pass, s);
      pass.end();
    });
    enc.resolveQuerySet(q.set, 0, 2 * n, q.resolve, 0);
    enc.copyBufferToBuffer(q.resolve, 0, q.read, 0, 16 * n);
    this.device.queue.submit([enc.finish()]);
    await q.read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(q.read.getMappedRange().slice(0));
    q.read.unmap();
    const layers = this.steps.map((s, i) => this.timing(s.node, Number(t[2 * i + 1] - t[2 * i]) / 1e6));
    const totalMs = n ? Number(t[2 * n - 1] - t[0]) / 1e6 : 0;
    return { method: 'timestamp-query', layers, totalMs };
  }

  private async profileSubmits(): Promise<Profile> {
    const layers: LayerTiming[] = [];
    const t0 = performance.now();
    for (const s of this.steps) {
      const start = performance.now();
      const enc = this.device.createCommandEncoder({ label: s.node.name });
      const pass = enc.beginComputePass({ label: s.node.name });
      this.dispatch(pass, s);
      pass.end();
      this.device.queue.submit([enc.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      layers.push(this.timing(s.node, performance.now() - start));
    }
    return { method: 'per-dispatch-submit', layers, totalMs: performance.now() - t0 };
  }

  private timing(node: Node, ms: number): LayerTiming {
    return { name: node.name, kernel: node.kernel, ms, workgroups: node.workgroups, flops: node.flops, bytes: node.bytes };
  }

  /** Reads an input or output back as nhwc4 storage, after all submitted work. */
  read(t: Tensor): Promise<Float32Array> {
    this.check();
    const src = this.io(t, 'read');
    return this.serial(async () => {
      const size = storageBytes(t.shape);
      let st = this.staging.get(t.id);
      if (!st) {
        st = this.tracker.buffer(this.device, { label: `read:${t.name}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        this.staging.set(t.id, st);
      }
      const enc = this.device.createCommandEncoder({ label: `read:${t.name}` });
      enc.copyBufferToBuffer(src, 0, st, 0, size);
      this.device.queue.submit([enc.finish()]);
      await st.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(st.getMappedRange().slice(0));
      st.unmap();
      return out;
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

  get dispatchCount(): number {
    return this.steps.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [...this.slots, ...this.constBuffers, ...this.staging.values()]) this.tracker.destroy(b);
    if (this.query) {
      this.tracker.destroy(this.query.set);
      this.tracker.destroy(this.query.resolve);
      this.tracker.destroy(this.query.read);
    }
    for (const s of this.steps) this.tracker.release(s.bindGroup);
    this.slots = [];
    this.constBuffers = [];
    this.staging.clear();
    this.steps = [];
    this.query = null;
  }
}
