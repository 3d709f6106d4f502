/**
 * Counts the GPU objects the engine creates and still holds, so tests (and users chasing leaks)
 * can check that repeated runs create nothing and dispose() frees everything.
 */
export interface ResourceCounts {
  buffers: number;
  bufferBytes: number;
  querySets: number;
  bindGroups: number;
  /** bufferBytes split by what the buffers hold. */
  memory: MemoryByKind;
}

/**
 * What a GPU buffer holds: layer weights; other constants (scale/shift, tables, shape params);
 * activations (inputs, outputs and the planned intermediate slots); staging (read-back copies);
 * other (profiling queries' buffers).
 */
export type MemoryKind = 'weights' | 'constants' | 'activations' | 'staging' | 'other';
export type MemoryByKind = Record<MemoryKind, number>;

export const emptyMemory = (): MemoryByKind => ({ weights: 0, constants: 0, activations: 0, staging: 0, other: 0 });

/** Sums buffer sizes by kind. */
export function memoryByKind(buffers: Iterable<{ size: number; kind: MemoryKind }>): MemoryByKind {
  const m = emptyMemory();
  for (const b of buffers) m[b.kind] += b.size;
  return m;
}

export class ResourceTracker {
  private buffers = new Map<GPUBuffer, { size: number; kind: MemoryKind }>();
  private querySets = new Set<GPUQuerySet>();
  private bindGroups = new Set<GPUBindGroup>();

  buffer(device: GPUDevice, desc: GPUBufferDescriptor, kind: MemoryKind): GPUBuffer {
    const b = device.createBuffer(desc);
    this.buffers.set(b, { size: desc.size, kind });
    return b;
  }

  /** Bytes of the given buffers (those this tracker still holds) by kind. */
  memoryOf(buffers: Iterable<GPUBuffer>): MemoryByKind {
    return memoryByKind([...buffers].flatMap((b) => this.buffers.get(b) ?? []));
  }

  querySet(device: GPUDevice, desc: GPUQuerySetDescriptor): GPUQuerySet {
    const q = device.createQuerySet(desc);
    this.querySets.add(q);
    return q;
  }

  bindGroup(device: GPUDevice, desc: GPUBindGroupDescriptor): GPUBindGroup {
    const g = device.createBindGroup(desc);
    this.bindGroups.add(g);
    return g;
  }

  destroy(o: GPUBuffer | GPUQuerySet): void {
    o.destroy();
    this.buffers.delete(o as GPUBuffer);
    this.querySets.delete(o as GPUQuerySet);
  }

  /** Bind groups have no destroy(); dropping our reference lets them be collected. */
  release(g: GPUBindGroup): void {
    this.bindGroups.delete(g);
  }

  counts(): ResourceCounts {
    let bytes = 0;
    for (const s of this.buffers.values()) bytes += s.size;
    const memory = memoryByKind(this.buffers.values());
    return { buffers: this.buffers.size, bufferBytes: bytes, querySets: this.querySets.size, bindGroups: this.bindGroups.size, memory };
  }

  destroyAll(): void {
    for (const b of [...this.buffers.keys()]) this.destroy(b);
    for (const q of [...this.querySets]) this.destroy(q);
    this.bindGroups.clear();
  }
}
