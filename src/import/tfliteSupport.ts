/**
 * What the importer can run: the ops, options and dtypes it lowers to engine kernels. One list
 * of every problem, so a user sees all of what a file needs at once (`hiu inspect`, and the
 * error `importTflite` throws).
 */
import type { TfliteModel, TfliteOp } from '../weights/tflite.ts';
import { fusedActivation } from './tflitePlan.ts';

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

function opProblem(m: TfliteModel, op: TfliteOp): string | undefined {
  const o = op.options;
  const where = `op ${op.index} ${op.opcode} ('${m.tensors[op.outputs[0]]?.name ?? '?'}')`;
  if (!(SUPPORTED_OPS as readonly string[]).includes(op.opcode)) return undefined; // counted separately
  const act = fusedActivation(op);
  if (!OK_ACT.has(act)) return `${where}: fused activation ${act} is not supported (NONE, RELU, RELU6 are)`;
  if ((op.opcode === 'CONV_2D' || op.opcode === 'DEPTHWISE_CONV_2D') && ((o.dilationWFactor ?? 1) !== 1 || (o.dilationHFactor ?? 1) !== 1))
    return `${where}: dilation ${o.dilationHFactor}x${o.dilationWFactor} is not supported`;
  if (op.opcode === 'MAX_POOL_2D' && act !== 'none') return `${where}: fused activation on a pool is not supported`;
  for (const t of op.inputs) {
    if (t < 0) continue;
    const tt = m.tensors[t];
    if (tt.data === undefined && tt.dtype !== 'float32') return `${where}: input '${tt.name}' is ${tt.dtype}; only float32 activations run`;
    if (tt.quantized) return `${where}: input '${tt.name}' is quantized (int8/uint8 quantisation is not supported)`;
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
  for (const [name, n] of unknown) problems.push(`op ${name} (${n}x) is not supported`);
  for (const t of [...m.inputs, ...m.outputs]) {
    const tt = m.tensors[t];
    if (tt.dtype !== 'float32') problems.push(`${m.inputs.includes(t) ? 'input' : 'output'} '${tt.name}' is ${tt.dtype}; only float32 is supported`);
  }
  return problems;
}

export function assertSupported(m: TfliteModel): void {
  const p = tfliteProblems(m);
  if (p.length) throw new UnsupportedModelError(`${m.file}: cannot run on the engine: ${p.join('; ')}`);
}
