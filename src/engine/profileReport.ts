/**
 * Turns `Executable.profile()` results into a report: per-layer rows with achieved GFLOP/s and
 * GB/s, totals per block, how much of the measured GPU time the layer times cover, a text
 * table, and a Chrome trace-event file (chrome://tracing, https://ui.perfetto.dev).
 *
 * The engine knows no models: blocks come from the caller as name rules (see
 * src/model/profileBlocks.ts for HIU-DMTL + MANO).
 */
import { EngineError } from './errors.ts';
import type { LayerTiming, Profile, ProfileMethod } from './executor.ts';

/** A block of layers: a predicate on the layer name, or one or more name prefixes. */
export type BlockRule =
  | { name: string; match: (layer: string) => boolean }
  | { name: string; prefix: string | readonly string[] };

/** Layers no rule matched are totalled under this block. */
export const OTHER_BLOCK = 'other';

export interface ProfileRow extends LayerTiming {
  /** Execution order. */
  index: number;
  /** GPU time (median over the runs given), milliseconds. */
  gflop: number;
  /** Bytes the kernel reads and writes, in MB (1e6). */
  mb: number;
  /** Achieved rates; null when the time is 0 (below the timer's resolution). */
  gflops: number | null;
  gbps: number | null;
  /** The block this layer belongs to (OTHER_BLOCK when no rule matched). */
  block: string;
  /** Fraction of the layer-time sum. */
  share: number;
}

export interface BlockTotal {
  name: string;
  layers: number;
  ms: number;
  flops: number;
  bytes: number;
  gflops: number | null;
  gbps: number | null;
  share: number;
}

export interface RunSummary {
  layerSumMs: number;
  totalMs: number;
  endToEndMs?: number;
  /** layerSumMs / totalMs. */
  coverage: number;
}

export interface ProfileReport {
  method: ProfileMethod;
  /** The profile's own explanation (set on the fallback path). */
  note?: string;
  /** How many profiles were combined (per-layer medians). */
  runs: number;
  rows: ProfileRow[];
  /** In order of first appearance in the graph; OTHER_BLOCK last when present. */
  blocks: BlockTotal[];
  /** Sum of the rows' times. */
  layerSumMs: number;
  /** Median of the profiles' totalMs (GPU span first start to last end, or the CPU loop time). */
  totalMs: number;
  /**
   * layerSumMs / totalMs: how much of the measured span the table's layer times account for.
   * With several runs this compares per-layer medians with the median span, so run-to-run
   * noise (a busy machine) moves it too; `runCoverage` isolates the gaps between layers.
   */
  coverage: number;
  /** Median over runs of each run's own layer sum / span: the time no layer accounts for. */
  runCoverage: number;
  /** Smallest and largest span over the runs (run-to-run noise). */
  totalRange: [number, number];
  /** Median GPU time of the unsplit graph in one pass, when the profiles measured it. */
  endToEndMs?: number;
  /** layerSumMs / endToEndMs. */
  endToEndCoverage?: number;
  /** Each profile's own sums (coverage computed within one run, free of run-to-run noise). */
  perRun: RunSummary[];
  flops: number;
  bytes: number;
}

export interface ReportOptions {
  blocks?: readonly BlockRule[];
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rules from prefixes: `{ stem: 'hiu.stem.', mano: ['mano.'] }` style pairs. */
export function prefixBlocks(prefixes: Record<string, string | readonly string[]>): BlockRule[] {
  return Object.entries(prefixes).map(([name, prefix]) => ({ name, prefix }));
}

/** A name -> block function from rules: the first rule that matches wins. */
export function blockClassifier(rules: readonly BlockRule[]): (layer: string) => string {
  const tests = rules.map((r) => {
    if ('match' in r) return r.match;
    const ps = typeof r.prefix === 'string' ? [r.prefix] : r.prefix;
    return (l: string) => ps.some((p) => l.startsWith(p));
  });
  return (layer) => {
    for (let i = 0; i < rules.length; i++) if (tests[i](layer)) return rules[i].name;
    return OTHER_BLOCK;
  };
}

const rate = (amount: number, ms: number): number | null => (ms > 0 ? amount / ms / 1e6 : null);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Builds a report from one profile or several of the same executable (per-layer medians;
 * totals are medians of the profiles' totals).
 */
export function profileReport(profiles: Profile | readonly Profile[], opts: ReportOptions = {}): ProfileReport {
  const ps: readonly Profile[] = Array.isArray(profiles) ? profiles : [profiles as Profile];
  if (!ps.length) throw new EngineError('profileReport: no profiles given');
  const first = ps[0];
  for (const p of ps) {
    if (p.method !== first.method) throw new EngineError(`profileReport: profiles mix methods (${first.method}, ${p.method})`);
    if (p.layers.length !== first.layers.length || p.layers.some((l, i) => l.name !== first.layers[i].name))
      throw new EngineError('profileReport: profiles are of different graphs (layer lists differ)');
  }
  const classify = blockClassifier(opts.blocks ?? []);
  const layerMs = first.layers.map((_, i) => median(ps.map((p) => p.layers[i].ms)));
  const layerSumMs = sum(layerMs);
  const rows: ProfileRow[] = first.layers.map((l: LayerTiming, i) => ({
    index: i,
    name: l.name,
    // The variant the engine picked shows beside the op, e.g. 'conv2d/tiled'.
    kernel: l.variant ? `${l.kernel}/${l.variant}` : l.kernel,
    ms: layerMs[i],
    workgroups: [...l.workgroups] as [number, number, number],
    flops: l.flops,
    bytes: l.bytes,
    gflop: l.flops / 1e9,
    mb: l.bytes / 1e6,
    gflops: rate(l.flops, layerMs[i]),
    gbps: rate(l.bytes, layerMs[i]),
    block: classify(l.name),
    share: layerSumMs > 0 ? layerMs[i] / layerSumMs : 0,
  }));

  const byBlock = new Map<string, BlockTotal>();
  for (const r of rows) {
    let b = byBlock.get(r.block);
    if (!b) byBlock.set(r.block, (b = { name: r.block, layers: 0, ms: 0, flops: 0, bytes: 0, gflops: null, gbps: null, share: 0 }));
    b.layers++;
    b.ms += r.ms;
    b.flops += r.flops;
    b.bytes += r.bytes;
  }
  const blocks = [...byBlock.values()].sort((a, b) => Number(a.name === OTHER_BLOCK) - Number(b.name === OTHER_BLOCK));
  for (const b of blocks) {
    b.gflops = rate(b.flops, b.ms);
    b.gbps = rate(b.bytes, b.ms);
    b.share = layerSumMs > 0 ? b.ms / layerSumMs : 0;
  }

  const perRun = ps.map((p): RunSummary => {
    const s = sum(p.layers.map((l) => l.ms));
    const r: RunSummary = { layerSumMs: s, totalMs: p.totalMs, coverage: p.totalMs > 0 ? s / p.totalMs : NaN };
    if (p.endToEndMs !== undefined) r.endToEndMs = p.endToEndMs;
    return r;
  });
  const totalMs = median(ps.map((p) => p.totalMs));
  const report: ProfileReport = {
    method: first.method,
    runs: ps.length,
    rows,
    blocks,
    layerSumMs,
    totalMs,
    coverage: totalMs > 0 ? layerSumMs / totalMs : NaN,
    runCoverage: median(perRun.map((x) => x.coverage)),
    totalRange: [Math.min(...perRun.map((x) => x.totalMs)), Math.max(...perRun.map((x) => x.totalMs))],
    perRun,
    flops: sum(rows.map((r) => r.flops)),
    bytes: sum(rows.map((r) => r.bytes)),
  };
  if (first.note) report.note = first.note;
  const e2e = ps.map((p) => p.endToEndMs).filter((x): x is number => x !== undefined);
  if (e2e.length === ps.length) {
    report.endToEndMs = median(e2e);
    report.endToEndCoverage = report.endToEndMs > 0 ? layerSumMs / report.endToEndMs : NaN;
  }
  return report;
}

/** One line saying how the times were taken; names the fallback plainly. */
export function methodLine(r: Pick<ProfileReport, 'method' | 'note' | 'runs'>): string {
  const runs = r.runs > 1 ? `, median of ${r.runs} runs` : '';
  if (r.method === 'timestamp-query') return `method: timestamp-query (GPU timestamps, one compute pass per layer)${runs}`;
  return `method: per-dispatch-submit FALLBACK, no GPU timestamps (${r.note ?? 'timestamp-query not used'})${runs}`;
}

/** The coverage statement: layer-time sum against the measured span and the unsplit graph. */
export function coverageLine(r: ProfileReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const ts = r.method === 'timestamp-query';
  const span = ts ? 'GPU span (first layer start to last layer end)' : 'CPU wall time of the per-layer submit loop';
  const of = r.runs > 1 ? `median layer times sum to ${r.layerSumMs.toFixed(3)} ms = ${pct(r.coverage)} of the median ${span}` : `layer times sum to ${r.layerSumMs.toFixed(3)} ms = ${pct(r.coverage)} of the ${span}`;
  const lines = [`coverage: ${of}, ${r.totalMs.toFixed(3)} ms`];
  if (r.runs > 1) {
    const [lo, hi] = r.totalRange;
    lines.push(`  within each run the layer times cover ${pct(r.runCoverage)} of that run's span (median of ${r.runs}); spans ranged ${lo.toFixed(3)} to ${hi.toFixed(3)} ms`);
  }
  if (r.endToEndMs !== undefined && r.endToEndCoverage !== undefined) {
    const how = ts ? 'GPU time' : 'CPU wall time of one submit';
    lines.push(`  the whole graph in one pass (as run() encodes it; ${how}) took ${r.endToEndMs.toFixed(3)} ms: the layer sum is ${pct(r.endToEndCoverage)} of it`);
  }
  return lines.join('\n');
}

export interface TableOptions {
  /** Print only the slowest N layers (default: every layer). */
  top?: number;
  /** Title line (default 'profile'). */
  title?: string;
}

function fmt(x: number | null, digits: number): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function table(header: string[], rows: string[][], leftCols: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The report as a text table: header with the method, per-layer rows, per-block totals, coverage. */
export function formatProfileTable(r: ProfileReport, opts: TableOptions = {}): string {
  const out: string[] = [];
  out.push(`${opts.title ?? 'profile'}: ${r.rows.length} layers, ${(r.flops / 1e9).toFixed(3)} GFLOP, ${(r.bytes / 1e6).toFixed(1)} MB moved`);
  out.push(methodLine(r));
  if (r.method !== 'timestamp-query') out.push('note: layer times include one submit and one queue wait each; they overstate GPU time');
  out.push('');
  let rows = r.rows;
  if (opts.top !== undefined && opts.top < rows.length) {
    rows = [...rows].sort((a, b) => b.ms - a.ms).slice(0, opts.top);
    out.push(`slowest ${rows.length} of ${r.rows.length} layers:`);
  }
  out.push(
    ...table(
      ['#', 'layer', 'kernel', 'block', 'dispatch', 'ms', '%', 'GFLOP', 'MB', 'GFLOP/s', 'GB/s'],
      rows.map((x) => [
        String(x.index), x.name, x.kernel, x.block, x.workgroups.join('x'), fmt(x.ms, 4), fmt(100 * x.share, 1),
        fmt(x.gflop, 4), fmt(x.mb, 3), fmt(x.gflops, 1), fmt(x.gbps, 1),
      ]),
      4,
    ),
  );
  out.push('', 'blocks:');
  out.push(
    ...table(
      ['block', 'layers', 'ms', '%', 'GFLOP', 'MB', 'GFLOP/s', 'GB/s'],
      [
        ...r.blocks.map((b) => [
          b.name, String(b.layers), fmt(b.ms, 3), fmt(100 * b.share, 1), fmt(b.flops / 1e9, 3), fmt(b.bytes / 1e6, 2), fmt(b.gflops, 1), fmt(b.gbps, 1),
        ]),
        ['total', String(r.rows.length), fmt(r.layerSumMs, 3), '100.0', fmt(r.flops / 1e9, 3), fmt(r.bytes / 1e6, 2), fmt(rate(r.flops, r.layerSumMs), 1), fmt(rate(r.bytes, r.layerSumMs), 1)],
      ],
      1,
    ),
  );
  out.push('', coverageLine(r));
  return out.join('\n') + '\n';
}

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/**
 * Chrome trace-event JSON (the object; `JSON.stringify` it): one complete ('X') event per layer,
 * back to back on tid 1 in execution order (ts and dur in microseconds), and one event per run
 * of consecutive layers of the same block on tid 2. Events are sorted by ts.
 */
export function toChromeTrace(src: ProfileReport | Profile, opts: ReportOptions & { name?: string } = {}): ChromeTrace {
  const r = 'rows' in src ? src : profileReport(src, opts);
  const pid = 1;
  const meta: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: { name: opts.name ?? `GPU (${r.method})` } },
    { name: 'thread_name', ph: 'M', pid, tid: 1, args: { name: 'layers' } },
    { name: 'thread_name', ph: 'M', pid, tid: 2, args: { name: 'blocks' } },
  ];
  const r3 = (x: number) => Math.round(x * 1e3) / 1e3;
  const us = (ms: number) => r3(ms * 1e3); // microseconds, nanosecond precision
  const layers: TraceEvent[] = [];
  const blocks: TraceEvent[] = [];
  let t = 0;
  let open: { name: string; start: number; flops: number; bytes: number; layers: number } | null = null;
  const close = (end: number) => {
    if (!open) return;
    blocks.push({
      name: open.name, cat: 'block', ph: 'X', ts: us(open.start), dur: r3(us(end) - us(open.start)), pid, tid: 2,
      args: { layers: open.layers, flops: open.flops, bytes: open.bytes },
    });
    open = null;
  };
  for (const row of r.rows) {
    if (open && open.name !== row.block) close(t);
    if (!open) open = { name: row.block, start: t, flops: 0, bytes: 0, layers: 0 };
    open.flops += row.flops;
    open.bytes += row.bytes;
    open.layers++;
    layers.push({
      name: row.name, cat: row.kernel, ph: 'X', ts: us(t), dur: r3(us(t + row.ms) - us(t)), pid, tid: 1,
      args: {
        kernel: row.kernel, block: row.block, workgroups: row.workgroups, flops: row.flops, bytes: row.bytes,
        gflops: row.gflops, gbps: row.gbps,
      },
    });
    t += row.ms;
  }
  close(t);
  const events = [...blocks, ...layers].sort((a, b) => a.ts! - b.ts! || a.tid - b.tid);
  const otherData: Record<string, unknown> = {
    method: r.method, runs: r.runs, layerSumMs: r.layerSumMs, totalMs: r.totalMs, coverage: r.coverage, runCoverage: r.runCoverage,
  };
  if (r.note) otherData.note = r.note;
  if (r.endToEndMs !== undefined) {
    otherData.endToEndMs = r.endToEndMs;
    otherData.endToEndCoverage = r.endToEndCoverage;
  }
  return { traceEvents: [...meta, ...events], displayTimeUnit: 'ms', otherData };
}
