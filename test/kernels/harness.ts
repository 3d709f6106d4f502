/**
 * Kernel test cases that run unchanged in Node (Dawn) and in Chromium. A case builds a graph,
 * writes fresh random inputs, poisons every output with NaN, runs, and compares each output with
 * a float64 CPU reference (test/reference/cpu.ts). Padded channel lanes must read back as 0.
 */
import { Graph, paddingViolations, unpackToNCHW, type Dispatch, type Engine, type GraphOptions, type Tensor } from '../../src/engine/index.ts';
import { compare, makeRng, toFloat32, type Tensor64 } from '../reference/cpu.ts';

export interface KernelCase {
  name: string;
  run(engine: Engine, seed: number): Promise<void>;
}

export interface Built {
  inputs: [Tensor, Tensor64][];
  outputs: [Tensor, Tensor64][];
  rtol?: number;
  atol?: number;
}

export type Rng = () => number;

/** Rewrites generated WGSL; the mutation test uses it to prove that broken kernels fail. */
export type Mutation = (wgsl: string) => string;
let mutation: Mutation | null = null;
export function withMutation<T>(m: Mutation, fn: () => Promise<T>): Promise<T> {
  mutation = m;
  return fn().finally(() => (mutation = null));
}

/** Compiles what `build` adds, runs it once with inputs written and outputs poisoned, and compares. */
export async function check(engine: Engine, seed: number, build: (g: Graph, rng: Rng) => Built, graph: GraphOptions = {}): Promise<void> {
  const g = new Graph(graph);
  const rng = makeRng(seed);
  const b = build(g, rng);
  const m = mutation;
  if (m) {
    for (const node of g.nodes) {
      if (!mutate(node, m)) throw new Error(`mutation did not change the WGSL of '${node.name}'`);
      // Variants the engine might run instead get the same bug where it applies to them.
      for (const alt of node.alternatives ?? []) mutate(alt, m);
    }
  }
  for (const [t] of b.outputs) g.output(t);
  const exe = await engine.compile(g);
  try {
    for (const [t, v] of b.inputs) exe.writeNCHW(t, toFloat32(v));
    for (const [t] of b.outputs) exe.fill(t, NaN);
    await exe.run();
    for (const [t, ref] of b.outputs) {
      const storage = await exe.read(t);
      const [n, h, w, c] = t.shape;
      const got = unpackToNCHW(storage, t.shape);
      const r = compare(got, ref.data, { rtol: b.rtol ?? 1e-4, atol: b.atol ?? 1e-5, shape: [n, c, h, w], name: t.name });
      if (!r.ok) throw new Error(`${r.message} (seed ${seed})`);
      const bad = paddingViolations(storage, c);
      if (bad) throw new Error(`${t.name}: ${bad} padded channel lanes are not 0 (seed ${seed})`);
    }
  } finally {
    engine.release(exe);
  }
}

/** NCHW Tensor64 shape -> the engine's [N, H, W, C]. */
export const nhwc = (s: readonly number[]): [number, number, number, number] => [s[0], s[2], s[3], s[1]];

export function f32(a: Float64Array): Float32Array {
  return toFloat32(a);
}

/** Rewrites a dispatch's WGSL (and its key, so no cached pipeline stands in); false if unchanged. */
function mutate(d: Dispatch, m: Mutation): boolean {
  const original = d.wgsl();
  const mutated = m(original);
  if (mutated === original) return false;
  d.wgsl = () => mutated;
  d.key += `|mutant:${mutated.length}:${hash(mutated)}`;
  return true;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
