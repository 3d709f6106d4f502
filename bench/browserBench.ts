/**
 * What the browser benchmarks (bench/hands.ts, bench/peers.ts) share: their page module and what
 * it imports from src/, bundled by Vite into one ES module in memory (each serves it from its own
 * node:http server, tools/reference/offlinePage.ts), the machine lines of their results, the median.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `entry` (a path from the repository root, e.g. 'bench/handsPage.ts') as one ES module's source. */
export async function bundlePage(entry: string): Promise<string> {
  const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const res = await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    // The browser side of the Node-only module, as scripts/build.ts does for the package bundle.
    resolve: { alias: [{ find: /^(.*)\/platform\/node\.ts$/, replacement: '$1/platform/browser.ts' }] },
    build: {
      write: false,
      outDir: join(ROOT, `node_modules/.cache/bench-${name}`),
      emptyOutDir: false,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry: join(ROOT, entry), formats: ['es'], fileName: () => `${name}.js` },
    },
  });
  const outputs = (Array.isArray(res) ? res : [res]) as { output: { type: string; fileName: string; code?: string }[] }[];
  const chunks = outputs.flatMap((o) => o.output).filter((c) => c.type === 'chunk');
  if (chunks.length !== 1 || !chunks[0].code) throw new Error(`page bundle: expected one chunk, got ${chunks.map((c) => c.fileName).join(', ')}`);
  return chunks[0].code;
}

/** Median of the values (NaN for none). */
export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The CPU's model name (Linux /proc/cpuinfo, else Node's) and its logical core count. */
export function cpuLine(): string {
  let model = cpus()[0]?.model ?? '?';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch { /* not Linux */ }
  return `${model}, ${cpus().length} cores`;
}

/** Short commit of the checkout, with ' + changes' when the work tree differs from it; '?' outside git. */
export function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev} + changes` : rev;
  } catch {
    return '?';
  }
}
