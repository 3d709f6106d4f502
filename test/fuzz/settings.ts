/** Bounds of the reader fuzz, shared by the test and scripts/fuzz.ts (each can be overridden by env). */
const envNumber = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback;
};

export const FUZZ_DEFAULTS = {
  /** Cases in the test command: a few hundred, well within a minute on two cores. */
  cases: envNumber('FUZZ_CASES', 250),
  /** A case still running after this is a hang (the largest seed, a 5.5 MB TFLite model, takes ~0.2 s). */
  caseMs: envNumber('FUZZ_CASE_MS', 3000),
  /** A case whose RSS grows past this (MB) is a memory blow-up; also the worker's V8 heap limit. */
  caseMb: envNumber('FUZZ_CASE_MB', 1024),
  /**
   * RSS growth allowed over a whole run (MB), after full collections at both ends. Loose: the C
   * allocator keeps freed memory after a large case, which is not a leak (heldGrowthMb sees those).
   */
  rssGrowthMb: envNumber('FUZZ_RSS_GROWTH_MB', 400),
  /** Growth of what the worker's JavaScript holds (heap + buffers) after collections (MB): a leak. */
  heldGrowthMb: envNumber('FUZZ_HELD_GROWTH_MB', 32),
};
