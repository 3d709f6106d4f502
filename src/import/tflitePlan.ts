/**
 * Fusion planning for an imported TFLite subgraph: which ops become one engine dispatch.
 *
 * A CONV_2D or DEPTHWISE_CONV_2D absorbs what follows it when the intermediate has no other
 * reader: a residual ADD (the other operand becomes the kernel's residual input) and then an
 * activation (the ADD's fused one, a PRELU with constant slopes, or a RELU/RELU6 op). This is
 * the conv epilogue order: acc*scale + shift, + residual, activation. The conv's own fused
 * activation must be NONE to absorb an ADD, since TFLite would apply it before the add.
 *
 * Because the residual operand may be computed after the conv in the file's op order (the
 * shortcut branch), groups are then scheduled again: a topological order that keeps the file's
 * order where it can.
 */
import type { TfliteModel, TfliteOp } from '../weights/tflite.ts';
import { UnsupportedModelError } from './tfliteSupport.ts';

export interface OpGroup {
  /** The ops of this group, the producing op first. */
  ops: TfliteOp[];
  /** Tensor the group's result is (the last absorbed op's output). */
  output: number;
  /** The ADD's other operand, when an ADD was absorbed. */
  residual?: number;
  /** An ADD after the activation (a feature pyramid's top-down sum): its other operand, same shape. */
  addAfter?: number;
  /** The activation: from a fused option, a PRELU op, or a RELU/RELU6 op. */
  activation: { kind: 'none' | 'relu' | 'relu6' } | { kind: 'prelu'; alpha: number };
}

const CONVS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D']);

export function fusedActivation(op: TfliteOp): 'none' | 'relu' | 'relu6' | string {
  const a = op.options.fusedActivationFunction;
  if (a === undefined || a === 'NONE') return 'none';
  if (a === 'RELU') return 'relu';
  if (a === 'RELU6') return 'relu6';
  return String(a);
}

export function readers(model: TfliteModel): number[][] {
  const r: number[][] = model.tensors.map(() => []);
  for (const op of model.ops) for (const t of op.inputs) if (t >= 0 && !r[t].includes(op.index)) r[t].push(op.index);
  return r;
}

export function planGroups(model: TfliteModel): OpGroup[] {
  const rd = readers(model);
  const outputs = new Set(model.outputs);
  const isConst = (t: number) => model.tensors[t].data !== undefined;
  // op.index is the file position (folded DEQUANTIZE ops leave gaps).
  const opAt = new Map(model.ops.map((op) => [op.index, op]));
  // The single op reading t, if t is an intermediate nobody else needs.
  const absorbed = new Set<number>();
  const soleReader = (t: number): TfliteOp | undefined => {
    const op = !outputs.has(t) && rd[t].length === 1 ? opAt.get(rd[t][0]) : undefined;
    return op && !absorbed.has(op.index) ? op : undefined;
  };

  const groups: OpGroup[] = [];
  // conv -> activation -> ADD(other): conv2d's epilogue adds a same-size tensor after the activation.
  const absorbAddAfter = (g: OpGroup) => {
    const add = soleReader(g.output);
    if (add?.opcode !== 'ADD' || add.inputs.length !== 2 || fusedActivation(add) !== 'none') return;
    const other = add.inputs[0] === g.output ? add.inputs[1] : add.inputs[0];
    const same = model.tensors[other].shape.join() === model.tensors[g.output].shape.join();
    if (other === g.output || other < 0 || isConst(other) || !same) return;
    g.ops.push(add);
    absorbed.add(add.index);
    g.addAfter = other;
    g.output = add.outputs[0];
  };
  for (const op of model.ops) {
    if (absorbed.has(op.index)) continue;
    const g: OpGroup = { ops: [op], output: op.outputs[0], activation: { kind: 'none' } };
    groups.push(g);
    if (!CONVS.has(op.opcode)) continue;
    const act = fusedActivation(op);
    if (act !== 'none') {
      if (act === 'relu' || act === 'relu6') g.activation = { kind: act };
      if (op.opcode === 'CONV_2D') absorbAddAfter(g);
      continue;
    }
    let next = soleReader(g.output);
    if (next?.opcode === 'ADD' && next.inputs.length === 2) {
      const other = next.inputs[0] === g.output ? next.inputs[1] : next.inputs[0];
      const addAct = fusedActivation(next);
      if (other !== g.output && other >= 0 && !isConst(other) && (addAct === 'none' || addAct === 'relu' || addAct === 'relu6')) {
        g.ops.push(next);
        absorbed.add(next.index);
        g.residual = other;
        g.output = next.outputs[0];
        if (addAct !== 'none') {
          g.activation = { kind: addAct };
          continue;
        }
        next = soleReader(g.output);
      }
    }
    if (next && (next.opcode === 'PRELU' && next.inputs[0] === g.output && next.inputs[1] >= 0 && isConst(next.inputs[1]))) {
      g.activation = { kind: 'prelu', alpha: next.inputs[1] };
    } else if (next && (next.opcode === 'RELU' || next.opcode === 'RELU6')) {
      g.activation = { kind: next.opcode === 'RELU' ? 'relu' : 'relu6' };
    } else continue;
    g.ops.push(next);
    absorbed.add(next.index);
    g.output = next.outputs[0];
    if (op.opcode === 'CONV_2D' && g.residual === undefined) absorbAddAfter(g);
  }
  return schedule(model, groups);
}

/** Topological order of groups by their tensor inputs, earliest file position first. */
function schedule(model: TfliteModel, groups: OpGroup[]): OpGroup[] {
  const producer = new Map<number, number>();
  groups.forEach((g, i) => g.ops.forEach((op) => op.outputs.forEach((t) => producer.set(t, i))));
  const deps = groups.map((g, i) => {
    const d = new Set<number>();
    for (const op of g.ops) for (const t of op.inputs) {
      const p = t >= 0 ? producer.get(t) : undefined;
      if (p !== undefined && p !== i) d.add(p);
    }
    return d;
  });
  const done = new Set<number>();
  const order: OpGroup[] = [];
  while (order.length < groups.length) {
    const next = groups.findIndex((_, i) => !done.has(i) && [...deps[i]].every((d) => done.has(d)));
    if (next < 0) throw new UnsupportedModelError(`${model.file}: the op graph has a cycle`);
    done.add(next);
    order.push(groups[next]);
  }
  return order;
}
