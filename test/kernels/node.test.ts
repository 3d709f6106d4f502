import { afterAll, beforeAll, expect, test } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { allCases } from './cases.ts';
import { testSeed } from '../seed.ts';

let engine: Engine;
const seed = testSeed();
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
