import { EngineError } from './errors.ts';
import type { Graph, Tensor } from './graph.ts';
import { storageBytes } from './tensor.ts';

export interface MemoryPlan {
  /** Size in bytes of each shared activation slot. */
  slotBytes: number[];
  /** Root tensor id -> slot index. Inputs and outputs get slots of their own. */
  slotOf: Map<number, number>;
  /** Bytes of all slots: what the graph's activations really take. */
  plannedBytes: number;
  /** Bytes if every activation had its own buffer. */
  naiveBytes: number;
}

/**
 * Static memory planner: activations whose lifetimes do not overlap share a buffer.
 *
 * A root tensor lives from the first node that writes it (or any view of it) to the last node
 * that reads it. Nodes run in order, so greedy best-fit over that order is safe: a slot is
 * returned to the free list only after its tensor's last reader, and a node's outputs are placed
 * before its inputs are released, so no kernel reads and writes one buffer. Graph inputs and
 * outputs get private slots: callers write and read them between runs.
 */
export function planMemory(g: Graph): MemoryPlan {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const node of g.nodes) {
    for (const b of node.bindings) {
      if (!('tensor' in b)) continue;
      const root = b.tensor.storage;
      if (b.access === 'write') {
        if (!first.has(root.id)) first.set(root.id, node.index);
      } else if (!first.has(root.id) && !g.inputs.has(root)) {
        throw new EngineError(`node '${node.name}' reads '${b.tensor.name}' before any node writes it`);
      }
      last.set(root.id, Math.max(last.get(root.id) ?? -1, node.index));
    }
  }
  const roots = g.tensors.filter((t) => !t.root);
  const slotBytes: number[] = [];
  const slotOf = new Map<number, number>();
  const privateSlot = (t: Tensor) => {
    slotOf.set(t.id, slotBytes.length);
    slotBytes.push(storageBytes(t.shape));
  };
  for (const t of roots) if (g.inputs.has(t) || g.outputs.has(t)) privateSlot(t);

  const free: number[] = [];
  const shared = roots.filter((t) => !slotOf.has(t.id) && first.has(t.id));
  const startsAt = new Map<number, Tensor[]>();
  const endsAt = new Map<number, Tensor[]>();
  for (const t of shared) {
    const s = first.get(t.id)!;
    startsAt.set(s, [...(startsAt.get(s) ?? []), t]);
    const e = Math.max(last.get(t.id)!, s);
    endsAt.set(e, [...(endsAt.get(e) ?? []), t]);
  }
  for (const node of g.nodes) {
    for (const t of startsAt.get(node.index) ?? []) {
      const need = storageBytes(t.shape);
      // Best fit: the smallest free slot that holds it, else grow the largest free slot.
      let pick = -1;
      for (const s of free) if (slotBytes[s] >= need && (pick < 0 || slotBytes[s] < slotBytes[pick])) pick = s;
      if (pick < 0 && free.length) pick = free.reduce((a, b) => (slotBytes[a] >= slotBytes[b] ? a : b));
      if (pick < 0) {
        pick = slotBytes.length;
        slotBytes.push(0);
      } else free.splice(free.indexOf(pick), 1);
      slotBytes[pick] = Math.max(slotBytes[pick], need);
      slotOf.set(t.id, pick);
    }
    for (const t of endsAt.get(node.index) ?? []) free.push(slotOf.get(t.id)!);
  }
  const plannedBytes = slotBytes.reduce((a, b) => a + b, 0);
  return { slotBytes, slotOf, plannedBytes, naiveBytes: g.activationBytes() };
}
