#!/usr/bin/env -S npx tsx
/**
 * `hiu` command line: subcommand dispatch. Others add subcommands to COMMANDS (e.g. convert-mano, infer).
 *   hiu convert <checkpoint.pth> -o <out.safetensors> [--dtype f16] [--input-size 256] [--allow-non-finite]
 *   hiu convert-mano <MANO_RIGHT.pkl|file.npz> -o <out.safetensors> [--side left|right]
 *   hiu infer --weights W --mano M --input <image|.npy> --out DIR [--right]
 *   hiu profile --weights W [--mano M] [--runs N] [--trace out.json] [--input-size S]
 *   hiu inspect MODEL.tflite|MODEL.task
 *   hiu run MODEL.tflite|MODEL.task --input X.npy [--input NAME=X.npy ...] --out DIR
 *   hiu hands IMAGE... [--model full|lite] [--json OUT.json] [--num-hands N]
 */
import { convertFile } from './convert.ts';
import { convertManoFile } from './convertMano.ts';
import { runInfer } from './infer.ts';
import { runProfile } from './profile.ts';
import { runInspect, runRun } from './tflite.ts';
import { runHands } from './hands.ts';
import { checkInputFile, checkOutputPath } from './paths.ts';
import { quoteUntrusted } from '../../src/util/untrusted.ts';

export type Command = { summary: string; run: (args: string[]) => Promise<number> };

class UsageError extends Error {}

/** Tiny option parser: positional args plus `--name value` / `-o value` flags. */
export function parseArgs(
  args: string[],
  valueFlags: Record<string, string>,
  switches: Record<string, string> = {},
): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (Object.hasOwn(switches, a)) {
      flags.set(switches[a], 'true');
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('-') ? valueFlags[eq > 0 ? a.slice(0, eq) : a] : undefined;
    if (a.startsWith('-') && !name) throw new UsageError(`unknown option ${a}`);
    if (!name) positional.push(a);
    else if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (i + 1 < args.length) flags.set(name, args[++i]);
    else throw new UsageError(`option ${a} needs a value`);
  }
  return { positional, flags };
}

/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
export function progressBar(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  let lastDraw = 0;
  return (done, total) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const text = `${label} [${'#'.repeat(Math.round(frac * 30)).padEnd(30, '.')}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB`;
    if (tty) {
      const now = Date.now();
      if (now - lastDraw > 50 || frac === 1) process.stderr.write(`\r${text}${frac === 1 ? '\n' : ''}`), (lastDraw = now);
    } else if (Math.floor(frac * 10) > lastTenth) {
      lastTenth = Math.floor(frac * 10);
      process.stderr.write(text + '\n');
    }
  };
}

const CONVERT_USAGE = 'usage: hiu convert <checkpoint.pth> -o <out.safetensors> [--dtype f32|f16] [--input-size N] [--allow-non-finite]';

async function runConvert(args: string[]): Promise<number> {
  const { positional, flags } = parseArgs(args, { '-o': 'out', '--out': 'out', '--output': 'out', '--dtype': 'dtype', '--input-size': 'inputSize' }, { '--allow-non-finite': 'allowNonFinite' });
  if (positional.length !== 1 || !flags.get('out')) throw new UsageError(CONVERT_USAGE);
  const dtype = flags.get('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, not ${dtype}`);
  const inputSize = flags.has('inputSize') ? Number(flags.get('inputSize')) : undefined;
  if (inputSize !== undefined && !(Number.isInteger(inputSize) && inputSize > 0 && inputSize % 32 === 0)) {
    throw new UsageError('--input-size must be a positive multiple of 32');
  }
  // Both ends checked before the checkpoint is parsed.
  const input = checkInputFile(positional[0], 'input');
  const out = checkOutputPath(flags.get('out')!, '-o', 'file');
  if (out === input) throw new UsageError(`-o ${out}: is the input file`);
  const t0 = performance.now();
  const bars = { hash: progressBar('hashing   '), convert: progressBar('converting') };
  const result = await convertFile(input, out, {
    dtype,
    inputSize,
    allowNonFinite: flags.has('allowNonFinite'),
    onProgress: (phase, d, t) => bars[phase](d, t),
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  process.stderr.write(
    `wrote ${flags.get('out')}: ${result.config.architecture}, ${result.tensors} tensors, ${(result.bytes / 1e6).toFixed(1)} MB ${dtype}, in ${secs} s\n`,
  );
  return 0;
}

const CONVERT_MANO_USAGE = 'usage: hiu convert-mano <MANO_LEFT.pkl|MANO_RIGHT.pkl|file.npz> -o <out.safetensors> [--side left|right]';

async function runConvertMano(args: string[]): Promise<number> {
  const { positional, flags } = parseArgs(args, { '-o': 'out', '--out': 'out', '--output': 'out', '--side': 'side' });
  if (positional.length !== 1 || !flags.get('out')) throw new UsageError(CONVERT_MANO_USAGE);
  const side = flags.get('side');
  if (side !== undefined && side !== 'left' && side !== 'right') throw new UsageError(`--side must be left or right, not ${side}`);
  const r = await convertManoFile(positional[0], flags.get('out')!, { side });
  process.stderr.write(
    `wrote ${flags.get('out')}: MANO ${r.asset.side} hand, ${r.asset.numVertices} vertices, ${r.asset.faces.length / 3} faces, ${(r.bytes / 1e6).toFixed(2)} MB` +
      ` (source sha256 ${r.sha256.slice(0, 12)}...). MANO's licence forbids redistributing this file.\n`,
  );
  return 0;
}

export const COMMANDS: Record<string, Command> = {
  convert: { summary: 'PyTorch checkpoint (.pth) -> engine weights (.safetensors)', run: runConvert },
  'convert-mano': { summary: 'MANO model (.pkl / .npz) -> hand asset (.safetensors)', run: runConvertMano },
  infer: { summary: 'run HIU-DMTL + MANO on an image or .npy, write .npy outputs and result.json', run: runInfer },
  profile: { summary: 'per-layer GPU times, per-block totals, Chrome trace (--trace out.json)', run: runProfile },
  inspect: { summary: 'a .tflite/.task model: inputs, outputs, ops, params, MACs, engine support', run: runInspect },
  run: { summary: 'run a .tflite/.task model on .npy inputs (NHWC), write each output as .npy', run: runRun },
  hands: { summary: "MediaPipe's trained hand models on images: hands, handedness, 21 keypoints, world landmarks", run: runHands },
};

function usage(): string {
  return ['usage: hiu <command> [args]', '', 'commands:', ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`hiu: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hiu ${name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`hiu ${name}: error: ${e instanceof Error ? e.message : `thrown ${quoteUntrusted(e)}`}\n`);
    if (process.env.HIU_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

// Run when executed directly (tsx tools/convert/hiu.ts), not when imported by tests.
if (process.argv[1] && /hiu\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
