// What the check pages (test/browser/api.ts, video.ts) share: one result per check, the page's
// log (<pre id="log"> and the console), check()/assert(), and fetching the small test model.
import { convertCheckpointBytes } from '../../src/weights/convert.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  skipped?: string;
  error?: string;
  ms: number;
}

/** Thrown inside a check: the check counts as passed, skipped for this reason. */
export class Skip extends Error {}

export const log = (s: string) => ((document.getElementById('log')!.textContent += s + '\n'), console.log(s));

export function assert(c: unknown, msg: string): asserts c {
  if (!c) throw new Error(msg);
}

/** The results array the page leaves on window, and check(), which runs one check and records it there. */
export function makeChecks(): { results: CheckResult[]; check(name: string, fn: () => Promise<void> | void): Promise<void> } {
  const results: CheckResult[] = [];
  async function check(name: string, fn: () => Promise<void> | void): Promise<void> {
    const t0 = performance.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      if (e instanceof Skip) results.push({ name, ok: true, skipped: e.message, ms: 0 });
      else results.push({ name, ok: false, error: String((e as Error)?.stack ?? e), ms: performance.now() - t0 });
    }
    log(`${results.at(-1)!.ok ? 'ok' : 'FAIL'} ${name} (${(performance.now() - t0).toFixed(0)} ms)`);
  }
  return { results, check };
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert(a.length === b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The hiu-small test checkpoint (input 64) converted to weights, and the left hand asset. */
export async function fetchSmallModel(): Promise<{ weights: Uint8Array<ArrayBuffer>; hand: Uint8Array<ArrayBuffer> }> {
  const weights = (await convertCheckpointBytes(await fetchBytes('/test/fixtures/hiu-small/plain.zip.pth'), 'plain.zip.pth', { inputSize: 64 })).bytes as Uint8Array<ArrayBuffer>;
  const hand = await fetchBytes('/assets/hand-left.safetensors');
  return { weights, hand };
}
