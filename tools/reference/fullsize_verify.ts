/**
 * Loads a converted full-size file with loadWeights and checks every tensor against the SHA-256
 * list written by fullsize_checkpoint.py (f32 files bit for bit; f16 files: shape and count only).
 *   npx tsx tools/reference/fullsize_verify.ts OUT.safetensors CHECKPOINT.pth.sha256.json
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadWeights } from '../../src/weights/loader.ts';

async function main() {
  const [file, sums] = process.argv.slice(2);
  const want = JSON.parse(readFileSync(sums, 'utf8')) as Record<string, string>;
  const t0 = performance.now();
  const w = await loadWeights(file);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const rss = (process.memoryUsage().rss / 2 ** 20).toFixed(0);
  let checked = 0;
  for (const [key, sha] of Object.entries(want)) {
    const t = w.tensors.get(key);
    if (!t) throw new Error(`missing ${key}`);
    if (t.dtype === 'f32') {
      const got = createHash('sha256').update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).digest('hex');
      if (got !== sha) throw new Error(`${key}: SHA-256 differs from the checkpoint's`);
      checked++;
    }
  }
  if (w.tensors.size !== Object.keys(want).length) throw new Error(`tensor count ${w.tensors.size} != ${Object.keys(want).length}`);
  const params = [...w.tensors].reduce((n, [, t]) => n + t.data.length, 0);
  console.log(`loaded ${file}: ${w.tensors.size} tensors, ${(params / 1e6).toFixed(1)} M values in ${secs} s, RSS ${rss} MiB; ` +
    (checked ? `${checked} tensors bit-identical to the checkpoint` : 'f16 file: every key and shape present (values are f16-rounded)') +
    ` (config ${w.config.architecture}, stacks ${(w.config as { stacks?: number }).stacks})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
