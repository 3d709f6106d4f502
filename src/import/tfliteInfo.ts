/** What `hiu inspect` prints: a TFLite model's interface, op counts, size and cost, and support. */
import { opLabel, type TfliteModel } from '../weights/tflite.ts';
import { importTflite } from './tflite.ts';
import { tfliteProblems } from './tfliteSupport.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

export interface TfliteSummary {
  file: string;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  /** Op name -> count, in order of first appearance. */
  ops: Map<string, number>;
  /** Float weights (constants), in values. */
  params: number;
  /** Multiply-adds of one inference (convolutions and fully connected layers). */
  macs: number;
  /** Constants stored as float16 and expanded at load (DEQUANTIZE folded). */
  dequantized: number;
  /** Engine dispatches of one inference (fused groups), when supported. */
  dispatches?: number;
  /** Empty when the engine runs everything. */
  problems: string[];
}

export function describeTflite(m: TfliteModel): TfliteSummary {
  const io = (i: number) => ({ name: m.tensors[i].name, shape: [...m.tensors[i].shape], dtype: String(m.tensors[i].dtype) });
  const ops = new Map<string, number>();
  let macs = 0;
  for (const op of m.ops) {
    ops.set(op.opcode, (ops.get(op.opcode) ?? 0) + 1);
    const out = m.tensors[op.outputs[0]]?.shape ?? [];
    const f = m.tensors[op.inputs[1]]?.shape ?? [];
    const pixels = out.length === 4 ? out[1] * out[2] : 1;
    if (op.opcode === 'CONV_2D' && f.length === 4) macs += pixels * f[0] * f[1] * f[2] * f[3];
    else if (op.opcode === 'DEPTHWISE_CONV_2D' && f.length === 4) macs += pixels * f[1] * f[2] * f[3];
    else if (op.opcode === 'FULLY_CONNECTED' && f.length === 2) macs += f[0] * f[1];
  }
  // Weights the ops read, each array once (tensors may share a buffer; folded f16 originals are unread).
  const weights = new Set<Float32Array>();
  for (const op of m.ops) for (const i of op.inputs) if (i >= 0 && m.tensors[i].data instanceof Float32Array) weights.add(m.tensors[i].data as Float32Array);
  const params = [...weights].reduce((s, d) => s + d.length, 0);
  const problems = tfliteProblems(m);
  // Building the graph needs no GPU; it also proves the shapes fit together.
  let dispatches: number | undefined;
  if (!problems.length) {
    try {
      dispatches = importTflite(m).graph.nodes.length;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const dequantized = m.tensors.filter((t) => t.dequantizedFrom).length;
  return { file: m.file, inputs: m.inputs.map(io), outputs: m.outputs.map(io), ops, params, macs, dequantized, dispatches, problems };
}

export function formatSummary(s: TfliteSummary): string {
  // Names from the file are escaped only when they need it (plain names print as they are).
  const shown = (name: string) => (/^[\w./;:#+-]{1,200}$/.test(name) ? name : quoteUntrusted(name, 200));
  const shape = (x: { name: string; shape: number[]; dtype: string }) => `  ${shown(x.name)} [${x.shape.join(', ')}] ${x.dtype}`;
  const lines = [
    s.file,
    'inputs:', ...s.inputs.map(shape),
    'outputs:', ...s.outputs.map(shape),
    'ops:', ...[...s.ops].map(([k, n]) => `  ${opLabel(k).padEnd(22)} ${n}`),
    `params: ${(s.params / 1e6).toFixed(3)} M`,
    `MACs: ${(s.macs / 1e6).toFixed(1)} M`,
    `float16 weights expanded at load (DEQUANTIZE folded): ${s.dequantized}`,
    s.problems.length
      ? `engine: NOT supported:\n${s.problems.map((p) => `  - ${p}`).join('\n')}`
      : `engine: supported, ${s.dispatches} dispatches (every op a WGSL kernel, fused where possible)`,
  ];
  return lines.join('\n');
}
