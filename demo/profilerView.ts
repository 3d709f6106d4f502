/**
 * The profiler: per-block totals as a bar chart, every layer in a table with its bar, and the
 * Chrome trace-event export, from src/engine/profileReport.ts.
 */
import { profileReport, toChromeTrace, type BlockRule } from '../src/engine/profileReport.ts';
import type { Profile } from '../src/index.ts';

const fmt = (v: number | null | undefined, d = 3) => (v !== null && v !== undefined && Number.isFinite(v) ? v.toFixed(d) : '-');

function bar(fraction: number): HTMLSpanElement {
  const b = document.createElement('span');
  b.className = 'bar';
  b.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return b;
}

/** `blocks` group the layers (HIU-DMTL: hiuProfileBlocks; MediaPipe: palm and landmark network). */
export function renderProfile(root: HTMLElement, p: Profile, blocks: readonly BlockRule[]): void {
  const r = profileReport(p, { blocks });
  root.replaceChildren();
  const summary = document.createElement('p');
  summary.className = 'profile-summary';
  summary.textContent =
    `${r.rows.length} layers, sum of layer times ${fmt(r.layerSumMs, 2)} ms (${fmt(100 * r.coverage, 0)} % of the measured ${fmt(r.totalMs, 2)} ms)` +
    (r.endToEndMs !== undefined ? `, whole graph in one pass ${fmt(r.endToEndMs, 2)} ms` : '') +
    `, ${fmt(r.flops / 1e6, 1)} MFLOP; method: ${r.method}` + (r.note ? ` (${r.note})` : '');
  const trace = document.createElement('a');
  trace.textContent = 'Download Chrome trace (chrome://tracing, Perfetto)';
  trace.download = 'hiu-profile.trace.json';
  trace.href = URL.createObjectURL(new Blob([JSON.stringify(toChromeTrace(r, { name: 'hiu-webgpu' }))], { type: 'application/json' }));
  trace.id = 'trace-link';
  root.append(summary, trace);

  const chart = document.createElement('div');
  chart.className = 'block-chart';
  const maxBlock = Math.max(1e-9, ...r.blocks.map((b) => b.ms));
  for (const b of r.blocks) {
    const row = document.createElement('div');
    row.className = 'block-row';
    const label = document.createElement('span');
    label.className = 'block-label';
    label.textContent = `${b.name} (${b.layers})`;
    const track = document.createElement('span');
    track.className = 'track';
    track.append(bar(b.ms / maxBlock));
    const value = document.createElement('span');
    value.className = 'block-value';
    value.textContent = `${fmt(b.ms, 2)} ms`;
    row.append(label, track, value);
    chart.append(row);
  }
  root.append(chart);

  const table = document.createElement('table');
  table.id = 'profile-table';
  table.innerHTML = '<thead><tr><th>#</th><th>layer</th><th>kernel</th><th>block</th><th>workgroups</th><th>ms</th><th>MFLOP</th><th>GFLOP/s</th><th>GB/s</th><th></th></tr></thead>';
  const body = document.createElement('tbody');
  const maxMs = Math.max(1e-9, ...r.rows.map((l) => l.ms));
  for (const l of r.rows) {
    const tr = document.createElement('tr');
    for (const c of [String(l.index), l.name, l.kernel, l.block, l.workgroups.join('x'), fmt(l.ms), fmt(l.flops / 1e6, 2), fmt(l.gflops, 1), fmt(l.gbps, 1)]) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    const td = document.createElement('td');
    td.className = 'bar-cell';
    td.append(bar(l.ms / maxMs));
    tr.append(td);
    body.append(tr);
  }
  table.append(body);
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(table);
  root.append(wrap);
}
