/**
 * Network configurations inferred from tensor shapes, and the exact key -> shape lists they imply.
 * The engine builds its graph from these configs; the converter and loader validate every tensor
 * against them. Layout facts: ../../../shared/docs/hiu-dmtl-network.md.
 */
import { describeValue } from './safetensors.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

export type Shapes = ReadonlyMap<string, readonly number[]>;

export interface HiuConfig {
  architecture: 'hiu-dmtl';
  /** Number of stacks K. */
  stacks: number;
  /** Input crop side in pixels (not visible in the weights: 256 unless told). Maps are inputSize/4. */
  inputSize: number;
  /** Stem CBR 7x7 s2 widths: 3 -> stemWidths[0] -> stemWidths[1] (= F0 channels). */
  stemWidths: [number, number];
  /** Encoder stage output channels (4 stages); later stacks take stemWidths[1] + decoderWidth in. */
  encoderChannels: number[];
  encoderBlocks: number[];
  /** Bottleneck mid width = max(floor(in / 4), minPlane), unless midWidths is given (then midWidths wins). */
  minPlane: number;
  decoderWidth: number;
  /** TAM hidden width (768 -> tamWidth -> ... at full size). */
  tamWidth: number;
  heads: { heatmaps: number; pof: number; mask: number };
  regressorChannels: number[];
  regressorBlocks: number[];
  /** Hidden widths of the regressor's 1x1 MLP after the 2048-wide pooled vector. */
  regressorMlp: number[];
  /** Regressor outputs: beta 10 | pose 48 | camera 3 = 61. */
  regressorOutputs: number;
  /** Only when no single minPlane explains every block: explicit mids [stack][stage][block], regressor [stage][block]. */
  midWidths?: { encoders: number[][][]; regressor: number[][] };
}

export interface DetectorConfig {
  architecture: 'hand-detector';
  inputSize: number;
  stemWidth: number;
  stageWidths: number[];
  stageBlocks: number[];
  headWidths: number[];
  outputs: number;
}

export type ModelConfig = HiuConfig | DetectorConfig;

export const FULL_HIU_CONFIG: HiuConfig = {
  architecture: 'hiu-dmtl', stacks: 4, inputSize: 256, stemWidths: [64, 128],
  encoderChannels: [128, 512, 1024, 2048], encoderBlocks: [3, 4, 6, 3], minPlane: 64, decoderWidth: 256,
  tamWidth: 256, heads: { heatmaps: 21, pof: 63, mask: 1 }, regressorChannels: [256, 512, 1024, 2048],
  regressorBlocks: [3, 3, 3, 3], regressorMlp: [512, 512, 512], regressorOutputs: 61,
};

export type Shortcut = 'identity' | 'conv' | 'pool-conv' | 'pool-bn';

export interface BottleneckSpec {
  /** Key prefix, e.g. "encs.1.ops.0.0" or "regressor.0.ops.2.0". */
  prefix: string;
  cin: number;
  mid: number;
  cout: number;
  stride: 1 | 2;
  shortcut: Shortcut;
}

function shortcutOf(cin: number, cout: number, stride: number): Shortcut {
  if (stride !== 1) return cin !== cout ? 'pool-conv' : 'pool-bn';
  return cin !== cout ? 'conv' : 'identity';
}

/** Bottlenecks of one encoder; mids[stage][block] overrides the minPlane rule when given. */
export function encoderPlan(prefix: string, cin: number, channels: number[], blocks: number[], minPlane: number, mids?: number[][]): BottleneckSpec[] {
  const out: BottleneckSpec[] = [];
  let c = cin;
  channels.forEach((ch, i) => {
    for (let b = 0; b < blocks[i]; b++) {
      const stride = i > 0 && b === 0 ? 2 : 1;
      const mid = mids?.[i]?.[b] ?? Math.max(Math.floor(c / 4), minPlane);
      out.push({ prefix: `${prefix}.ops.${i}.${b}`, cin: c, mid, cout: ch, stride, shortcut: shortcutOf(c, ch, stride) });
      c = ch;
    }
  });
  return out;
}

export type Layout = 'engine' | 'checkpoint';

/** The regressor's key prefixes: once as `regressor` (engine) or per stack as `regressors.k` (checkpoint). */
export function regressorPrefixes(config: HiuConfig, layout: Layout): string[] {
  return layout === 'engine' ? ['regressor'] : Array.from({ length: config.stacks }, (_, k) => `regressors.${k}`);
}

export function hiuStackInput(config: HiuConfig, k: number): number {
  return k === 0 ? config.stemWidths[1] : config.stemWidths[1] + config.decoderWidth;
}

class ShapeList {
  readonly map = new Map<string, number[]>();
  conv(p: string, cout: number, cin: number, k: number, bias = false) {
    this.map.set(`${p}.weight`, [cout, cin, k, k]);
    if (bias) this.map.set(`${p}.bias`, [cout]);
  }
  bn(p: string, c: number) {
    for (const n of ['weight', 'bias', 'running_mean', 'running_var']) this.map.set(`${p}.${n}`, [c]);
  }
  cbr(p: string, cin: number, cout: number, k: number) {
    this.conv(`${p}.0`, cout, cin, k);
    this.bn(`${p}.1`, cout);
  }
  bottleneck(s: BottleneckSpec) {
    this.cbr(`${s.prefix}.convs.0`, s.cin, s.mid, 1);
    this.cbr(`${s.prefix}.convs.1`, s.mid, s.mid, 3);
    this.cbr(`${s.prefix}.convs.2`, s.mid, s.cout, 1);
    if (s.shortcut === 'conv') this.cbr(`${s.prefix}.residual`, s.cin, s.cout, 1);
    else if (s.shortcut === 'pool-conv') this.cbr(`${s.prefix}.residual.1`, s.cin, s.cout, 1);
    else if (s.shortcut === 'pool-bn') this.bn(`${s.prefix}.residual.1`, s.cout);
  }
}

/** Every parameter/buffer key and shape (num_batches_tracked excluded), in checkpoint order. */
export function expectedHiuShapes(c: HiuConfig, layout: Layout = 'engine'): Map<string, number[]> {
  const L = new ShapeList();
  const D = c.decoderWidth;
  L.cbr('stem.0', 3, c.stemWidths[0], 7);
  L.cbr('stem.1', c.stemWidths[0], c.stemWidths[1], 7);
  for (let k = 0; k < c.stacks; k++) {
    const plan = encoderPlan(`encs.${k}`, hiuStackInput(c, k), c.encoderChannels, c.encoderBlocks, c.minPlane, c.midWidths?.encoders[k]);
    plan.forEach((b) => L.bottleneck(b));
  }
  const lateralIn = [...c.encoderChannels].reverse();
  for (const [task, cout] of [['hm', c.heads.heatmaps], ['pof', c.heads.pof], ['mask', c.heads.mask]] as const) {
    for (let k = 0; k < c.stacks; k++) {
      const p = `${task}_decs.${k}`;
      lateralIn.forEach((cin, j) => L.cbr(`${p}.laterals.${j}`, cin, D, 1));
      for (let j = 0; j < lateralIn.length - 1; j++) {
        L.cbr(`${p}.upsamples.${j}.0`, D, D, 3);
        L.cbr(`${p}.upsamples.${j}.1`, D, D, 3);
        L.cbr(`${p}.upsamples.${j}.3`, D, D, 1);
      }
      L.cbr(`${p}.predict.0`, D, D, 3);
      L.cbr(`${p}.predict.1`, D, D, 3);
      L.conv(`${p}.predict.2.0`, cout, D, 3);
      L.bn(`${p}.predict.4`, cout);
    }
  }
  const D3 = 3 * D, T = c.tamWidth;
  for (let k = 0; k < c.stacks; k++) {
    const widths = [D3, D3, T, T, T, D3];
    for (let j = 0; j < 5; j++) L.cbr(`tams.${k}.convs.${j}`, widths[j], widths[j + 1], 1);
    L.conv(`tams.${k}.convs.5.0`, D3, D3, 1);
  }
  for (const p of regressorPrefixes(c, layout)) {
    encoderPlan(`${p}.0`, hiuStackInput(c, 1), c.regressorChannels, c.regressorBlocks, c.minPlane, c.midWidths?.regressor).forEach((b) => L.bottleneck(b));
    const w = [c.regressorChannels[c.regressorChannels.length - 1], ...c.regressorMlp];
    for (let j = 0; j + 1 < w.length; j++) L.cbr(`${p}.2.${j}`, w[j], w[j + 1], 1);
    L.conv(`${p}.2.${w.length - 1}.0`, c.regressorOutputs, w[w.length - 1], 1, true);
  }
  return L.map;
}

export function expectedDetectorShapes(c: DetectorConfig): Map<string, number[]> {
  const L = new ShapeList();
  L.conv('backbone.conv1', c.stemWidth, 3, 7);
  L.bn('backbone.bn1', c.stemWidth);
  let cin = c.stemWidth;
  c.stageWidths.forEach((w, i) => {
    for (let b = 0; b < c.stageBlocks[i]; b++) {
      const p = `backbone.layer${i + 1}.${b}`;
      const stride = i > 0 && b === 0 ? 2 : 1;
      L.conv(`${p}.conv1`, w, cin, 3);
      L.bn(`${p}.bn1`, w);
      L.conv(`${p}.conv2`, w, w, 3);
      L.bn(`${p}.bn2`, w);
      if (stride !== 1 || cin !== w) {
        L.conv(`${p}.downsample.0`, w, cin, 1);
        L.bn(`${p}.downsample.1`, w);
      }
      cin = w;
    }
  });
  const [h0, h1, h2] = c.headWidths;
  const sw = c.stageWidths;
  const ups: [string, number, number][] = [['up1', sw[3], h0], ['up2', h0 + sw[2], h1], ['up3', h1 + sw[1], h2]];
  for (const [p, i, o] of ups) {
    L.conv(`${p}.0`, o, i, 1);
    L.bn(`${p}.1`, o);
    L.conv(`${p}.4`, o, o, 3);
    L.bn(`${p}.5`, o);
  }
  L.conv('out.0', h2, h2 + sw[0], 1);
  L.bn('out.1', h2);
  L.conv('out.3', c.outputs, h2, 3);
  L.bn('out.4', c.outputs);
  return L.map;
}

export function expectedShapes(c: ModelConfig, layout: Layout = 'engine'): Map<string, number[]> {
  return c.architecture === 'hiu-dmtl' ? expectedHiuShapes(c, layout) : expectedDetectorShapes(c);
}

/** Names spelled out: minifiers rename classes. */
export class WeightsMismatchError extends Error {
  override name = 'WeightsMismatchError';
}

/** Throws naming the first missing or mis-shaped key (in network order), else the first extra key. */
export function validateShapes(actual: Shapes, expected: Map<string, number[]>, what: string): void {
  for (const [key, shape] of expected) {
    const got = actual.get(key);
    if (!got) throw new WeightsMismatchError(`${what}: missing tensor '${key}' (expected shape [${shape}])`);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new WeightsMismatchError(`${what}: tensor '${key}' has shape [${got}], expected [${shape}]`);
    }
  }
  for (const key of actual.keys()) {
    if (!expected.has(key)) throw new WeightsMismatchError(`${what}: unexpected tensor ${quoteUntrusted(key)} (not part of this network's layout)`);
  }
}

function getter(shapes: Shapes, what: string) {
  return (key: string, dim: number): number => {
    const s = shapes.get(key);
    if (!s) throw new WeightsMismatchError(`${what}: missing tensor '${key}' (needed to infer the configuration)`);
    if (s.length <= dim) throw new WeightsMismatchError(`${what}: tensor '${key}' has shape [${s}], too few dimensions`);
    return s[dim];
  };
}

function countWhile(pred: (i: number) => boolean): number {
  let n = 0;
  while (pred(n)) n++;
  return n;
}

/** Infers the HIU-DMTL configuration from shapes (checkpoint or engine layout, no prefixes). */
export function inferHiuConfig(shapes: Shapes, opts: { inputSize?: number; what?: string } = {}): HiuConfig {
  const what = opts.what ?? 'HIU-DMTL weights';
  const dim = getter(shapes, what);
  const has = (k: string) => shapes.has(k);
  const stacks = countWhile((k) => has(`encs.${k}.ops.0.0.convs.0.0.weight`));
  if (stacks === 0) throw new WeightsMismatchError(`${what}: missing tensor 'encs.0.ops.0.0.convs.0.0.weight'`);
  const R = has('regressor.0.ops.0.0.convs.0.0.weight') ? 'regressor' : 'regressors.0';
  const stages = (p: string) => {
    const blocks = [0, 1, 2, 3].map((i) => countWhile((b) => has(`${p}.ops.${i}.${b}.convs.0.0.weight`)));
    if (blocks.some((b) => b === 0)) throw new WeightsMismatchError(`${what}: missing tensor '${p}.ops.${blocks.indexOf(0)}.0.convs.0.0.weight' (4 encoder stages expected)`);
    const channels = blocks.map((_, i) => dim(`${p}.ops.${i}.0.convs.2.0.weight`, 0));
    const mids = blocks.map((n, i) => Array.from({ length: n }, (_, b) => dim(`${p}.ops.${i}.${b}.convs.0.0.weight`, 0)));
    const ins = blocks.map((n, i) => Array.from({ length: n }, (_, b) => dim(`${p}.ops.${i}.${b}.convs.0.0.weight`, 1)));
    return { blocks, channels, mids, ins };
  };
  const enc = stages('encs.0');
  const encs = Array.from({ length: stacks }, (_, k) => (k === 0 ? enc : stages(`encs.${k}`)));
  const reg = stages(`${R}.0`);
  const mlpCount = countWhile((j) => has(`${R}.2.${j}.0.weight`));
  if (mlpCount < 1) throw new WeightsMismatchError(`${what}: missing tensor '${R}.2.0.0.weight'`);
  const mlp = Array.from({ length: mlpCount - 1 }, (_, j) => dim(`${R}.2.${j}.0.weight`, 0));
  const config: HiuConfig = {
    architecture: 'hiu-dmtl',
    stacks,
    inputSize: opts.inputSize ?? 256,
    stemWidths: [dim('stem.0.0.weight', 0), dim('stem.1.0.weight', 0)],
    encoderChannels: enc.channels,
    encoderBlocks: enc.blocks,
    minPlane: 0,
    decoderWidth: dim('hm_decs.0.laterals.0.0.weight', 0),
    tamWidth: dim('tams.0.convs.1.0.weight', 0),
    heads: {
      heatmaps: dim('hm_decs.0.predict.2.0.weight', 0),
      pof: dim('pof_decs.0.predict.2.0.weight', 0),
      mask: dim('mask_decs.0.predict.2.0.weight', 0),
    },
    regressorChannels: reg.channels,
    regressorBlocks: reg.blocks,
    regressorMlp: mlp,
    regressorOutputs: dim(`${R}.2.${mlpCount - 1}.0.weight`, 0),
  };
  // One minPlane explains every block iff each mid is max(in/4, m) for the same m. Candidates: the
  // mids that exceed in/4 (most frequent first), else the page's 64 capped so it changes nothing.
  const pairs = [...encs, reg].flatMap((e) => e.mids.flatMap((row, i) => row.map((mid, b) => [e.ins[i][b], mid] as const)));
  const counts = new Map<number, number>();
  for (const [cin, mid] of pairs) if (mid > Math.floor(cin / 4)) counts.set(mid, (counts.get(mid) ?? 0) + 1);
  const ceiling = Math.min(...pairs.map(([cin]) => Math.floor(cin / 4)));
  const m = counts.size ? [...counts].sort((a, b) => b[1] - a[1])[0][0] : Math.min(64, ceiling);
  config.minPlane = m;
  if (!pairs.every(([cin, mid]) => mid === Math.max(Math.floor(cin / 4), m))) {
    config.midWidths = { encoders: encs.map((e) => e.mids), regressor: reg.mids };
  }
  return config;
}

export function inferDetectorConfig(shapes: Shapes, opts: { inputSize?: number; what?: string } = {}): DetectorConfig {
  const what = opts.what ?? 'hand-detector weights';
  const dim = getter(shapes, what);
  const stageBlocks = [1, 2, 3, 4].map((i) => countWhile((b) => shapes.has(`backbone.layer${i}.${b}.conv1.weight`)));
  return {
    architecture: 'hand-detector',
    inputSize: opts.inputSize ?? 256,
    stemWidth: dim('backbone.conv1.weight', 0),
    stageWidths: [1, 2, 3, 4].map((i) => dim(`backbone.layer${i}.0.conv1.weight`, 0)),
    stageBlocks,
    headWidths: ['up1', 'up2', 'up3'].map((p) => dim(`${p}.0.weight`, 0)),
    outputs: dim('out.3.weight', 0),
  };
}

/** Which network a (prefix-stripped) key set belongs to; a clear error for anything else. */
export function detectArchitecture(keys: Iterable<string>, what: string): ModelConfig['architecture'] {
  const list = [...keys];
  const set = new Set(list);
  if (set.has('stem.0.0.weight') || list.some((k) => k.startsWith('encs.'))) return 'hiu-dmtl';
  if (set.has('backbone.conv1.weight') && list.some((k) => k.startsWith('up1.'))) return 'hand-detector';
  const sample = list.slice(0, 3).map((k) => quoteUntrusted(k)).join(', ');
  throw new WeightsMismatchError(
    `${what}: unrecognised architecture: expected HIU-DMTL keys (stem.*, encs.*, hm_decs.*, ...) or hand-detector keys (backbone.*, up1.*, ...), found ${list.length} keys such as ${sample || 'none'}`,
  );
}

/** Strips `module.` / `model.` (DataParallel / training wrapper) when every key carries it, repeatedly. */
export function stripPrefixes(keys: readonly string[]): { prefix: string; strip: (k: string) => string } {
  let prefix = '';
  for (;;) {
    const next = ['module.', 'model.'].find((p) => keys.length > 0 && keys.every((k) => k.startsWith(prefix + p)));
    if (!next) break;
    prefix += next;
  }
  return { prefix, strip: (k) => (k.startsWith(prefix) ? k.slice(prefix.length) : k) };
}

// ---- configurations declared in a file's metadata ---------------------------------------------

/**
 * Sane maxima for a configuration declared in weight-file metadata, checked before anything is
 * built from it (the full network is 4 stacks, blocks [3, 4, 6, 3], widths up to 2048, input 256).
 */
export const CONFIG_LIMITS = {
  /** Stacks K. */
  stacks: 16,
  /** Blocks in one encoder/regressor/detector stage. */
  blocks: 64,
  /** Channels of any layer (widths, heads, regressor outputs). */
  width: 8192,
  /** Hidden layers of the regressor MLP. */
  mlpLayers: 16,
  /** Input crop side in pixels (a multiple of 32). */
  inputSize: 4096,
} as const;

/**
 * The counts that decide how many tensors a layout has: a declared count must equal what the
 * tensors present show before the layout is built. (Widths are then checked tensor by tensor.)
 */
const HIU_COUNTS = (c: HiuConfig) => ({ stacks: c.stacks, encoderBlocks: c.encoderBlocks, regressorBlocks: c.regressorBlocks, 'regressorMlp.length': c.regressorMlp.length });
const DETECTOR_COUNTS = (c: DetectorConfig) => ({ stageBlocks: c.stageBlocks });

/** Reads declared config fields, naming the key and the value it holds when one is out of range. */
class DeclaredConfig {
  constructor(private readonly raw: Record<string, unknown>, private readonly what: string, private readonly prefix = '') {}

  fail(key: string, value: unknown, want: string): never {
    const said = value === undefined ? 'is missing; it' : `= ${describeValue(value)}`;
    throw new WeightsMismatchError(`${this.what}: metadata config ${this.prefix}${key} ${said} ${want}`);
  }

  int(key: string, lo: number, hi: number, value: unknown = this.raw[key]): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) this.fail(key, value, `is not an integer in ${lo}..${hi}`);
    return value;
  }

  ints(key: string, lo: number, hi: number, length: readonly [number, number], value: unknown = this.raw[key]): number[] {
    if (!Array.isArray(value) || value.length < length[0] || value.length > length[1]) {
      this.fail(key, value, `is not a list of ${length[0] === length[1] ? length[0] : `${length[0]}..${length[1]}`} integers`);
    }
    return value.map((v, i) => this.int(`${key}[${i}]`, lo, hi, v));
  }

  /** A list with one row of widths per stage, blocks[i] long. */
  rows(key: string, value: unknown, blocks: readonly number[]): number[][] {
    if (!Array.isArray(value) || value.length !== blocks.length) this.fail(key, value, `is not a list of ${blocks.length} lists`);
    return value.map((row, i) => this.ints(`${key}[${i}]`, 1, CONFIG_LIMITS.width, [blocks[i], blocks[i]], row));
  }

  object(key: string): DeclaredConfig {
    const v = this.raw[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, v, 'is not an object');
    return new DeclaredConfig(v as Record<string, unknown>, this.what, `${this.prefix}${key}.`);
  }

  value(key: string): unknown {
    return this.raw[key];
  }
}

/**
 * The configuration a file's metadata declares (JSON text), checked before anything is built
 * from it: every field of the right type, integral and within CONFIG_LIMITS, and the counts
 * (stacks, blocks, MLP layers) equal to what the tensors present show (inferred with work bounded
 * by the tensors in the file). Only then is the layout built and checked tensor by tensor.
 */
export function checkDeclaredConfig(json: string, shapes: Shapes, what: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new WeightsMismatchError(`${what}: metadata config is not valid JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new WeightsMismatchError(`${what}: metadata config is not a JSON object`);
  const d = new DeclaredConfig(raw as Record<string, unknown>, what);
  const arch = d.value('architecture');
  const L = CONFIG_LIMITS;
  const inputSize = d.int('inputSize', 32, L.inputSize);
  if (inputSize % 32) throw new WeightsMismatchError(`${what}: metadata config inputSize = ${inputSize} is not a multiple of 32`);
  let config: ModelConfig;
  let said: Record<string, unknown>;
  let seen: Record<string, unknown>;
  if (arch === 'hiu-dmtl') {
    const stacks = d.int('stacks', 1, L.stacks);
    const encoderBlocks = d.ints('encoderBlocks', 1, L.blocks, [4, 4]);
    const regressorBlocks = d.ints('regressorBlocks', 1, L.blocks, [4, 4]);
    const heads = d.object('heads');
    const c: HiuConfig = {
      architecture: 'hiu-dmtl', stacks, inputSize,
      stemWidths: d.ints('stemWidths', 1, L.width, [2, 2]) as [number, number],
      encoderChannels: d.ints('encoderChannels', 1, L.width, [4, 4]),
      encoderBlocks,
      minPlane: d.int('minPlane', 0, L.width),
      decoderWidth: d.int('decoderWidth', 1, L.width),
      tamWidth: d.int('tamWidth', 1, L.width),
      heads: { heatmaps: heads.int('heatmaps', 1, L.width), pof: heads.int('pof', 1, L.width), mask: heads.int('mask', 1, L.width) },
      regressorChannels: d.ints('regressorChannels', 1, L.width, [4, 4]),
      regressorBlocks,
      regressorMlp: d.ints('regressorMlp', 1, L.width, [0, L.mlpLayers]),
      regressorOutputs: d.int('regressorOutputs', 1, L.width),
    };
    if (d.value('midWidths') !== undefined) {
      const mids = d.object('midWidths');
      const encoders = mids.value('encoders');
      if (!Array.isArray(encoders) || encoders.length !== stacks) mids.fail('encoders', encoders, `is not a list of ${stacks} lists (one per stack)`);
      c.midWidths = {
        encoders: (encoders as unknown[]).map((e, k) => mids.rows(`encoders[${k}]`, e, encoderBlocks)),
        regressor: mids.rows('regressor', mids.value('regressor'), regressorBlocks),
      };
    }
    config = c;
    said = HIU_COUNTS(c);
    seen = HIU_COUNTS(inferHiuConfig(shapes, { what }));
  } else if (arch === 'hand-detector') {
    const c: DetectorConfig = {
      architecture: 'hand-detector', inputSize,
      stemWidth: d.int('stemWidth', 1, L.width),
      stageWidths: d.ints('stageWidths', 1, L.width, [4, 4]),
      stageBlocks: d.ints('stageBlocks', 1, L.blocks, [4, 4]),
      headWidths: d.ints('headWidths', 1, L.width, [3, 3]),
      outputs: d.int('outputs', 1, L.width),
    };
    config = c;
    said = DETECTOR_COUNTS(c);
    seen = DETECTOR_COUNTS(inferDetectorConfig(shapes, { what }));
  } else {
    throw new WeightsMismatchError(`${what}: metadata config architecture = ${describeValue(arch)} is not 'hiu-dmtl' or 'hand-detector'`);
  }
  for (const key of Object.keys(said)) {
    if (JSON.stringify(said[key]) !== JSON.stringify(seen[key])) {
      throw new WeightsMismatchError(`${what}: metadata config ${key} = ${describeValue(said[key])} disagrees with the tensors in the file (${describeValue(seen[key])})`);
    }
  }
  validateShapes(shapes, expectedShapes(config, 'engine'), what);
  return config;
}
