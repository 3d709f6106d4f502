/**
 * `hiu inspect MODEL.tflite|MODEL.task` and
 * `hiu run MODEL.tflite|MODEL.task --input X.npy [--input NAME=X.npy ...] --out DIR [--entry NAME]`.
 *
 * `run` takes inputs in TFLite's own layout (NHWC, float32; other numeric .npy dtypes are
 * converted) and writes every output as float32 .npy named after its TFLite tensor. Outputs go to
 * a temporary folder renamed into place at the end: a failure leaves nothing behind.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  Engine, formatBuild, formatMemory, formatProfileTable, profileReport, type BlockRule, type Graph, type MemoryByKind, type Profile, type ProfileOptions, type ProfileReport, type Tensor,
  type VariantPolicy, type WeightPrecision,
} from '../../src/engine/index.ts';
import { assertSupported, describeTflite, formatSummary, TfliteRunner } from '../../src/import/index.ts';
import { readModelBundle, type TfliteModel } from '../../src/weights/tflite.ts';
import { readNpy, writeNpy } from '../../src/weights/npy.ts';
import { parseArgs } from './hiu.ts';
import { checkInputFile, checkOutputPath, TempOutput } from './paths.ts';
import { quoteUntrusted } from '../../src/util/untrusted.ts';

export const INSPECT_USAGE = 'usage: hiu inspect MODEL.tflite|MODEL.task';
export const RUN_USAGE = 'usage: hiu run MODEL.tflite|MODEL.task --input X.npy [--input NAME=X.npy ...] --out DIR [--entry NAME-IN-TASK]';

function fail(msg: string): never {
  throw new Error(msg);
}

/** Names from a model file, for messages: escaped, the first 20. */
function listNames(names: string[]): string {
  return names.slice(0, 20).map((n) => quoteUntrusted(n)).join(', ') + (names.length > 20 ? `, ... (${names.length} in all)` : '');
}

function readFile(path: string, what: string): Uint8Array {
  if (!existsSync(path) || !statSync(path).isFile()) fail(`${what} ${path}: no such file`);
  return new Uint8Array(readFileSync(path));
}

function loadModels(path: string): Map<string, TfliteModel> {
  return readModelBundle(readFile(path, 'model'), basename(path));
}

export async function runInspect(argv: string[]): Promise<number> {
  const { positional } = parseArgs(argv, {});
  if (positional.length !== 1) fail(INSPECT_USAGE);
  const models = loadModels(resolve(positional[0]));
  const text = [...models].map(([entry, m]) => (models.size > 1 ? `== ${entry}\n` : '') + formatSummary(describeTflite(m)));
  process.stdout.write(text.join('\n\n') + '\n');
  return 0;
}

export async function runRun(argv: string[]): Promise<number> {
  // --input may repeat: collect those first, then parse the rest.
  const inputs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input') {
      if (i + 1 >= argv.length) fail('option --input needs a value');
      inputs.push(argv[++i]);
    } else if (argv[i].startsWith('--input=')) inputs.push(argv[i].slice(8));
    else rest.push(argv[i]);
  }
  const { positional, flags } = parseArgs(rest, { '--out': 'out', '-o': 'out', '--entry': 'entry' });
  if (positional.length !== 1 || !flags.get('out') || inputs.length === 0) fail(RUN_USAGE);
  // Files and output location first, before the model is read or anything compiled.
  const outDir = checkOutputPath(flags.get('out')!, '--out', 'folder');
  const modelPath = checkInputFile(positional[0], 'model');
  for (const spec of inputs) checkInputFile(spec.indexOf('=') > 0 ? spec.slice(spec.indexOf('=') + 1) : spec, '--input');
  const models = loadModels(modelPath);
  const entry = flags.get('entry');
  if (entry === undefined && models.size > 1) fail(`model ${modelPath}: holds ${models.size} models (${listNames([...models.keys()])}); pick one with --entry`);
  const model = entry === undefined ? [...models.values()][0] : models.get(entry) ?? fail(`model ${modelPath}: no entry ${quoteUntrusted(entry)} (has ${listNames([...models.keys()])})`);
  assertSupported(model);

  const names = model.inputs.map((i) => model.tensors[i].name);
  const given = new Map<string, { data: Float32Array; shape: number[]; path: string }>();
  for (const spec of inputs) {
    const eq = spec.indexOf('=');
    const name = eq > 0 ? spec.slice(0, eq) : names.length === 1 ? names[0] : fail(`the model has ${names.length} inputs (${listNames(names)}): use --input NAME=X.npy`);
    const path = resolve(eq > 0 ? spec.slice(eq + 1) : spec);
    if (!names.includes(name)) fail(`--input ${spec}: the model has no input ${quoteUntrusted(name)} (inputs: ${listNames(names)})`);
    if (given.has(name)) fail(`--input ${spec}: ${quoteUntrusted(name)} given twice`);
    const a = readNpy(readFile(path, `--input ${name}:`), path);
    const data = Float32Array.from(a.data as ArrayLike<number>);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`--input ${path}: value ${data[bad]} at flat index ${bad} is not finite`);
    given.set(name, { data, shape: a.shape, path });
  }
  for (const n of names) if (!given.has(n)) fail(`input ${quoteUntrusted(n)} was not given (--input NAME=X.npy)`);
  // All inputs share one batch size, taken from the first dimension of the given arrays.
  const batches = new Set([...given.values()].map((g) => g.shape[0]));
  if (batches.size !== 1) fail(`inputs disagree on the batch size (first dimension): ${[...given].map(([n, g]) => `${quoteUntrusted(n)} [${g.shape}]`).join(', ')}`);
  const batch = [...batches][0];
  for (const i of model.inputs) {
    const t = model.tensors[i];
    const g = given.get(t.name)!;
    const want = [batch, ...t.shape.slice(1)];
    if (g.shape.join() !== want.join()) fail(`--input ${g.path}: shape [${g.shape}] does not match input ${quoteUntrusted(t.name)} [${want}] (NHWC, as TFLite defines it)`);
  }

  const dest = TempOutput.create(outDir, 'folder', '--out'); // removed on failure and on SIGINT/SIGTERM
  const tmp = dest.tmp;
  let engine: Engine | undefined;
  try {
    engine = await Engine.create();
    const runner = await TfliteRunner.create(engine, model, { batch });
    const t0 = performance.now();
    const out = await runner.run(Object.fromEntries([...given].map(([n, g]) => [n, g.data])));
    const ms = performance.now() - t0;
    for (const io of runner.outputs) {
      const file = io.name.replace(/[^A-Za-z0-9_.-]+/g, '_');
      writeFileSync(join(tmp, `${file}.npy`), writeNpy(out[io.name], io.shape));
    }
    dest.commit();
    process.stderr.write(`wrote ${outDir}: ${runner.outputs.map((o) => `${quoteUntrusted(o.name)} [${o.shape}]`).join(', ')}; ${runner.dispatches} dispatches, first run ${ms.toFixed(0)} ms\n`);
    return 0;
  } finally {
    dest.discard(); // a no-op after commit; never throws, so dispose always runs
    engine?.dispose();
  }
}

/**
 * `hiu profile --model MODEL.tflite`: the per-layer table of an imported model on a fixed
 * random input in [0, 1], layers named after TFLite tensors, blocks by output resolution (where
 * a MobileNet-style network spends its time).
 */
export async function profileTfliteModel(o: {
  model: string; entry?: string; runs: number; method: ProfileOptions['method']; top?: number; weightPrecision?: WeightPrecision; variants?: VariantPolicy;
  log: (l: string) => void;
}): Promise<{ report: ProfileReport; table: string; memory: MemoryByKind; weightPrecision: WeightPrecision }> {
  const path = resolve(o.model);
  const models = loadModels(path);
  if (o.entry === undefined && models.size > 1) fail(`model ${path}: holds ${models.size} models (${listNames([...models.keys()])}); pick one with --entry`);
  const model = o.entry === undefined ? [...models.values()][0] : models.get(o.entry) ?? fail(`model ${path}: no entry ${quoteUntrusted(o.entry)}`);
  assertSupported(model);
  const engine = await Engine.create({ variants: o.variants });
  try {
    const runner = await TfliteRunner.create(engine, model, { weightPrecision: o.weightPrecision });
    o.log(`compiled ${runner.dispatches} dispatches (${engine.ctx.adapterInfo.description || engine.ctx.adapterInfo.vendor || 'unknown adapter'})`);
    let s = 0x2545f491;
    const inputs = Object.fromEntries(runner.inputs.map((io) => [io.name, Float32Array.from({ length: io.shape.reduce((a, b) => a * b, 1) }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    })]));
    const firstStart = performance.now();
    await runner.run(inputs);
    o.log(`created: ${formatBuild(runner.executable.buildStats, performance.now() - firstStart)}`);
    const opts: ProfileOptions = { method: o.method ?? 'auto' };
    await runner.profile(opts);
    const profiles: Profile[] = [];
    for (let i = 0; i < o.runs; i++) profiles.push(await runner.profile(opts));
    const report = profileReport(profiles, { blocks: resolutionBlocks(runner.imported.graph) });
    const memory = runner.executable.memory();
    const weightPrecision = runner.imported.graph.weightPrecision;
    const table = formatProfileTable(report, { title: `hiu profile: ${model.file}, ${engine.ctx.adapterInfo.description || 'GPU'}`, top: o.top }) +
      `GPU memory: ${formatMemory(memory, weightPrecision)}\n`;
    runner.dispose();
    return { report, table, memory, weightPrecision };
  } finally {
    engine.dispose();
  }
}

/** One block per output map size, in execution order ('96x96 maps', ..., '1x1 maps'). */
function resolutionBlocks(g: Graph): BlockRule[] {
  const size = new Map<string, string>();
  for (const n of g.nodes) {
    const out = n.bindings.find((b): b is { tensor: Tensor; access: 'write' } => 'tensor' in b && b.access === 'write');
    if (out) size.set(n.name, `${out.tensor.shape[1]}x${out.tensor.shape[2]} maps`);
  }
  return [...new Set(size.values())].map((name) => ({ name, match: (l: string) => size.get(l) === name }));
}
