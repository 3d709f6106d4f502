import { acquireDevice, type AcquireOptions, type GpuContext } from './device.ts';
import { DeviceLostError, DisposedError } from './errors.ts';
import { Executable } from './executor.ts';
import type { Graph } from './graph.ts';
import { PipelineCache } from './pipelines.ts';
import { ResourceTracker, type ResourceCounts } from './resources.ts';
import { checkBudget, checkPolicy, type TuningCache, type VariantOptions, type VariantPolicy } from './variants.ts';

export interface EngineOptions extends AcquireOptions {
  /** How compile() picks among kernel variants (default 'auto': measured on hardware adapters). */
  variants?: VariantPolicy;
  /** ms each compile() may spend timing variants (default 250; checked between shapes; Infinity: no limit). */
  tuneBudgetMs?: number;
}

/** Owns a device, the pipeline cache and every GPU object made through it. */
export class Engine {
  private readonly cache: PipelineCache;
  private readonly tracker = new ResourceTracker();
  private readonly executables = new Set<Executable>();
  private disposed = false;
  /** Variant timings per layer shape, kept for the engine's life. */
  private readonly tuned: TuningCache = new Map();
  readonly variants: VariantPolicy;
  private readonly tuneBudgetMs: number;

  private constructor(readonly ctx: GpuContext, opts: EngineOptions) {
    this.cache = new PipelineCache(ctx.device);
    this.variants = opts.variants ?? 'auto';
    this.tuneBudgetMs = opts.tuneBudgetMs ?? 250;
  }

  static async create(opts: EngineOptions = {}): Promise<Engine> {
    // Checked before a device is requested.
    const checked = { variants: checkPolicy(opts.variants), tuneBudgetMs: checkBudget(opts.tuneBudgetMs ?? 250, 'tuneBudgetMs') };
    return new Engine(await acquireDevice(opts), checked);
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  /**
   * Plans memory, allocates, compiles every pipeline (in parallel), picks kernel variants
   * (`opts.variants` overrides the engine's policy for this graph) and makes bind groups.
   */
  async compile(graph: Graph, opts: VariantOptions = {}): Promise<Executable> {
    if (this.disposed) throw new DisposedError('engine was disposed');
    const lost = this.ctx.lossReason();
    if (lost) throw new DeviceLostError(`compile: the WebGPU device was lost (${lost.reason}); create a new engine`, lost.reason);
    const policy = opts.policy === undefined ? this.variants : checkPolicy(opts.policy);
    const exe = await Executable.create(this.ctx, graph, this.cache, this.tracker, { policy, budgetMs: opts.budgetMs === undefined ? this.tuneBudgetMs : checkBudget(opts.budgetMs, 'budgetMs'), cache: this.tuned });
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
