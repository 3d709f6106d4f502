/** Reads named tensors for graph building, folds BatchNorm, and reshapes conv weights. */
import { ShapeError } from '../engine/index.ts';

export interface NamedTensor {
  shape: readonly number[];
  data: Float32Array;
}

export type TensorLookup = ReadonlyMap<string, NamedTensor>;

export class Params {
  constructor(
    private readonly tensors: TensorLookup,
    private readonly what: string,
  ) {}

  get(key: string, shape?: readonly number[]): Float32Array {
    const t = this.tensors.get(key);
    if (!t) throw new ShapeError(`${this.what}: missing tensor '${key}'`);
    if (shape && t.shape.join() !== shape.join())
      throw new ShapeError(`${this.what}: tensor '${key}' has shape [${t.shape}], expected [${shape}]`);
    return t.data;
  }

  shape(key: string): readonly number[] {
    const t = this.tensors.get(key);
    if (!t) throw new ShapeError(`${this.what}: missing tensor '${key}'`);
    return t.shape;
  }

  /** Eval-mode BatchNorm as y = x * scale + shift (folded in float64). */
  bn(prefix: string, c: number, eps = 1e-5): { scale: Float32Array; shift: Float32Array } {
    const g = this.get(`${prefix}.weight`, [c]);
    const b = this.get(`${prefix}.bias`, [c]);
    const m = this.get(`${prefix}.running_mean`, [c]);
    const v = this.get(`${prefix}.running_var`, [c]);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const s = g[i] / Math.sqrt(v[i] + eps);
      scale[i] = s;
      shift[i] = b[i] - m[i] * s;
    }
    return { scale, shift };
  }
}

/**
 * AvgPool(k=s, stride=s) followed by a 1x1 conv equals one s x s, stride-s conv whose taps
 * are all w / s^2 (both floor the output size the same way), so the shortcut costs one dispatch.
 */
export function poolConvWeight(w: Float32Array, cout: number, cin: number, s: number): Float32Array {
  const out = new Float32Array(cout * cin * s * s);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++) out.fill(w[o * cin + i] / (s * s), (o * cin + i) * s * s, (o * cin + i + 1) * s * s);
  return out;
}

/** 1x1 conv weights [c, c, 1, 1] that copy their input (an identity shortcut made explicit). */
export function identityWeight(c: number): Float32Array {
  const out = new Float32Array(c * c);
  for (let i = 0; i < c; i++) out[i * c + i] = 1;
  return out;
}

/** Inserts `count` zero input channels at `at` (a tensor padded so a concat lands on a vec4 boundary). */
export function insertZeroInputs(w: Float32Array, cout: number, cin: number, kk: number, at: number, count: number): Float32Array {
  if (count === 0) return w;
  const cn = cin + count;
  const out = new Float32Array(cout * cn * kk);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++) {
      const j = i < at ? i : i + count;
      out.set(w.subarray((o * cin + i) * kk, (o * cin + i + 1) * kk), (o * cn + j) * kk);
    }
  return out;
}

/** Appends zero output channels (weights, and zero scale/shift) so an output is `cout + count` wide. */
export function padOutputs(w: Float32Array, count: number, perOut: number): Float32Array {
  if (count === 0) return w;
  const out = new Float32Array(w.length + count * perOut);
  out.set(w);
  return out;
}

export function padVec(v: Float32Array, count: number): Float32Array {
  if (count === 0) return v;
  const out = new Float32Array(v.length + count);
  out.set(v);
  return out;
}
