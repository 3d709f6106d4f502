import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { readFileSync } from 'node:fs';
import { runtimeCases as allCases } from '../cases.ts';
import { fixturePath, setFixtureReader } from '../fixtures.ts';
import { testSeed } from '../seed.ts';

let engine: Engine;
const seed = testSeed();
setFixtureReader(async (p) => new Uint8Array(readFileSync(new URL(`../../${fixturePath(p)}`, import.meta.url))));
beforeAll(async () => {
  engine = await Engine.create();
});
afterAll(() => engine?.dispose());

for (const [i, c] of allCases.entries()) {
  test(`node: ${c.name}`, async () => {
    await c.run(engine, seed + i);
  });
}

test('node: kernel cases exist', () => expect(allCases.length).toBeGreaterThan(0));
