/**
 * The reader fuzz (issue #12, point 8), shared by the test (readers.fuzz.test.ts, a few hundred
 * cases) and the long run (scripts/fuzz.ts). Case i of run seed S is a pure function of (S, i):
 * pick a reader by weight, one of its seed files, and mutate it with a mulberry32 stream. The
 * case runs in a worker thread under a time bound and a memory bound (the worker is stopped when
 * either is passed), and passes only if the file loads to a sound result, or is refused by a
 * clean error: an Error, one line, short, naming the file, with no JavaScript-internal wording
 * and no control characters; and nothing is left in its output folder.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { quoteUntrusted } from '../../src/util/untrusted.ts';
import { fullGc } from './gc.ts';
import { caseSeed, Rng, type Mutated } from './mutate.ts';
import type { CaseJob, WorkerReply } from './protocol.ts';
import { loadSeeds, READER_WEIGHTS, READERS, type ReaderId, type SeedFile } from './seeds.ts';

/** A refusal at or past this length is a failure: messages are one short line (issue #12, point 5). */
export const MAX_MESSAGE_CHARS = 500;

/** Wording of JavaScript's own errors: a reader that lets one through did not check its input. */
export const JS_INTERNAL_WORDING: readonly RegExp[] = [
  /Maximum call stack/i, /Cannot read propert/i, /Cannot set propert/i, /Invalid typed array length/i, /\bundefined\b/,
  /is not a function/i, /is not iterable/i, /is not a constructor/i, /Invalid string length/i, /Invalid array length/i,
  /Array buffer allocation failed/i, /not valid for encoding/i, /outside the bounds/i, /Offset is out of bounds/i,
  /Cannot convert .* to a BigInt/i, /Cannot mix BigInt/i, /Reduce of empty array/i,
];

export interface FuzzOptions {
  seed: number;
  /** Number of cases (0..cases-1), unless `only` lists the indices to run. */
  cases: number;
  only?: number[];
  /** Stop starting new cases after this many seconds (the long run). */
  seconds?: number;
  /** Per-case time bound (ms) and memory bound (RSS growth over the case's start, MB). */
  caseMs: number;
  caseMb: number;
  readers?: readonly ReaderId[];
  /** Keep each case's mutated bytes in its result (the long run writes failing ones out). */
  keepBytes?: boolean;
  onCase?: (r: CaseResult) => void;
}

export interface CaseResult {
  index: number;
  reader: ReaderId;
  seedFile: string;
  ops: string[];
  outcome: 'loaded' | 'refused' | 'failed';
  /** Failure kind (e.g. 'JS-internal message', 'time bound') or, for refusals, the message's shape. */
  kind: string;
  message: string;
  ms: number;
  bytes?: Uint8Array;
}

export interface FuzzRun {
  seed: number;
  results: CaseResult[];
  /** RSS after the run minus RSS after the first case, both after a full collection (MB). */
  rssGrowthMb: number;
  /**
   * What the worker's JavaScript holds (V8 heap + buffers) after a full collection, last sample
   * minus first, for the longest-lived worker (MB): a reader that keeps what it read grows this.
   */
  heldGrowthMb: number;
  seconds: number;
}

// ---- case generation ---------------------------------------------------------------------------

export function makeCase(seeds: readonly SeedFile[], runSeed: number, index: number, readers: readonly ReaderId[] = READERS): { seed: SeedFile; mutated: Mutated } {
  const rng = new Rng(caseSeed(runSeed, index));
  const present = readers.filter((r) => seeds.some((s) => s.reader === r));
  if (!present.length) throw new Error(`fuzz: no seed files for readers ${readers.join(', ')}`);
  const total = present.reduce((a, r) => a + READER_WEIGHTS[r], 0);
  let x = rng.float() * total;
  const reader = present.find((r) => (x -= READER_WEIGHTS[r]) < 0) ?? present[present.length - 1];
  const seed = rng.pick(seeds.filter((s) => s.reader === reader));
  return { seed, mutated: seed.mutate(seed.bytes, rng) };
}

// ---- judging ---------------------------------------------------------------------------------------

/** Why a refusal is not a clean one (empty: it is). */
export function messageProblems(r: Extract<WorkerReply, { outcome: 'threw' }>, fileName: string): string[] {
  const p: string[] = [];
  if (!r.isError) p.push(`not an Error (${r.errorName})`);
  if (/[\r\n]/.test(r.message)) p.push('more than one line');
  if (r.length >= MAX_MESSAGE_CHARS) p.push(`message of ${r.length} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(r.message)) p.push('control characters in the message');
  const internal = JS_INTERNAL_WORDING.find((w) => w.test(r.message));
  if (internal) p.push(`JS-internal message (${internal.source.replace(/\\b|\\/g, '')})`);
  if (!r.message.includes(fileName)) p.push('does not name the file');
  return p;
}

/** A message's shape for the summary: file name, quoted text and numbers blanked, cut. */
export function messageShape(message: string, fileName: string): string {
  return message
    .split(fileName).join('<file>')
    .replace(/[^\s:]*<file>/g, '<file>')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .slice(0, 90);
}

type Reply = WorkerReply | { outcome: 'time bound' | 'memory bound' | 'worker crash'; message: string; ms: number };

function judge(reply: Reply, fileName: string, leftBehind: string[]): Pick<CaseResult, 'outcome' | 'kind' | 'message'> {
  if (reply.outcome === 'ok') {
    if (leftBehind.length) return { outcome: 'failed', kind: 'file left behind', message: `left ${leftBehind.join(', ')} after loading` };
    return { outcome: 'loaded', kind: 'loaded', message: reply.summary };
  }
  if (reply.outcome === 'bad-result') return { outcome: 'failed', kind: 'wrong result', message: reply.message };
  if (reply.outcome !== 'threw') return { outcome: 'failed', kind: reply.outcome, message: reply.message };
  const problems = messageProblems(reply, fileName);
  if (problems.length) return { outcome: 'failed', kind: problems[0], message: reply.message + (problems.length > 1 ? ` [also: ${problems.slice(1).join('; ')}]` : '') };
  if (leftBehind.length) return { outcome: 'failed', kind: 'file left behind', message: `left ${leftBehind.join(', ')} after: ${reply.message}` };
  return { outcome: 'refused', kind: messageShape(reply.message, fileName), message: reply.message };
}

// ---- the worker --------------------------------------------------------------------------------

const MB = 1 << 20;
/** Cases between samples of what the worker holds (a collection costs ~50 ms). */
const HELD_SAMPLE_EVERY = 25;

/** tsx's ESM register() module, by its package's exports map (its CommonJS build fails to load its ESM part from a worker). */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(pkg, 'utf8')).exports as Record<string, { import: { default: string } }>;
  return pathToFileURL(join(dirname(pkg), exports['./esm/api'].import.default)).href;
}

/** One worker thread running TypeScript (tsx's loader, registered inside it), restarted after a kill. */
class CaseWorker {
  private worker: Worker | null = null;
  private listener: ((m: unknown) => void) | null = null;
  private failure: ((why: Reply) => void) | null = null;

  private async start(caseMb: number): Promise<Worker> {
    const tsx = tsxEsmApi();
    const entry = new URL('./worker.ts', import.meta.url).href;
    // An eval'd CommonJS bootstrap: the worker's entry must register the loader before importing TypeScript.
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    const w = new Worker(boot, { eval: true, resourceLimits: { maxOldGenerationSizeMb: caseMb } });
    this.worker = w;
    this.generation++;
    // Events of a worker already stopped (its exit arrives late) must not reach the next case.
    w.on('message', (m) => this.worker === w && this.listener?.(m));
    w.on('error', (e) => {
      if (this.worker !== w) return;
      const oom = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.failure?.({ outcome: oom ? 'memory bound' : 'worker crash', message: `${e.name}: ${e.message}`.slice(0, 1000), ms: 0 });
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.failure?.({ outcome: 'worker crash', message: `worker exited with code ${code}`, ms: 0 });
      this.worker = null;
    });
    await new Promise<void>((resolve, reject) => {
      this.listener = (m) => (m as { type?: string }).type === 'ready' && resolve();
      this.failure = (r) => reject(new Error(`fuzz worker did not start: ${'message' in r ? r.message : r.outcome}`));
    });
    return w;
  }

  /** Starts counted from 1; a new worker (after a kill) has the next number. */
  generation = 0;

  /** A full collection in the worker; returns what its JavaScript still holds (bytes), null without a worker. */
  async gc(): Promise<number | null> {
    if (!this.worker) return null;
    const w = this.worker;
    return new Promise<number | null>((resolve) => {
      this.listener = (m) => (m as { type?: string }).type === 'gc-done' && resolve((m as { held: number }).held);
      this.failure = () => resolve(null);
      w.postMessage({ type: 'gc' });
    });
  }

  async run(job: CaseJob, caseMs: number, caseMb: number): Promise<Reply> {
    const w = this.worker ?? (await this.start(caseMb));
    const t0 = performance.now();
    const base = process.memoryUsage.rss();
    return new Promise<Reply>((resolve) => {
      let settled = false;
      const finish = (r: Reply, kill: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.listener = this.failure = null;
        if (kill) {
          this.worker = null;
          void w.terminate();
        }
        resolve(r);
      };
      const timer = setTimeout(() => finish({ outcome: 'time bound', message: `still running after ${caseMs} ms`, ms: caseMs }, true), caseMs);
      const poll = setInterval(() => {
        const grew = (process.memoryUsage.rss() - base) / MB;
        if (grew > caseMb) finish({ outcome: 'memory bound', message: `RSS grew by ${grew.toFixed(0)} MB (bound ${caseMb} MB)`, ms: performance.now() - t0 }, true);
      }, 10);
      this.listener = (m) => (m as { id?: number }).id === job.id && finish(m as WorkerReply, false);
      this.failure = (r) => finish({ ...r, ms: performance.now() - t0 }, true);
      w.postMessage(job);
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.listener = this.failure = null;
    await w?.terminate();
  }
}

/** Everything under `dir`, as relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

// ---- the run -------------------------------------------------------------------------------------

export async function runFuzz(o: FuzzOptions): Promise<FuzzRun> {
  const seeds = await loadSeeds();
  const indices = o.only ?? Array.from({ length: o.cases }, (_, i) => i);
  const root = mkdtempSync(join(tmpdir(), 'hiu-fuzz-'));
  const worker = new CaseWorker();
  const results: CaseResult[] = [];
  const t0 = performance.now();
  let rssStart = 0;
  const held = new Map<number, { first: number; last: number }>(); // per worker generation
  const settledRss = async () => {
    const h = await worker.gc();
    if (h !== null) {
      const g = held.get(worker.generation);
      held.set(worker.generation, { first: g?.first ?? h, last: h });
    }
    fullGc();
    return process.memoryUsage.rss();
  };
  try {
    for (const index of indices) {
      if (o.seconds !== undefined && performance.now() - t0 > o.seconds * 1000) break;
      const { seed, mutated } = makeCase(seeds, o.seed, index, o.readers);
      const dir = join(root, String(index));
      const outDir = join(dir, 'out');
      mkdirSync(outDir, { recursive: true });
      const input = join(dir, seed.name);
      writeFileSync(input, mutated.bytes);
      const reply = await worker.run({ id: index, reader: seed.reader, input, outDir }, o.caseMs, o.caseMb);
      const verdict = judge(reply, basename(input), filesUnder(outDir));
      rmSync(dir, { recursive: true, force: true });
      const r: CaseResult = { index, reader: seed.reader, seedFile: seed.name, ops: mutated.ops, ...verdict, ms: reply.ms, ...(o.keepBytes ? { bytes: mutated.bytes } : {}) };
      results.push(r);
      o.onCase?.(r);
      if (results.length === 1) rssStart = await settledRss();
      else if (results.length % HELD_SAMPLE_EVERY === 0) await settledRss();
    }
    const rssGrowthMb = results.length ? ((await settledRss()) - rssStart) / MB : 0;
    const heldGrowthMb = Math.max(0, ...[...held.values()].map((g) => (g.last - g.first) / MB));
    return { seed: o.seed, results, rssGrowthMb, heldGrowthMb, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await worker.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

// ---- reporting -----------------------------------------------------------------------------------

/** One line per failure, with what reproduces it. */
export function failureLine(r: CaseResult, seed: number): string {
  return `[${r.reader}] seed ${seed} case ${r.index} (${r.seedFile}; ${r.ops.join('; ')}): ${r.kind}: ${quoteUntrusted(r.message, 300)}`;
}

export const reproduceHint = (seed: number, index: number | string = 'I'): string =>
  `reproduce case ${index}: FUZZ_SEED=${seed} FUZZ_ONLY=${index} npx vitest run test/fuzz, or npx tsx scripts/fuzz.ts --seed ${seed} --only ${index}`;

const pad = (s: string | number, n: number) => String(s).padEnd(n);

/** Outcomes by reader, then the kinds of refusal and failure with a count and an example case. */
export function summaryTable(run: FuzzRun): string {
  const lines: string[] = [];
  lines.push(`seed ${run.seed}: ${run.results.length} cases in ${run.seconds.toFixed(1)} s; RSS growth ${run.rssGrowthMb.toFixed(0)} MB, held by the worker ${run.heldGrowthMb.toFixed(1)} MB`);
  lines.push('', `${pad('reader', 13)}${pad('cases', 8)}${pad('loaded', 8)}${pad('refused', 9)}${pad('failed', 8)}max ms`);
  for (const reader of READERS) {
    const rs = run.results.filter((r) => r.reader === reader);
    if (!rs.length) continue;
    const n = (o: CaseResult['outcome']) => rs.filter((r) => r.outcome === o).length;
    lines.push(`${pad(reader, 13)}${pad(rs.length, 8)}${pad(n('loaded'), 8)}${pad(n('refused'), 9)}${pad(n('failed'), 8)}${Math.max(...rs.map((r) => r.ms)).toFixed(0)}`);
  }
  const groups = new Map<string, CaseResult[]>();
  for (const r of run.results) {
    if (r.outcome === 'loaded') continue;
    const key = `${r.outcome === 'failed' ? 'FAILED' : 'refused'}\t${r.reader}\t${r.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  lines.push('', `${pad('outcome', 9)}${pad('reader', 13)}${pad('count', 7)}${pad('case', 7)}kind`);
  for (const [key, rs] of [...groups].sort((a, b) => a[0].localeCompare(b[0]) || b[1].length - a[1].length)) {
    const [outcome, reader, kind] = key.split('\t');
    lines.push(`${pad(outcome, 9)}${pad(reader, 13)}${pad(rs.length, 7)}${pad(rs[0].index, 7)}${kind}`);
  }
  const slow = [...run.results].sort((a, b) => b.ms - a.ms).slice(0, 3);
  lines.push('', `slowest: ${slow.map((r) => `case ${r.index} (${r.reader}, ${r.seedFile}) ${r.ms.toFixed(0)} ms`).join('; ')}`);
  return lines.join('\n');
}
