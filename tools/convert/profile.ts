/**
 * `hiu profile --weights W.safetensors [--mano M.safetensors] [--runs N] [--trace out.json]
 *              [--input-size S] [--method auto|timestamp|submit] [--top N] [--split-tasks]
 *              [--weight-precision f32|f16] [--variants auto|measure|default|OP=VARIANT,...]`
 *
 * Builds the hand graph (HIU-DMTL + MANO), feeds it a random input, warms up, profiles N runs
 * and prints the per-layer table (median over runs), the per-block totals and how much of the
 * measured GPU time the layer times cover, then the GPU memory the graph holds by kind. `--trace` writes a Chrome trace-event file
 * (chrome://tracing, ui.perfetto.dev), through a temporary file renamed into place.
 */
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  Engine, formatBuild, formatMemory, formatProfileTable, Graph, profileReport, toChromeTrace, type MemoryByKind, type Profile, type ProfileOptions, type ProfileReport,
  type VariantPolicy, type WeightPrecision,
} from '../../src/engine/index.ts';
import { buildHandGraph } from '../../src/model/pipeline.ts';
import { hiuProfileBlocks } from '../../src/model/profileBlocks.ts';
import { networkHandProblem } from '../../src/model/manoAsset.ts';
import { loadManoAsset, MAX_MANO_FILE_BYTES } from '../../src/weights/mano.ts';
import { headerLength, loadWeights, storedDtype, type HiuConfig } from '../../src/weights/index.ts';
import { parseHeader, ST_SIZE, type StDType } from '../../src/weights/safetensors.ts';
import { quoteUntrusted } from '../../src/util/untrusted.ts';
import { packageAsset } from './assets.ts';
import { parseArgs } from './hiu.ts';
import { checkInputFile, checkOutputPath, TempOutput } from './paths.ts';
import { profileTfliteModel } from './tflite.ts';

export const PROFILE_USAGE =
  'usage: hiu profile --weights W.safetensors [--mano M.safetensors] [--runs N] [--trace out.json] [--input-size S]' +
  ' [--method auto|timestamp|submit] [--top N] [--split-tasks] [--weight-precision f32|f16] [--variants auto|measure|default|conv2d=tiled]\n' +
  '       hiu profile --model MODEL.tflite|MODEL.task [--entry NAME] [--runs N] [--trace out.json] [--method ...] [--top N] [--weight-precision f32|f16] [--variants ...]';

const DEFAULT_MANO = packageAsset('hand-left.safetensors');

function fail(msg: string): never {
  throw new Error(msg);
}

function intFlag(flags: Map<string, string>, name: string, dflt: number | undefined, ok: (n: number) => boolean, what: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || !ok(n)) fail(`--${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be ${what}, not '${v}'`);
  return n;
}

/** `__metadata__.architecture` of a safetensors file, or null when it cannot be read (the loader then says why). */
function declaredArchitecture(path: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const first8 = new Uint8Array(8);
    if (readSync(fd, first8, 0, 8, 0) !== 8) return null;
    const n = headerLength(first8, path, statSync(path).size);
    const body = new Uint8Array(n);
    readSync(fd, body, 0, n, 8);
    // The shared header reader (any dtype: a hand asset holds integer faces).
    return parseHeader(body, path, Object.keys(ST_SIZE) as StDType[]).metadata.architecture ?? null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Prefixes the flag and path unless the message already names the file. */
function about(flag: string, path: string, e: Error): never {
  fail(e.message.startsWith(path) ? `${flag} ${e.message}` : `${flag} ${path}: ${e.message}`);
}

export interface ProfileRunResult {
  report: ProfileReport;
  /** The per-layer table, then a 'GPU memory:' line. */
  table: string;
  layerNames: string[];
  /** Bytes the compiled graph holds on the GPU, by kind, and how it holds the weights. */
  memory: MemoryByKind;
  weightPrecision: WeightPrecision;
}

export interface ProfileCommandOptions {
  weights: string;
  mano?: string | null;
  runs?: number;
  inputSize?: number;
  method?: ProfileOptions['method'];
  splitTasks?: boolean;
  top?: number;
  /** How the GPU holds the weights (default: as the file stores them). */
  weightPrecision?: WeightPrecision;
  /** How kernel variants are picked (default 'auto'). */
  variants?: VariantPolicy;
  log?: (line: string) => void;
}

/** `--variants auto|measure|default|op=variant,op=variant`. */
export function parseVariants(v: string | undefined): VariantPolicy | undefined {
  if (v === undefined || v === 'auto' || v === 'measure' || v === 'default') return v;
  const pairs = v.split(',').map((p) => p.split('='));
  if (!pairs.every((p) => p.length === 2 && /^\w+$/.test(p[0]) && /^\w+$/.test(p[1])))
    fail(`--variants must be auto, measure, default or OP=VARIANT[,OP=VARIANT] (e.g. conv2d=tiled), not ${quoteUntrusted(v)}`);
  return Object.fromEntries(pairs);
}

/** The work behind `hiu profile`, callable from code: returns the report and the table. */
export async function profileHandGraph(o: ProfileCommandOptions): Promise<ProfileRunResult> {
  const log = o.log ?? (() => {});
  const wPath = checkInputFile(o.weights, '--weights');
  if (/\.(pth|pt|ckpt|bin)$/i.test(wPath)) fail(`--weights ${wPath}: this looks like a PyTorch checkpoint; convert it first with \`hiu convert ${basename(wPath)} -o weights.safetensors\``);
  const mPath = o.mano === null ? null : checkInputFile(o.mano ?? DEFAULT_MANO, '--mano', MAX_MANO_FILE_BYTES);

  const arch = declaredArchitecture(wPath);
  if (arch && arch !== 'hiu-dmtl')
    fail(`--weights ${wPath}: holds ${quoteUntrusted(arch)} ${arch === 'mano-hand' ? 'hand asset (pass it as --mano)' : 'weights'}, not HIU-DMTL weights ('hiu-dmtl'); hiu profile profiles the HIU-DMTL + MANO hand graph`);
  // The hand asset first (small): a wrong one fails before the weights are read.
  const asset = mPath ? await loadManoAsset(mPath).catch((e: Error) => about('--mano', mPath, e)) : null;
  const sideProblem = asset && networkHandProblem(asset);
  if (sideProblem) fail(`--mano ${mPath}: ${sideProblem}`);
  const weights = await loadWeights(wPath, { architecture: 'hiu-dmtl' }).catch((e: Error) => about('--weights', wPath, e));
  const config = weights.config as HiuConfig;
  const size = o.inputSize ?? config.inputSize;
  const runs = o.runs ?? 5;

  const engine = await Engine.create({ variants: o.variants });
  try {
    const weightPrecision = o.weightPrecision ?? storedDtype(weights);
    const g = new Graph({ weightPrecision });
    const h = buildHandGraph(g, weights.tensors, config, asset, { inputSize: size });
    const layerNames = g.nodes.map((n) => n.name);
    log(`compiling ${layerNames.length} dispatches (input ${size}x${size}, ${engine.ctx.adapterInfo.description || engine.ctx.adapterInfo.vendor || 'unknown adapter'})`);
    const exe = await engine.compile(g);
    const firstStart = performance.now();
    // Random network input in [-1, 1] (the range of x / 127.5 - 1), reproducible.
    let s = 0x9e3779b9;
    const input = new Float32Array(3 * size * size).map(() => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32) * 2 - 1;
    });
    exe.writeNCHW(h.net.input, input);
    const opts: ProfileOptions = { method: o.method ?? 'auto' };
    // Warm-up: the plain run, then one profiled run (its per-layer passes are new work too).
    await exe.run();
    await exe.read(h.net.last.keypoints);
    log(`created: ${formatBuild(exe.buildStats, performance.now() - firstStart)}`);
    await exe.profile(opts);
    const profiles: Profile[] = [];
    for (let i = 0; i < runs; i++) profiles.push(await exe.profile(opts));
    const report = profileReport(profiles, { blocks: hiuProfileBlocks(config, { splitTasks: o.splitTasks }) });
    const title = `hiu profile: ${basename(wPath)}${asset ? ` + ${basename(mPath!)}` : ''}, input ${size}x${size}, ${engine.ctx.adapterInfo.description || 'GPU'}`;
    const memory = exe.memory();
    const table = formatProfileTable(report, { title, top: o.top }) + `GPU memory: ${formatMemory(memory, weightPrecision)}\n`;
    return { report, table, layerNames, memory, weightPrecision };
  } finally {
    engine.dispose();
  }
}

/** Writes a Chrome trace through a temporary file renamed into place. */
export function writeTrace(path: string, report: ProfileReport): void {
  const temp = TempOutput.create(checkOutputPath(path, '--trace', 'file'), 'file', '--trace');
  try {
    writeFileSync(temp.tmp, JSON.stringify(toChromeTrace(report)) + '\n');
    temp.commit();
  } finally {
    temp.discard();
  }
}

export async function runProfile(argv: string[]): Promise<number> {
  const splitTasks = argv.includes('--split-tasks');
  const { positional, flags } = parseArgs(argv.filter((a) => a !== '--split-tasks'), {
    '--weights': 'weights', '--mano': 'mano', '--runs': 'runs', '--trace': 'trace', '--input-size': 'inputSize', '--method': 'method', '--top': 'top',
    '--model': 'model', '--entry': 'entry', '--weight-precision': 'weightPrecision', '--variants': 'variants',
  });
  const variants = parseVariants(flags.get('variants'));
  const wp = flags.get('weightPrecision');
  if (wp !== undefined && wp !== 'f32' && wp !== 'f16') fail(`--weight-precision must be f32 or f16, not '${wp}'`);
  const weightPrecision = wp as WeightPrecision | undefined;
  if (positional.length || !flags.get('weights') === !flags.get('model')) fail(PROFILE_USAGE);
  const runs = intFlag(flags, 'runs', 5, (n) => n >= 1 && n <= 1000, 'an integer from 1 to 1000');
  const inputSize = intFlag(flags, 'inputSize', undefined, (n) => n >= 32 && n % 32 === 0, 'a positive multiple of 32');
  const top = intFlag(flags, 'top', undefined, (n) => n >= 1, 'a positive integer');
  const m = flags.get('method') ?? 'auto';
  const methods = { auto: 'auto', timestamp: 'timestamp-query', 'timestamp-query': 'timestamp-query', submit: 'per-dispatch-submit', 'per-dispatch-submit': 'per-dispatch-submit' } as const;
  if (!(m in methods)) fail(`--method must be auto, timestamp or submit, not '${m}'`);
  const trace = flags.get('trace') ? checkOutputPath(flags.get('trace')!, '--trace', 'file') : undefined; // before any work
  const log = (l: string) => process.stderr.write(l + '\n');
  const method = methods[m as keyof typeof methods];
  const r = flags.get('model')
    ? await profileTfliteModel({ model: flags.get('model')!, entry: flags.get('entry'), runs: runs!, method, top, weightPrecision, variants, log })
    : await profileHandGraph({ weights: flags.get('weights')!, mano: flags.get('mano'), runs, inputSize, splitTasks, top, method, weightPrecision, variants, log });
  process.stdout.write(r.table);
  if (trace) {
    writeTrace(trace, r.report);
    process.stderr.write(`wrote ${trace}: Chrome trace (open in chrome://tracing or https://ui.perfetto.dev)\n`);
  }
  return 0;
}
