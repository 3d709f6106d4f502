#!/usr/bin/env -S npx tsx
/**
 * The long reader fuzz: the harness of test/fuzz (the test command runs a few hundred cases of it)
 * for as many cases or seconds as you like.
 *
 *   npx tsx scripts/fuzz.ts [--seed S] [--cases N | --seconds T] [--reader R ...] [--only I,J]
 *                           [--case-ms 3000] [--case-mb 1024] [--out DIR]
 *
 * Prints a table of outcomes by reader and kind of error, and writes every failing case (the
 * mutated file, and a line saying what was done to it and what went wrong) to DIR (default
 * artifacts/fuzz-<seed>) so it can be reproduced: `--seed S --only I` reruns case I exactly.
 * Exits 1 if any case failed or what the readers hold grew (a leak).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureMediapipeModels, MODEL_DIR } from '../tools/models/mediapipe.ts';
import { failureLine, reproduceHint, runFuzz, summaryTable } from '../test/fuzz/harness.ts';
import { FUZZ_DEFAULTS } from '../test/fuzz/settings.ts';
import { READERS, REPO_ROOT, type ReaderId } from '../test/fuzz/seeds.ts';

const USAGE = 'usage: npx tsx scripts/fuzz.ts [--seed S] [--cases N | --seconds T] [--reader R ...] [--only I,J] [--case-ms MS] [--case-mb MB] [--out DIR]';

function parse(argv: string[]) {
  const o = {
    seed: Math.floor(Math.random() * 2 ** 31), cases: 1000, seconds: undefined as number | undefined, readers: [] as ReaderId[],
    only: undefined as number[] | undefined, caseMs: FUZZ_DEFAULTS.caseMs, caseMb: FUZZ_DEFAULTS.caseMb, out: '',
  };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, v] = [argv[i], argv[i + 1]];
    i++;
    if (flag === '--seed') o.seed = num(flag, v) >>> 0;
    else if (flag === '--cases') o.cases = num(flag, v);
    else if (flag === '--seconds') (o.seconds = num(flag, v)), (o.cases = Number.MAX_SAFE_INTEGER);
    else if (flag === '--case-ms') o.caseMs = num(flag, v);
    else if (flag === '--case-mb') o.caseMb = num(flag, v);
    else if (flag === '--out') o.out = v ?? '';
    else if (flag === '--only') o.only = (v ?? '').split(',').map((x) => num(flag, x));
    else if (flag === '--reader') {
      if (!(READERS as readonly string[]).includes(v ?? '')) throw new Error(`--reader must be one of ${READERS.join(', ')}`);
      o.readers.push(v as ReaderId);
    } else throw new Error(USAGE);
  }
  return o;
}

const o = parse(process.argv.slice(2));
ensureMediapipeModels(MODEL_DIR); // the TFLite seeds
const out = o.out || join(REPO_ROOT, 'artifacts', `fuzz-${o.seed}`);
let done = 0;
const run = await runFuzz({
  seed: o.seed, cases: o.cases, only: o.only, seconds: o.seconds, caseMs: o.caseMs, caseMb: o.caseMb,
  readers: o.readers.length ? o.readers : undefined, keepBytes: true,
  onCase: (r) => {
    if (r.outcome === 'failed') {
      mkdirSync(out, { recursive: true });
      const file = join(out, `case-${r.index}-${r.seedFile}`);
      writeFileSync(file, r.bytes!);
      writeFileSync(join(out, 'failures.txt'), `${file}\n  ${failureLine(r, o.seed)}\n`, { flag: 'a' });
      process.stderr.write(`FAILED ${failureLine(r, o.seed)}\n`);
    }
    r.bytes = undefined; // keep memory flat over a long run
    if (++done % 100 === 0) process.stderr.write(`${done} cases\n`);
  },
});
process.stdout.write(`${summaryTable(run)}\n`);
const failed = run.results.filter((r) => r.outcome === 'failed').length;
if (failed) process.stdout.write(`\n${failed} failing cases written to ${out} (failures.txt says what each one is); ${reproduceHint(o.seed)}\n`);
// RSS over a long run is told, not judged: the C allocator keeps what large cases freed. Each
// case is still bounded (--case-mb), and a reader that keeps what it read shows in heldGrowthMb.
if (run.rssGrowthMb > FUZZ_DEFAULTS.rssGrowthMb) process.stdout.write(`note: RSS grew by ${run.rssGrowthMb.toFixed(0)} MB over the run (the test's bound for its ${FUZZ_DEFAULTS.cases} cases is ${FUZZ_DEFAULTS.rssGrowthMb} MB)\n`);
const heldBad = run.heldGrowthMb > FUZZ_DEFAULTS.heldGrowthMb;
if (heldBad) process.stdout.write(`what the readers hold grew by ${run.heldGrowthMb.toFixed(1)} MB (bound ${FUZZ_DEFAULTS.heldGrowthMb} MB): a leak\n`);
process.exit(failed || heldBad ? 1 : 0);
