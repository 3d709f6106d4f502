/**
 * Issue #12, point 8: the reader fuzz in the test command. A few hundred mutated checkpoints,
 * MANO files, weight files, .npy arrays, images and TFLite models, each through the entry point a
 * user's file goes through; every one must load to a sound result or be refused by a clean,
 * named one-line error, within the time and memory bounds, leaving no file behind (harness.ts).
 * The test command runs one fixed seed (FUZZ_DEFAULT_SEED), so CI judges the same cases every
 * time; FUZZ_SEED picks another (FUZZ_SEED=random draws one), FUZZ_ONLY=i,j reruns single cases,
 * FUZZ_CASES sets the count. Exploring fresh seeds is the long run's job: scripts/fuzz.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { failureLine, reproduceHint, runFuzz, summaryTable, type FuzzRun } from './harness.ts';
import { READERS } from './seeds.ts';
import { FUZZ_DEFAULTS } from './settings.ts';

/** The seed of the test command's cases. */
const FUZZ_DEFAULT_SEED = 20261204;
const seedEnv = process.env.FUZZ_SEED;
const seed = seedEnv === 'random' ? Math.floor(Math.random() * 2 ** 31) : seedEnv ? Number(seedEnv) >>> 0 : FUZZ_DEFAULT_SEED;
const only = process.env.FUZZ_ONLY ? process.env.FUZZ_ONLY.split(',').map(Number) : undefined;

describe(`reader fuzz (seed ${seed}, ${only ? `cases ${only.join(',')}` : `${FUZZ_DEFAULTS.cases} cases`})`, () => {
  let run: FuzzRun;
  beforeAll(async () => {
    run = await runFuzz({ seed, cases: FUZZ_DEFAULTS.cases, only, caseMs: FUZZ_DEFAULTS.caseMs, caseMb: FUZZ_DEFAULTS.caseMb });
    console.log(summaryTable(run));
  }, 600_000);

  it.each(READERS)('%s: every mutated file loads soundly or is refused cleanly, in bounds, leaving nothing behind', (reader) => {
    const failures = run.results.filter((r) => r.reader === reader && r.outcome === 'failed');
    expect(failures.map((r) => failureLine(r, seed)), `${failures.length} failing cases; ${reproduceHint(seed)}`).toEqual([]);
  });

  it('ran the cases and every reader had some', () => {
    expect(run.results.length).toBe(only?.length ?? FUZZ_DEFAULTS.cases);
    if (!only) for (const reader of READERS) expect(run.results.some((r) => r.reader === reader), reader).toBe(true);
  });

  it(`holds memory: RSS grows less than ${FUZZ_DEFAULTS.rssGrowthMb} MB over the run, what the readers hold less than ${FUZZ_DEFAULTS.heldGrowthMb} MB`, () => {
    expect(run.rssGrowthMb).toBeLessThan(FUZZ_DEFAULTS.rssGrowthMb);
    expect(run.heldGrowthMb).toBeLessThan(FUZZ_DEFAULTS.heldGrowthMb);
  });
});
