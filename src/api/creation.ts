/**
 * Where an estimator's creation spent its time, so a slow start can be pinned on the network,
 * the disk or the shader compiler (the 'ready' progress event and `estimator.creation`).
 */
import type { BuildStats } from '../engine/index.ts';

export interface CreationTimings {
  /** Requesting the WebGPU adapter and device (0 for a caller's device). */
  deviceMs: number;
  /** Waiting for the files' bytes (fetch, file or blob reads); for streamed files, the wall time of the load less its decoding. */
  fetchMs: number;
  /** Decoding the files (safetensors, TFLite, hand assets). */
  parseMs: number;
  /** Building the graphs (weights packed for the kernels), allocating GPU buffers and uploading weights and params. */
  uploadMs: number;
  /** Compiling shaders and creating pipelines, as far as creation waited for it. */
  compileMs: number;
  /** Timing kernel variants on the device, summed over the graphs (which may compile concurrently); 0 unless kernelVariants measured. */
  tuneMs: number;
  /** From the create call to ready. */
  totalMs: number;
  /** The first inference, source to results on the CPU; null until one has run. */
  firstRunMs: number | null;
  /** Distinct GPU pipelines of each compiled graph, e.g. { hiu: 18 } or { palm: 9, landmark: 12, mesh: 3 }. */
  pipelines: Record<string, number>;
}

/** Laps of a creation, then the CreationTimings. */
export class CreationClock {
  private readonly start = performance.now();
  private last = this.start;
  readonly timings: CreationTimings = { deviceMs: 0, fetchMs: 0, parseMs: 0, uploadMs: 0, compileMs: 0, tuneMs: 0, totalMs: 0, firstRunMs: null, pipelines: {} };

  /** Milliseconds since the previous lap (or the start). */
  lap(): number {
    const now = performance.now();
    const ms = now - this.last;
    this.last = now;
    return ms;
  }

  /**
   * The compile phase took `wallMs`: the graphs' own upload time (plus `buildMs` spent building
   * them) counts as upload, the rest as compile. `graphs` names each graph's build stats.
   */
  compiled(wallMs: number, buildMs: number, graphs: Record<string, BuildStats>): void {
    const upload = buildMs + Object.values(graphs).reduce((s, b) => s + b.uploadMs + b.bindMs, 0);
    this.timings.uploadMs = upload;
    this.timings.compileMs = Math.max(0, wallMs - upload);
    this.timings.tuneMs = Object.values(graphs).reduce((s, b) => s + b.tuneMs, 0);
    for (const [name, b] of Object.entries(graphs)) this.timings.pipelines[name] = b.pipelines;
  }

  done(): CreationTimings {
    this.timings.totalMs = performance.now() - this.start;
    return this.timings;
  }

  /** Wraps an inference: the first one's wall time becomes firstRunMs. */
  async firstRun<T>(run: () => Promise<T>): Promise<T> {
    if (this.timings.firstRunMs !== null) return run();
    const t0 = performance.now();
    const r = await run();
    this.timings.firstRunMs ??= performance.now() - t0;
    return r;
  }
}

/** One line for logs and the CLI: "created in 3.1 s: device 0.1, fetch 0.2, parse 0.1, upload 0.3, compile 2.2 s; pipelines hiu 18; first run 0.4 s". */
export function formatCreation(t: CreationTimings): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const pipes = Object.entries(t.pipelines).map(([k, v]) => `${k} ${v}`).join(', ');
  const tune = t.tuneMs ? ` (variant timing ${s(t.tuneMs)})` : '';
  return `created in ${s(t.totalMs)} s: device ${s(t.deviceMs)}, fetch ${s(t.fetchMs)}, parse ${s(t.parseMs)}, upload ${s(t.uploadMs)}, compile ${s(t.compileMs)} s${tune}; pipelines ${pipes || 'none'}` +
    (t.firstRunMs === null ? '' : `; first run ${s(t.firstRunMs)} s`);
}
