import { isNode } from '../platform/node.ts';
import { PipelineError } from './errors.ts';
import type { Binding } from './graph.ts';

/**
 * In Node, pipelines are built with the synchronous createComputePipeline: Dawn's Node binding
 * keeps native memory after pipelines made by createComputePipelineAsync are gone, about 27 MB
 * per create/dispose of the small HIU-DMTL estimator on SwiftShader (55 pipelines), against
 * under 1 MB once settled when built synchronously (JS heap flat in both). A graph's shaders
 * then compile one after another; on SwiftShader creation took as long either way. Browsers keep the asynchronous build, which does not
 * block the page.
 */
const SYNC_PIPELINES = isNode();

/**
 * Layout signature of a dispatch's bindings: 'r' read-only storage, 'w' read-write storage, and
 * a final 'u' (uniform) when it has shape params.
 */
export function bindingSignature(d: { bindings: readonly Binding[]; params?: Uint32Array }): string {
  return d.bindings.map((b) => ('tensor' in b && b.access === 'write' ? 'w' : 'r')).join('') + (d.params ? 'u' : '');
}

const BUFFER_TYPE = { r: 'read-only-storage', w: 'storage', u: 'uniform' } as const;

/**
 * Compute pipelines keyed by kernel specialisation: the kernel name plus every constant baked
 * into its WGSL (shapes passed as params are not). In browsers pipelines are built with
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
          buffer: { type: BUFFER_TYPE[c as keyof typeof BUFFER_TYPE] },
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
      if (!SYNC_PIPELINES) return await this.device.createComputePipelineAsync(desc);
      // Push, build and pop run without yielding, so no other code's errors land in this scope.
      this.device.pushErrorScope('validation');
      const pipeline = this.device.createComputePipeline(desc);
      const error = await this.device.popErrorScope();
      if (error) throw new Error(error.message);
      return pipeline;
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
