import { afterAll, expect, test } from 'vitest';
import type { CaseResult } from '../browser/kernels.ts';
import { openPage } from '../browser/chromium.ts';
import { runtimeCases as allCases } from '../cases.ts';
import { testSeed } from '../seed.ts';

// The page runs the same case list as node.test.ts; each result becomes one test here.
const seed = testSeed();
const logs: string[] = [];
const session = await openPage(`/test/browser/kernels.html?seed=${seed}`, (l) => logs.push(l));
afterAll(() => session.close());
await session.page.waitForFunction('window.__results || window.__fatal', { timeout: 600_000, polling: 500 });
const fatal = (await session.page.evaluate('window.__fatal')) as string | undefined;
const results = ((await session.page.evaluate('window.__results')) as CaseResult[] | undefined) ?? [];
const adapter = (await session.page.evaluate('window.__adapter')) as string | undefined;

test('chromium: WebGPU adapter and every case reported', () => {
  if (fatal) throw new Error(`page failed before running cases: ${fatal}\n${logs.join('\n')}`);
  expect(adapter).toBeTruthy();
  expect(results.map((r) => r.name)).toEqual(allCases.map((c) => c.name));
});

for (const r of results) {
  test(`chromium: ${r.name}`, () => {
    if (!r.ok) throw new Error(r.error);
  });
}
