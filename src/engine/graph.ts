import { ShapeError } from './errors.ts';
import { checkShape, pad4, storageBytes, type TensorInfo } from './tensor.ts';
import { packF16Pairs } from '../util/f16.ts';

/** A tensor in a graph: an activation (input, intermediate, output) or a view into one. */
export class Tensor implements TensorInfo {
  readonly dtype = 'f32' as const;
  readonly layout = 'nhwc4' as const;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly shape: readonly [number, number, number, number],
    /** The tensor whose storage this one lives in (itself unless a channel view). */
    readonly root: Tensor | null,
    /** First channel of this view inside the root; a multiple of 4. */
    readonly channelOffset: number,
  ) {}
  get storage(): Tensor {
    return this.root ?? this;
  }
  /** Channel stride of the storage, in vec4 units. */
  get c4Stride(): number {
    return pad4(this.storage.shape[3]) / 4;
  }
  get c4Offset(): number {
    return this.channelOffset / 4;
  }
  get channels(): number {
    return this.shape[3];
  }
}

/**
 * How a graph's weights sit in GPU memory: 'f32', or 'f16' pairs packed in u32 words (half the
 * bytes; kernels widen them with unpack2x16float, so no shader-f16 is needed and math stays f32).
 */
export type WeightPrecision = 'f32' | 'f16';

/** What a constant holds, for memory reports: layer weights, or other data (scale/shift, tables). */
export type ConstantKind = 'weights' | 'constants';

/** Read-only weights or other data uploaded once. */
export class Constant {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly data: Float32Array | Uint32Array,
    readonly kind: ConstantKind = 'constants',
    /** 'f16': data holds f16 pairs packed in u32 words (see Graph.weights). */
    readonly dtype: WeightPrecision = 'f32',
  ) {}
}

export interface GraphOptions {
  /** How `weights()` stores layer weights on the GPU (default 'f32'). */
  weightPrecision?: WeightPrecision;
}

export type Binding =
  | { tensor: Tensor; access: 'read' | 'write' }
  | { constant: Constant };

/** One compute dispatch: what a kernel wrapper in src/kernels adds to a graph. */
export interface Dispatch {
  /** Kernel family, e.g. 'conv2d'. */
  kernel: string;
  /** Specialisation key: equal keys must mean equal WGSL. */
  key: string;
  /** WGSL source, generated only on a pipeline-cache miss. */
  wgsl: () => string;
  workgroups: [number, number, number];
  /** Bound to @group(0) @binding(i) in this order. */
  bindings: Binding[];
  /**
   * Shape values the WGSL reads from a uniform struct rather than baking in (raw 32-bit words,
   * bound after `bindings`), so layers that differ only in shape share one pipeline.
   */
  params?: Uint32Array;
  /** Floating-point operations (2 per multiply-add) and bytes moved, for the profiler. */
  flops: number;
  bytes: number;
  /** This implementation's name when the op offers several (e.g. conv2d 'blocked'). */
  variant?: string;
  /**
   * Other implementations of the same op on the same bindings (each with its own variant name);
   * the engine may run one of them instead, picked by measurement or forced (see VariantPolicy).
   */
  alternatives?: Dispatch[];
}

export interface Node extends Dispatch {
  /** Layer name, e.g. 'stack3.hm_dec.upsample1.conv0'; shown in labels and profiles. */
  name: string;
  index: number;
}

/**
 * A straight-line graph of dispatches. Order of `add` calls is execution order; kernels read
 * tensors earlier nodes wrote. Kernel wrappers (src/kernels) add nodes; the engine plans memory
 * and runs it.
 */
export class Graph {
  readonly tensors: Tensor[] = [];
  readonly constants: Constant[] = [];
  readonly nodes: Node[] = [];
  readonly inputs = new Set<Tensor>();
  readonly outputs = new Set<Tensor>();
  private names = new Set<string>();
  private scopes: string[] = [];
  readonly weightPrecision: WeightPrecision;

  constructor(o: GraphOptions = {}) {
    const p = o.weightPrecision ?? 'f32';
    if (p !== 'f32' && p !== 'f16') throw new ShapeError(`graph: weightPrecision must be 'f32' or 'f16', got '${String(p)}'`);
    this.weightPrecision = p;
  }

  /** Prefixes layer names added inside `fn` with `name.`; nests. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private qualified(name: string): string {
    return [...this.scopes, name].join('.');
  }

  tensor(name: string, shape: readonly number[]): Tensor {
    checkShape(shape, `tensor '${name}'`);
    const t = new Tensor(this.tensors.length, this.qualified(name), [...shape] as [number, number, number, number], null, 0);
    this.tensors.push(t);
    return t;
  }

  input(name: string, shape: readonly number[]): Tensor {
    const t = this.tensor(name, shape);
    this.inputs.add(t);
    return t;
  }

  output(t: Tensor): Tensor {
    if (t.root) throw new ShapeError(`graph output '${t.name}' must be a whole tensor, not a channel view`);
    this.outputs.add(t);
    return t;
  }

  /** A view of channels [offset, offset + channels) of `parent`: writing it is a free concat. */
  channelView(parent: Tensor, offset: number, channels: number, name = `${parent.name}[${offset}:${offset + channels}]`): Tensor {
    const root = parent.storage;
    const abs = parent.channelOffset + offset;
    if (abs % 4 !== 0) throw new ShapeError(`channel view '${name}': offset ${abs} must be a multiple of 4`);
    if (offset < 0 || channels < 1 || offset + channels > parent.channels)
      throw new ShapeError(`channel view '${name}': [${offset}, ${offset + channels}) is outside ${parent.channels} channels`);
    if (channels % 4 !== 0 && abs + channels !== root.channels)
      throw new ShapeError(`channel view '${name}': ${channels} channels must be a multiple of 4 unless the view ends the tensor`);
    const [n, h, w] = root.shape;
    const t = new Tensor(this.tensors.length, name, [n, h, w, channels], root, abs);
    this.tensors.push(t);
    return t;
  }

  constant(name: string, data: Float32Array | Uint32Array): Constant {
    const c = new Constant(this.constants.length, this.qualified(name), data);
    this.constants.push(c);
    return c;
  }

  /**
   * A layer's (already packed) weights, stored at the graph's weightPrecision: as is for 'f32',
   * rounded to f16 pairs in u32 words for 'f16' (a value beyond the f16 range is an error naming
   * the constant). Kernels read them through weightBufferWGSL.
   */
  weights(name: string, data: Float32Array): Constant {
    const q = this.qualified(name);
    const f16 = this.weightPrecision === 'f16';
    const c = new Constant(this.constants.length, q, f16 ? packF16Pairs(data, `weights '${q}'`) : data, 'weights', this.weightPrecision);
    this.constants.push(c);
    return c;
  }

  add(name: string, d: Dispatch): Node {
    const q = this.qualified(name);
    if (this.names.has(q)) throw new ShapeError(`duplicate layer name '${q}'`);
    this.names.add(q);
    const node: Node = { ...d, name: q, index: this.nodes.length };
    this.nodes.push(node);
    return node;
  }

  /** Sum of every activation's bytes if nothing shared memory. */
  activationBytes(): number {
    return this.tensors.filter((t) => !t.root).reduce((s, t) => s + storageBytes(t.shape), 0);
  }
}
