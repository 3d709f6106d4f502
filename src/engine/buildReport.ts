import type { BuildStats } from './executor.ts';

/** One line on what compiling a graph took, e.g. for `hiu profile`: "18 pipelines (18 new), compile 2.10 s, upload 0.05 s, first run 0.40 s". */
export function formatBuild(b: BuildStats, firstRunMs?: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return `${b.pipelines} pipelines (${b.newPipelines} new), compile ${s(b.compileMs)}, upload ${s(b.uploadMs + b.bindMs)}` +
    (firstRunMs === undefined ? '' : `, first run ${s(firstRunMs)}`);
}
