/** Fresh random data each run; HIU_TEST_SEED reproduces a failing run (the seed is in every message). */
export function testSeed(): number {
  const fixed = typeof process !== 'undefined' ? process.env.HIU_TEST_SEED : undefined;
  return fixed ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
}
