import { acquireDevice, type AcquireOptions, type GpuContext } from './device.ts';
import { DeviceLostError, DisposedError } from './errors.ts';
import { Executable } from './executor.ts';
import type { Graph } from './graph.ts';
import { PipelineCache } from './pipelines.ts';
import { ResourceTracker, type ResourceCounts } from './resources.ts';

/** Owns a device, the pipeline cache and every GPU object made through it. */
export class Engine {
  private readonly cache: PipelineCache;
  private readonly tracker = new ResourceTracker();
  private readonly executables = new Set<Executable>();
  private disposed = false;

  private constructor(readonly ctx: GpuContext) {
    this.cache = new PipelineCache(ctx.device);
  }

  static async create(opts: AcquireOptions = {}): Promise<Engine> {
    return new Engine(await acquireDevice(opts));
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  /** Plans memory, allocates, compiles every pipeline (in parallel) and makes bind groups. */
  async compile(graph: Graph): Promise<Executable> {
    if (this.disposed) throw new DisposedError('engine was disposed');
    const lost = this.ctx.lossReason();
    if (lost) throw new DeviceLostError(`compile: the WebGPU device was lost (${lost.reason}); create a new engine`, lost.reason);
    const exe = await Executable.create(this.ctx, graph, this.cache, this.tracker);
    this.executables.add(exe);
    return exe;
  }

  /** Frees one executable's GPU memory; the engine stays usable. */
  release(exe: Executable): void {
    exe.dispose();
    this.executables.delete(exe);
  }

  /** GPU objects currently held (buffers, query sets, bind groups) plus cached pipelines. */
  stats(): ResourceCounts & { pipelines: number } {
    return { ...this.tracker.counts(), pipelines: this.cache.size };
  }

  /** Releases every GPU object this engine made, and the device if the engine created it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.executables) e.dispose();
    this.executables.clear();
    this.tracker.destroyAll();
    this.cache.clear();
    this.ctx.destroy();
  }
}
