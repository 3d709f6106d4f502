import type { BuildStats } from './executor.ts';
import type { WeightPrecision } from './graph.ts';
import type { MemoryByKind } from './resources.ts';

/** One line on what compiling a graph took, e.g. for `hiu profile`: "18 pipelines (18 new), compile 2.10 s, upload 0.05 s, first run 0.40 s". */
export function formatBuild(b: BuildStats, firstRunMs?: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `${b.pipelines} pipelines (${b.newPipelines} new), compile ${s(b.compileMs)}, upload ${s(b.uploadMs + b.bindMs)}` +
    (b.tuneMs ? `, variant timing ${s(b.tuneMs)} (${b.tunedShapes} shapes)` : '') +
    (firstRunMs === undefined ? '' : `, first run ${s(firstRunMs)}`);
}

/**
 * One line on the GPU memory an executable holds, by kind, e.g. "weights 1.20 MiB (f16),
 * constants 0.01 MiB, activations 0.50 MiB, staging 0.02 MiB".
 */
export function formatMemory(m: MemoryByKind, weightPrecision?: WeightPrecision): string {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(b && b < 2 ** 20 / 100 ? 4 : 2)} MiB`;
  const parts = [`weights ${mib(m.weights)}${weightPrecision ? ` (${weightPrecision})` : ''}`, `constants ${mib(m.constants)}`, `activations ${mib(m.activations)}`, `staging ${mib(m.staging)}`];
  if (m.other) parts.push(`other ${mib(m.other)}`);
  return parts.join(', ');
}
