// Runs every kernel case in this page's WebGPU and leaves the results on window.
import { Engine } from '../../src/engine/index.ts';
import { runtimeCases as allCases } from '../cases.ts';
import { fetchFixture, setFixtureReader } from '../fixtures.ts';

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

declare global {
  interface Window {
    __results?: CaseResult[];
    __fatal?: string;
    __adapter?: string;
  }
}

async function main(): Promise<void> {
  setFixtureReader(fetchFixture);
  const seed = Number(new URLSearchParams(location.search).get('seed') ?? Math.floor(Math.random() * 2 ** 31));
  const engine = await Engine.create();
  window.__adapter = `${engine.ctx.adapterInfo.architecture} ${engine.ctx.adapterInfo.description}`.trim();
  const results: CaseResult[] = [];
  for (const [i, c] of allCases.entries()) {
    const t0 = performance.now();
    try {
      await c.run(engine, seed + i);
      results.push({ name: c.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: String((e as Error)?.stack ?? e), ms: performance.now() - t0 });
    }
  }
  engine.dispose();
  window.__results = results;
}

main().catch((e) => {
  window.__fatal = String((e as Error)?.stack ?? e);
});
