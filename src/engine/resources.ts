/**
 * Counts the GPU objects the engine creates and still holds, so tests (and users chasing leaks)
 * can check that repeated runs create nothing and dispose() frees everything.
 */
export interface ResourceCounts {
  buffers: number;
  bufferBytes: number;
  querySets: number;
  bindGroups: number;
}

export class ResourceTracker {
  private buffers = new Map<GPUBuffer, number>();
  private querySets = new Set<GPUQuerySet>();
  private bindGroups = new Set<GPUBindGroup>();

  buffer(device: GPUDevice, desc: GPUBufferDescriptor): GPUBuffer {
    const b = device.createBuffer(desc);
    this.buffers.set(b, desc.size);
    return b;
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
    for (const s of this.buffers.values()) bytes += s;
    return { buffers: this.buffers.size, bufferBytes: bytes, querySets: this.querySets.size, bindGroups: this.bindGroups.size };
  }

  destroyAll(): void {
    for (const b of [...this.buffers.keys()]) this.destroy(b);
    for (const q of [...this.querySets]) this.destroy(q);
    this.bindGroups.clear();
  }
}
