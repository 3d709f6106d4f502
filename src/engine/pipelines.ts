import { PipelineError } from './errors.ts';
import type { Binding } from './graph.ts';

/** Layout signature of a binding list: 'r' read-only storage, 'w' read-write storage. */
export function bindingSignature(bindings: readonly Binding[]): string {
  return bindings.map((b) => ('tensor' in b && b.access === 'write' ? 'w' : 'r')).join('');
}

/**
 * Compute pipelines keyed by kernel specialisation (the WGSL is shape-specialised, so the key is
 * the kernel name plus every baked-in constant). Pipelines are built with
 * createComputePipelineAsync so a graph's shaders compile in parallel before its first run.
 */
export class PipelineCache {
  private pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private layouts = new Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  constructor(private device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  layout(signature: string): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
    let l = this.layouts.get(signature);
    if (!l) {
      const bgl = this.device.createBindGroupLayout({
        label: `bgl:${signature}`,
        entries: [...signature].map((c, i) => ({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: c === 'w' ? ('storage' as const) : ('read-only-storage' as const) },
        })),
      });
      l = { bgl, pl: this.device.createPipelineLayout({ label: `pl:${signature}`, bindGroupLayouts: [bgl] }) };
      this.layouts.set(signature, l);
    }
    return l;
  }

  get(kernel: string, key: string, signature: string, wgsl: () => string): Promise<GPUComputePipeline> {
    const full = `${kernel}|${key}|${signature}`;
    let p = this.pipelines.get(full);
    if (!p) {
      p = this.build(kernel, full, signature, wgsl());
      this.pipelines.set(full, p);
      // A failed build must not poison the cache for a later, corrected attempt.
      p.catch(() => this.pipelines.delete(full));
    }
    return p;
  }

  private async build(kernel: string, label: string, signature: string, code: string): Promise<GPUComputePipeline> {
    const module = this.device.createShaderModule({ label, code });
    const desc: GPUComputePipelineDescriptor = { label, layout: this.layout(signature).pl, compute: { module, entryPoint: 'main' } };
    try {
      return await this.device.createComputePipelineAsync(desc);
    } catch (e) {
      const info = await module.getCompilationInfo().catch(() => null);
      const msgs = info?.messages
        .filter((m) => m.type === 'error')
        .map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${code.split('\n')[m.lineNum - 1]?.trim() ?? ''}`)
        .join('\n');
      throw new PipelineError(`kernel '${kernel}' failed to build (${label}):\n${msgs || (e as Error).message}`, { cause: e });
    }
  }

  clear(): void {
    this.pipelines.clear();
    this.layouts.clear();
  }
}
