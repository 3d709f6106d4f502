// The benchmark inside Chromium: same shapes and runner as the Node side.
import { Engine } from '../src/engine/index.ts';
import { benchConv2d, type BenchRow } from './run.ts';
import { hiuConvShapes } from './shapes.ts';

declare global {
  interface Window {
    __bench?: { adapter: string; rows?: BenchRow[]; error?: string };
  }
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const filter = q.get('filter') ?? '';
  const engine = await Engine.create();
  const i = engine.ctx.adapterInfo;
  const adapter = `${i.architecture || '?'} ${i.description} ${i.isFallback ? '(fallback)' : ''}`.trim();
  try {
    const shapes = hiuConvShapes().filter((s) => `${s.k}x${s.k} s${s.s} ${s.cin}->${s.cout} @${s.size} ${s.where}`.includes(filter));
    const rows = await benchConv2d(engine, shapes, {
      reps: Number(q.get('reps') ?? 3),
      directMaxGflop: Number(q.get('directMaxGflop') ?? 1),
      log: (s) => console.log(s),
    });
    window.__bench = { adapter, rows };
  } finally {
    engine.dispose();
  }
}

main().catch((e) => {
  window.__bench = { adapter: '', error: String((e as Error)?.stack ?? e) };
});
