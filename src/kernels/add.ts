import { pad4, ShapeError, type Graph, type Tensor } from '../engine/index.ts';
import { activationKind, ceilDiv, checkAddend, grid1d, outputTensor, place, preluSlopes, resolveActivation, type Activation } from './common.ts';
import { addWGSL } from './add.wgsl.ts';

export interface AddOptions {
  /** Applied to the sum. */
  activation?: Activation;
  out?: Tensor;
}

/**
 * Elementwise a + b, then the activation (TFLite ADD with its fused activation, when it cannot be
 * fused into the conv producing an operand). b has a's N, H, W and at most its channels: the
 * missing ones add 0 (a channel PAD on a shortcut). Output shape = a's.
 */
export function add(g: Graph, name: string, a: Tensor, b: Tensor, o: AddOptions = {}): Tensor {
  const what = `add '${name}'`;
  const y = outputTensor(g, name, 'add', o.out, a.shape);
  // A buffer cannot be bound for reading and writing in one dispatch.
  if (y.storage === a.storage || y.storage === b.storage) throw new ShapeError(`${what}: the output must not share storage with an operand`);
  checkAddend(a, b, what);
  const act = resolveActivation(o, a.channels, what);
  const slopes = preluSlopes(act);
  const wg = 64;
  const vecs = a.shape[0] * a.shape[1] * a.shape[2] * ceilDiv(a.channels, 4);
  const spec = { a, b, y, wg, act: activationKind(act) };
  g.add(name, {
    kernel: 'add',
    key: `${place(a)}+${place(b)}>${place(y)} a:${spec.act}`,
    wgsl: () => addWGSL(spec),
    workgroups: grid1d(ceilDiv(vecs, wg)),
    bindings: [
      { tensor: a, access: 'read' },
      { tensor: b, access: 'read' },
      { tensor: y, access: 'write' },
      ...(slopes ? [{ constant: g.constant(`${name}.slopes`, padSlopes(slopes)) }] : []),
    ],
    flops: vecs * 4,
    bytes: 4 * vecs * 4 * 2 + 4 * a.shape[0] * a.shape[1] * a.shape[2] * pad4(b.channels),
  });
  return y;
}

/** Slopes as vec4s with 0 in the padded lanes (so those stay 0). */
function padSlopes(s: Float32Array): Float32Array {
  const out = new Float32Array(pad4(s.length));
  out.set(s);
  return out;
}
