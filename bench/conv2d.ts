/**
 * conv2d benchmark (a script, not a test): the full-size network's distinct conv shapes, timed
 * in Node (Dawn) and in headless Chromium: the register-blocked kernel (ms, speedup), the tiled
 * one (tiled ms) and the one-output-per-thread yardstick (direct ms).
 *
 *   npx tsx bench/conv2d.ts [--runtime node|chromium|both] [--reps N] [--direct-max-gflop G]
 *                           [--filter TEXT] [--out FILE.md]
 *
 * Times are GPU timestamps (median of --reps) when the adapter has timestamp-query.
 */
import { writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { Engine } from '../src/engine/index.ts';
import { benchConv2d, formatRow, header, type BenchRow } from './run.ts';
import { convFlops, hiuConvShapes } from './shapes.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runtime = opt('runtime', 'both');
const reps = Number(opt('reps', '3'));
const directMaxGflop = Number(opt('direct-max-gflop', '1'));
const filter = opt('filter', '');
const out = opt('out', '');
const shapes = hiuConvShapes().filter((s) => `${s.k}x${s.k} s${s.s} ${s.cin}->${s.cout} @${s.size} ${s.where}`.includes(filter));
const total = shapes.reduce((a, s) => a + (convFlops(s) * s.count) / 1e9, 0);

const sections: string[] = [];
const machine = `${platform()} ${arch()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`;
console.log(`${shapes.length} distinct conv shapes; one inference runs ${total.toFixed(1)} GFLOP of them`);

function summarise(rows: BenchRow[]): string {
  const inferMs = rows.reduce((a, r) => a + r.ms * r.count, 0);
  const gflop = rows.reduce((a, r) => a + r.gflop * r.count, 0);
  const sp = rows.filter((r) => r.speedup !== null).map((r) => r.speedup!);
  const geo = sp.length ? Math.exp(sp.reduce((a, v) => a + Math.log(v), 0) / sp.length) : NaN;
  const tiled = rows.filter((r) => r.tiledMs !== null);
  const tiledMs = tiled.reduce((a, r) => a + r.tiledMs! * r.count, 0);
  return `Sum over one inference's convs (time x count): ${inferMs.toFixed(0)} ms, ${(gflop / (inferMs / 1e3)).toFixed(1)} GFLOP/s; ` +
    `tiled variant ${tiledMs.toFixed(0)} ms; geometric-mean speedup over the direct kernel: ${geo.toFixed(2)}x (${sp.length} shapes).`;
}

if (runtime === 'node' || runtime === 'both') {
  const engine = await Engine.create();
  const info = engine.ctx.adapterInfo;
  const title = `### Node (Dawn), adapter: ${info.architecture || '?'} ${info.description} ${info.isFallback ? '(fallback)' : ''}`;
  console.log(`\n${title}\n${header}`);
  const rows = await benchConv2d(engine, shapes, { reps, directMaxGflop, log: console.log });
  engine.dispose();
  const sum = summarise(rows);
  console.log(sum);
  sections.push(`${title}\n\n${header}\n${rows.map(formatRow).join('\n')}\n\n${sum}\n`);
  save();
}

if (runtime === 'chromium' || runtime === 'both') {
  const { openPage } = await import('../test/browser/chromium.ts');
  const q = new URLSearchParams({ reps: String(reps), directMaxGflop: String(directMaxGflop), filter });
  const session = await openPage(`/bench/conv2d.html?${q}`, (l) => {
    if (l.includes('| ')) console.log(l.replace(/^\[page \w+\] /, ''));
    else if (/error/i.test(l) && !l.includes('404')) console.error(l);
  });
  try {
    await session.page.waitForFunction('window.__bench', { timeout: 0, polling: 1000 });
    const res = (await session.page.evaluate('window.__bench')) as { adapter: string; rows?: BenchRow[]; error?: string };
    if (res.error) throw new Error(`benchmark page failed: ${res.error}`);
    const title = `### Chromium (headless), adapter: ${res.adapter}`;
    const sum = summarise(res.rows!);
    console.log(`${title}\n${sum}`);
    sections.push(`${title}\n\n${header}\n${res.rows!.map(formatRow).join('\n')}\n\n${sum}\n`);
    save();
  } finally {
    await session.close();
  }
}

/** Writes what has been measured so far, so a later failure loses nothing. */
function save(): void {
  if (!out) return;
  const text = `## conv2d benchmark, ${new Date().toISOString().slice(0, 10)}\n\nMachine: ${machine}. ` +
    `Command: \`npx tsx bench/conv2d.ts ${args.join(' ')}\`\n\n${sections.join('\n')}`;
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
