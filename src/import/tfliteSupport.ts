/**
 * What the importer can run: the ops, options and dtypes it lowers to engine kernels. One list
 * of every problem, so a user sees all of what a file needs at once (`hiu inspect`, and the
 * error `importTflite` throws).
 */
import { opLabel, type TfliteModel, type TfliteOp } from '../weights/tflite.ts';
import { fusedActivation } from './tflitePlan.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

export const SUPPORTED_OPS = [
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'PRELU', 'RELU', 'RELU6', 'MAX_POOL_2D', 'PAD', 'RESIZE_BILINEAR',
  'RESHAPE', 'CONCATENATION', 'MEAN', 'FULLY_CONNECTED', 'LOGISTIC',
] as const;

export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

const OK_ACT = new Set(['none', 'relu', 'relu6']);

/**
 * Inputs each supported op takes: [required, optional] (an optional one may be -1, omitted).
 * Checked before lowering, so a corrupt file's op lists cannot make the importer read nothing.
 */
const ARITY: Record<(typeof SUPPORTED_OPS)[number], [number, number]> = {
  CONV_2D: [2, 1], DEPTHWISE_CONV_2D: [2, 1], FULLY_CONNECTED: [2, 1], ADD: [2, 0], PRELU: [2, 0], PAD: [2, 0],
  RESIZE_BILINEAR: [2, 0], MEAN: [2, 0], RESHAPE: [1, 1], RELU: [1, 0], RELU6: [1, 0], LOGISTIC: [1, 0], MAX_POOL_2D: [1, 0],
  CONCATENATION: [1, Infinity],
};

/** Problems listed in one error message at most (`hiu inspect` lists them all). */
export const MAX_LISTED_PROBLEMS = 20;
/** ... and at most this many characters of them, so the refusal stays one readable line. */
export const MAX_PROBLEMS_CHARS = 420;

function arityProblem(op: TfliteOp, where: string): string | undefined {
  const [need, optional] = ARITY[op.opcode as (typeof SUPPORTED_OPS)[number]];
  const n = op.inputs.length;
  if (n < need || n > need + optional) return `${where}: has ${n} inputs, expected ${optional ? (optional === Infinity ? `at least ${need}` : `${need} to ${need + optional}`) : need}`;
  const omitted = op.inputs.findIndex((t, i) => t < 0 && (i < need || op.opcode === 'CONCATENATION'));
  if (omitted >= 0) return `${where}: input ${omitted} is omitted but required`;
  if (op.outputs.length !== 1 || op.outputs[0] < 0) return `${where}: has ${op.outputs.length} outputs, expected 1`;
  return undefined;
}

function opProblem(m: TfliteModel, op: TfliteOp): string | undefined {
  const o = op.options;
  if (!(SUPPORTED_OPS as readonly string[]).includes(op.opcode)) return undefined; // counted separately
  const out = op.outputs[0] >= 0 ? m.tensors[op.outputs[0]] : undefined;
  const where = `op ${op.index} ${op.opcode}${out ? ` (${quoteUntrusted(out.name)})` : ''}`;
  const arity = arityProblem(op, where);
  if (arity) return arity;
  const act = fusedActivation(op);
  if (!OK_ACT.has(act)) return `${where}: fused activation ${act} is not supported (NONE, RELU, RELU6 are)`;
  if ((op.opcode === 'CONV_2D' || op.opcode === 'DEPTHWISE_CONV_2D') && ((o.dilationWFactor ?? 1) !== 1 || (o.dilationHFactor ?? 1) !== 1))
    return `${where}: dilation ${o.dilationHFactor}x${o.dilationWFactor} is not supported`;
  if (op.opcode === 'MAX_POOL_2D' && act !== 'none') return `${where}: fused activation on a pool is not supported`;
  for (const t of op.inputs) {
    if (t < 0) continue;
    const tt = m.tensors[t];
    if (tt.data === undefined && tt.dtype !== 'float32') return `${where}: input ${quoteUntrusted(tt.name)} is ${tt.dtype}; only float32 activations run`;
    if (tt.quantized) return `${where}: input ${quoteUntrusted(tt.name)} is quantized (int8/uint8 quantisation is not supported)`;
  }
  return undefined;
}

/** Every reason the engine cannot run this model, one line each; empty when it can. */
export function tfliteProblems(m: TfliteModel): string[] {
  const problems = [...m.problems];
  const unknown = new Map<string, number>();
  for (const op of m.ops) {
    if (!(SUPPORTED_OPS as readonly string[]).includes(op.opcode)) unknown.set(op.opcode, (unknown.get(op.opcode) ?? 0) + 1);
    const p = opProblem(m, op);
    if (p) problems.push(p);
  }
  for (const [name, n] of unknown) problems.push(`op ${opLabel(name)} (${n}x) is not supported`);
  for (const t of [...m.inputs, ...m.outputs]) {
    const tt = m.tensors[t];
    if (tt.dtype !== 'float32') problems.push(`${m.inputs.includes(t) ? 'input' : 'output'} ${quoteUntrusted(tt.name)} is ${tt.dtype}; only float32 is supported`);
  }
  return problems;
}

export function assertSupported(m: TfliteModel): void {
  const p = tfliteProblems(m);
  if (!p.length) return;
  // As many problems as fit in MAX_PROBLEMS_CHARS (at least one, at most MAX_LISTED_PROBLEMS).
  let shown = 1;
  for (let chars = p[0].length; shown < Math.min(p.length, MAX_LISTED_PROBLEMS) && chars + p[shown].length <= MAX_PROBLEMS_CHARS; shown++) chars += p[shown].length + 2;
  const more = p.length > shown ? `; and ${p.length - shown} more (hiu inspect lists them all)` : '';
  throw new UnsupportedModelError(`${m.file}: cannot run on the engine: ${p.slice(0, shown).join('; ')}${more}`);
}
