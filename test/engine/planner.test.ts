import { expect, test } from 'vitest';
import { Graph, planMemory, storageBytes, type Tensor } from '../../src/engine/index.ts';
import { makeRng } from '../reference/cpu.ts';

/** A dispatch that only declares what it reads and writes: the planner needs nothing else. */
function op(g: Graph, name: string, reads: Tensor[], writes: Tensor[]): void {
  g.add(name, {
    kernel: 'fake', key: name, wgsl: () => '', workgroups: [1, 1, 1], flops: 0, bytes: 0,
    bindings: [...reads.map((t) => ({ tensor: t, access: 'read' as const })), ...writes.map((t) => ({ tensor: t, access: 'write' as const }))],
  });
}

test('planner: random graphs never give two live tensors one buffer', () => {
  for (let trial = 0; trial < 200; trial++) {
    const rng = makeRng(1000 + trial);
    const g = new Graph();
    const pool: Tensor[] = [g.input('in', [1, 4, 4, 3])];
    const nOps = 3 + Math.floor(rng() * 30);
    for (let i = 0; i < nOps; i++) {
      const reads = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => pool[Math.floor(rng() * pool.length)]);
      const c = 1 + Math.floor(rng() * 40);
      const out = g.tensor(`t${i}`, [1 + Math.floor(rng() * 2), 1 + Math.floor(rng() * 9), 1 + Math.floor(rng() * 9), c]);
      op(g, `op${i}`, reads, [out]);
      pool.push(out);
    }
    g.output(pool[pool.length - 1]);
    const plan = planMemory(g);
    // Live range of each root: [first write, last read].
    const range = new Map<number, [number, number]>();
    for (const n of g.nodes)
      for (const b of n.bindings) {
        if (!('tensor' in b)) continue;
        const id = b.tensor.storage.id;
        const r = range.get(id) ?? [g.inputs.has(b.tensor) ? -1 : n.index, n.index];
        range.set(id, [Math.min(r[0], n.index), Math.max(r[1], n.index)]);
      }
    const ids = [...range.keys()];
    for (const a of ids) {
      const sa = plan.slotOf.get(a)!;
      expect(plan.slotBytes[sa]).toBeGreaterThanOrEqual(storageBytes(g.tensors[a].shape));
      for (const b of ids) {
        if (a >= b || plan.slotOf.get(b) !== sa) continue;
        const [a0, a1] = range.get(a)!;
        const [b0, b1] = range.get(b)!;
        expect(a1 < b0 || b1 < a0, `tensors ${a} [${a0},${a1}] and ${b} [${b0},${b1}] share slot ${sa}`).toBe(true);
      }
    }
    expect(plan.plannedBytes).toBeLessThanOrEqual(plan.naiveBytes);
  }
});

test('planner: a long chain needs about two buffers, not one per layer', () => {
  const g = new Graph();
  let t = g.input('x', [1, 32, 32, 64]);
  for (let i = 0; i < 20; i++) {
    const next = g.tensor(`l${i}`, [1, 32, 32, 64]);
    op(g, `conv${i}`, [t], [next]);
    t = next;
  }
  g.output(t);
  const plan = planMemory(g);
  const one = storageBytes([1, 32, 32, 64]);
  expect(plan.naiveBytes).toBe(21 * one);
  expect(plan.plannedBytes).toBe(4 * one); // input, output, and two ping-pong slots
});

test('planner: a channel view keeps its whole parent alive', () => {
  const g = new Graph();
  const x = g.input('x', [1, 4, 4, 4]);
  const cat = g.tensor('cat', [1, 4, 4, 8]);
  const a = g.tensor('a', [1, 4, 4, 8]);
  op(g, 'left', [x], [g.channelView(cat, 0, 4)]);
  op(g, 'other', [x], [a]); // must not land in cat's buffer: cat is still being built
  op(g, 'right', [a], [g.channelView(cat, 4, 4)]);
  const y = g.tensor('y', [1, 4, 4, 4]);
  op(g, 'use', [cat], [y]);
  g.output(y);
  const plan = planMemory(g);
  expect(plan.slotOf.get(a.id)).not.toBe(plan.slotOf.get(cat.id));
});

test('planner: reading a tensor nobody wrote is an error naming it', () => {
  const g = new Graph();
  const t = g.tensor('ghost', [1, 2, 2, 4]);
  const y = g.tensor('y', [1, 2, 2, 4]);
  op(g, 'reader', [t], [y]);
  expect(() => planMemory(g)).toThrow(/reader.*ghost/);
});
