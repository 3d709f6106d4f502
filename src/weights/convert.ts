/**
 * PyTorch checkpoint -> engine safetensors, streaming: the header is computed from the pickle's
 * tensor references alone, then tensors are read, converted and written one at a time, so peak
 * memory is about one storage plus its converted copy, not the checkpoint.
 *
 * Regressors: the network shares one regressor, which checkpoints repeat under regressors.0..K-1.
 * We verify every copy is identical (for free when they share a storage, else bit for bit) and
 * store it once, as `regressor.*`; copies that differ are an error (the network has no place for them).
 * BatchNorm `num_batches_tracked` buffers are dropped (unused at inference).
 */
import { countNonFinite, firstNonFinite } from '../util/finite.ts';
import { checkTensorView, checkTotalExpansion, isTensorRef, TorchCheckpoint, type TensorRef } from './pth.ts';
import { quoteUntrusted } from '../util/untrusted.ts';
import { bufferSource } from './source.ts';
import {
  detectArchitecture, expectedShapes, inferDetectorConfig, inferHiuConfig, stripPrefixes, validateShapes,
  WeightsMismatchError, type ModelConfig,
} from './config.ts';
import { encodeHeader, FORMAT_NAME, FORMAT_VERSION, type StDType } from './safetensors.ts';
import { f32ToF16 } from './dtype.ts';

export interface ConvertOptions {
  dtype?: 'f32' | 'f16';
  /** Input crop size to record in the config (not visible in the weights); default 256. */
  inputSize?: number;
  /** SHA-256 (hex) of the source checkpoint file, recorded in the metadata. */
  sourceSha256: string;
  sourceName?: string;
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
  /**
   * Keep NaN/Inf weights (and f16 overflow to Inf) instead of refusing them. Off by default: a
   * non-finite weight turns every output it touches into NaN.
   */
  allowNonFinite?: boolean;
}

export interface ConvertResult {
  config: ModelConfig;
  metadata: Record<string, string>;
  tensors: number;
  bytes: number;
}

const WRAPPER_KEYS = ['state_dict', 'model', 'model_state_dict', 'state_dict_ema', 'net', 'network', 'module'];

const isStateDict = (v: unknown): v is Map<unknown, unknown> =>
  v instanceof Map && v.size > 0 && [...v.values()].every(isTensorRef);

/** Longest state-dict key accepted (module paths are far shorter). */
export const STATE_DICT_MAX_KEY_LENGTH = 1024;

/** State-dict keys are module paths: strings of printable characters, nothing a terminal would act on. */
function tensorKey(k: unknown, what: string): string {
  if (typeof k !== 'string') throw new WeightsMismatchError(`${what}: state dict key ${quoteUntrusted(k)} is not a string`);
  if (k.length > STATE_DICT_MAX_KEY_LENGTH || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(k)) {
    throw new WeightsMismatchError(`${what}: state dict key ${quoteUntrusted(k)} is not a module path (control characters or over ${STATE_DICT_MAX_KEY_LENGTH} characters)`);
  }
  return k;
}

/** The state dict: the top-level dict itself, or one under a usual wrapper key ({'epoch':..,'state_dict':..}). */
export function findStateDict(root: unknown, what: string): { tensors: Map<string, TensorRef>; wrapperKey: string | null } {
  const asTensors = (m: Map<unknown, unknown>) => new Map([...m].map(([k, v]) => [tensorKey(k, what), v as TensorRef]));
  if (isStateDict(root)) return { tensors: asTensors(root), wrapperKey: null };
  if (root instanceof Map) {
    for (const key of WRAPPER_KEYS) {
      const v = root.get(key);
      if (isStateDict(v)) return { tensors: asTensors(v), wrapperKey: key };
    }
    const keys = [...root.keys()].slice(0, 8).map((k) => quoteUntrusted(k, 40)).join(', ');
    throw new WeightsMismatchError(`${what}: no state dict found: the checkpoint is a dict with keys [${keys}] and none of ${WRAPPER_KEYS.join('/')} holds only tensors`);
  }
  throw new WeightsMismatchError(`${what}: no state dict found (the checkpoint holds a ${Array.isArray(root) ? 'list' : typeof root})`);
}

const sameView = (a: TensorRef, b: TensorRef) =>
  a.storage.key === b.storage.key && a.storage.elementOffset === b.storage.elementOffset && a.offset === b.offset &&
  a.dtype === b.dtype && a.shape.join() === b.shape.join() && a.stride.join() === b.stride.join();

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

export interface ConversionPlan {
  config: ModelConfig;
  /** Engine key -> source tensor, in output order. */
  outputs: [string, TensorRef][];
  /** Extra regressor copies to verify against the stored one: [engine key, checkpoint key, tensor]. */
  checks: [string, string, TensorRef][];
  prefix: string;
  wrapperKey: string | null;
}

/** Everything that can be decided from the pickle alone: architecture, config, validation, layout. */
export function planConversion(ck: TorchCheckpoint, opts: { inputSize?: number } = {}): ConversionPlan {
  const what = ck.source.name;
  const { tensors, wrapperKey } = findStateDict(ck.root, what);
  for (const [k, t] of tensors) checkTensorView(t, k, what); // before any shape is trusted
  const { prefix, strip } = stripPrefixes([...tensors.keys()]);
  const refs = new Map<string, TensorRef>();
  for (const [k, t] of tensors) if (!k.endsWith('.num_batches_tracked')) refs.set(strip(k), t);
  const shapes = new Map([...refs].map(([k, t]) => [k, t.shape]));
  const arch = detectArchitecture(refs.keys(), what);
  const config: ModelConfig = arch === 'hiu-dmtl'
    ? inferHiuConfig(shapes, { inputSize: opts.inputSize, what })
    : inferDetectorConfig(shapes, { inputSize: opts.inputSize, what });
  validateShapes(shapes, expectedShapes(config, 'checkpoint'), what);
  const outputs: [string, TensorRef][] = [];
  const checks: [string, string, TensorRef][] = [];
  for (const key of expectedShapes(config, 'engine').keys()) {
    if (!key.startsWith('regressor.')) {
      outputs.push([key, refs.get(key)!]);
      continue;
    }
    const rest = key.slice('regressor.'.length);
    const first = refs.get(`regressors.0.${rest}`)!;
    outputs.push([key, first]);
    for (let k = 1; k < (config as { stacks: number }).stacks; k++) {
      const other = refs.get(`regressors.${k}.${rest}`)!;
      if (!sameView(first, other)) checks.push([key, `regressors.${k}.${rest}`, other]);
    }
  }
  checkTotalExpansion(outputs.map(([, t]) => t), what);
  return { config, outputs, checks, prefix, wrapperKey };
}

/** The checkpoint's own name for an engine key (the first regressor copy for `regressor.*`). */
const sourceKey = (plan: ConversionPlan, key: string) =>
  plan.prefix + (key.startsWith('regressor.') ? `regressors.0.${key.slice('regressor.'.length)}` : key);

/** Refuses NaN/Inf unless allowed: names the tensor, how many and the first index. */
function checkFinite(data: Float32Array, name: string, file: string): void {
  const first = firstNonFinite(data);
  if (first >= 0) {
    throw new WeightsMismatchError(`${file}: tensor ${quoteUntrusted(name)} has ${countNonFinite(data)} non-finite values (first: ${data[first]} at index ${first}); refused unless allowed (allowNonFinite, hiu convert --allow-non-finite)`);
  }
}

/** Streams the converted file into `write`; throws (naming the problem) before or while writing. */
export async function convertCheckpoint(
  ck: TorchCheckpoint,
  write: (chunk: Uint8Array) => Promise<void>,
  opts: ConvertOptions,
): Promise<ConvertResult> {
  const plan = planConversion(ck, opts);
  const dtype: StDType = opts.dtype === 'f16' ? 'F16' : 'F32';
  const metadata: Record<string, string> = {
    format: FORMAT_NAME,
    format_version: FORMAT_VERSION,
    architecture: plan.config.architecture,
    config: JSON.stringify(plan.config),
    dtype: dtype === 'F16' ? 'f16' : 'f32',
    source_sha256: opts.sourceSha256,
    source_file: opts.sourceName ?? ck.source.name.split(/[\\/]/).pop() ?? '',
    source_format: ck.format,
    source_key_prefix: plan.prefix,
  };
  const entries = plan.outputs.map(([name, t]) => ({ name, dtype, shape: [...t.shape] }));
  const { bytes, dataSize } = encodeHeader(entries, metadata);
  await write(bytes);
  const checksBy = new Map<string, [string, TensorRef][]>();
  for (const [key, src, t] of plan.checks) checksBy.set(key, [...(checksBy.get(key) ?? []), [src, t]]);
  let done = 0;
  let overflow = 0;
  for (const [name, t] of plan.outputs) {
    const data = await ck.readTensor(t, sourceKey(plan, name));
    if (!opts.allowNonFinite) checkFinite(data, sourceKey(plan, name), ck.source.name);
    for (const [src, other] of checksBy.get(name) ?? []) {
      if (!bitsEqual(data, await ck.readTensor(other, plan.prefix + src))) {
        throw new WeightsMismatchError(`${ck.source.name}: ${quoteUntrusted(plan.prefix + src)} differs from ${quoteUntrusted(`${plan.prefix}regressors.0.${name.slice(10)}`)}; HIU-DMTL shares one regressor, so its copies must be identical`);
      }
    }
    let out: Uint8Array;
    if (dtype === 'F16') {
      const h = f32ToF16(data);
      let over = 0;
      for (let i = 0; i < h.length; i++) if ((h[i] & 0x7c00) === 0x7c00 && Number.isFinite(data[i])) over++;
      if (over && !opts.allowNonFinite) {
        throw new WeightsMismatchError(`${ck.source.name}: tensor ${quoteUntrusted(sourceKey(plan, name))} has ${over} values beyond the f16 range (|x| > 65504); use f32`);
      }
      overflow += over;
      out = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
    } else {
      out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    await write(out);
    done += out.byteLength;
    opts.onProgress?.(done, dataSize);
  }
  if (overflow) opts.onWarning?.(`${overflow} values exceed the f16 range (|x| > 65504) and became infinite; use --dtype f32`);
  return { config: plan.config, metadata, tensors: plan.outputs.length, bytes: bytes.length + dataSize };
}

/**
 * Converts a checkpoint held in memory (e.g. a File the user picked in a browser) to the engine's
 * safetensors bytes, without touching any file system.
 */
export async function convertCheckpointBytes(
  bytes: Uint8Array,
  name: string,
  opts: Omit<ConvertOptions, 'sourceSha256' | 'sourceName'> = {},
): Promise<{ bytes: Uint8Array; result: ConvertResult }> {
  const ck = await TorchCheckpoint.open(bufferSource(bytes, name));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const sha = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  const chunks: Uint8Array[] = [];
  const result = await convertCheckpoint(ck, async (c) => void chunks.push(c.slice()), { ...opts, sourceSha256: sha, sourceName: name });
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) out.set(c, (off += c.length) - c.length);
  return { bytes: out, result };
}
