/**
 * TFLite subgraph -> engine Graph, generically: each op (or fused group of ops, see
 * tflitePlan.ts) becomes one kernel dispatch. The engine stays model-agnostic; this file knows
 * TFLite's semantics: NHWC tensors, OHWI conv filters, [1, kh, kw, C*M] depthwise filters,
 * SAME padding (asymmetric: the extra pixel goes after), half-pixel resize modes.
 *
 * Zero-cost ops: a channel PAD on a shortcut becomes the residual's missing channels (the conv
 * epilogue adds 0 there); RESHAPE between [N, C] and [N, 1, 1, C] is the same storage; the
 * RESHAPE + CONCATENATION of detector heads into [N, anchors, k] is done when outputs are read
 * (each head's NHWC bytes are already in anchor order), so no extra pass runs on the GPU.
 */
import { Graph, ShapeError, type Tensor, type WeightPrecision } from '../engine/index.ts';
import { add, bilinearResize, conv2d, denseChain, depthwiseConv2d, globalAvgPool, maxPool2d, sigmoid, type Activation } from '../kernels/index.ts';
import type { TfliteModel, TfliteOp } from '../weights/tflite.ts';
import { fusedActivation, planGroups, type OpGroup } from './tflitePlan.ts';
import { assertSupported, UnsupportedModelError } from './tfliteSupport.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

/** A model input or output: its TFLite shape (batch applied) and the engine tensors holding it. */
export interface TfliteIo {
  name: string;
  shape: number[];
  /** One tensor, or for a flattened output the parts whose dense NHWC data, per batch item, concatenate to it. */
  parts: Tensor[];
}

export interface ImportedModel {
  file: string;
  graph: Graph;
  batch: number;
  inputs: TfliteIo[];
  outputs: TfliteIo[];
}

export interface ImportOptions {
  /** Batch size (TFLite files say 1); every activation's first dimension becomes this. */
  batch?: number;
  /**
   * Build into this graph instead of a new one, e.g. after a preprocessing kernel, so that a
   * whole stage is one command buffer. `inputs` gives tensors for model inputs by TFLite name
   * (they must have the engine shape [batch, H, W, C]); the others become graph inputs.
   */
  graph?: Graph;
  inputs?: Record<string, Tensor>;
  /** How a new graph holds the weights (default weightPrecisionOf(model)); ignored with `graph`. */
  weightPrecision?: WeightPrecision;
}

const FILTER_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'TRANSPOSE_CONV']);

/**
 * The weight precision that holds this model's filters exactly: 'f16' when every conv,
 * depthwise and fully-connected filter was float16 in the file (MediaPipe's shipped models), so
 * keeping them f16 on the GPU loses nothing; else 'f32'.
 */
export function weightPrecisionOf(model: TfliteModel): WeightPrecision {
  const filters = model.ops.filter((op) => FILTER_OPS.has(op.opcode)).map((op) => model.tensors[op.inputs[1]]);
  return filters.length > 0 && filters.every((t) => t && (t.dtype === 'float16' || t.dequantizedFrom === 'float16')) ? 'f16' : 'f32';
}

type Value =
  /** An activation; `channels` > t.channels when a PAD appended zero channels not yet materialised. */
  | { kind: 'act'; t: Tensor; channels: number }
  /** Row-major data split over parts (RESHAPE/CONCATENATION results), only readable as an output. */
  | { kind: 'flat'; parts: Tensor[]; shape: number[] };

export function importTflite(model: TfliteModel, o: ImportOptions = {}): ImportedModel {
  assertSupported(model);
  const batch = o.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > 4096) throw new ShapeError(`${model.file}: batch ${batch} must be an integer in [1, 4096]`);
  try {
    return new Lowering(model, batch, o.graph ?? new Graph({ weightPrecision: o.weightPrecision ?? weightPrecisionOf(model) }), o.inputs ?? {}).run();
  } catch (e) {
    // A kernel's shape rule refusing a layer: the model is at fault, so the message names its file.
    if (e instanceof ShapeError && !e.message.startsWith(model.file)) throw new UnsupportedModelError(`${model.file}: cannot run on the engine: ${e.message}`);
    throw e;
  }
}

/** A constant's values for a message: short lists in full, long ones by their length. */
const listText = (a: ArrayLike<number>): string => (a.length <= 8 ? `[${Array.from(a).join(',')}]` : `${a.length} values`);

/** SAME padding as TensorFlow computes it: the odd pixel goes after. */
export function samePadding(size: number, k: number, s: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

class Lowering {
  private readonly values = new Map<number, Value>();
  private readonly usedNames = new Set<string>();

  private readonly m: TfliteModel;
  private readonly batch: number;
  private readonly g: Graph;
  private readonly given: Record<string, Tensor>;

  constructor(m: TfliteModel, batch: number, g: Graph, given: Record<string, Tensor>) {
    this.m = m;
    this.batch = batch;
    this.g = g;
    this.given = given;
    for (const n of g.nodes) this.usedNames.add(n.name);
  }

  run(): ImportedModel {
    const m = this.m;
    for (const k of Object.keys(this.given))
      if (!m.inputs.some((i) => m.tensors[i].name === k)) throw new ShapeError(`${m.file}: no input named ${quoteUntrusted(k)} (inputs: ${m.inputs.map((i) => quoteUntrusted(m.tensors[i].name)).join(', ')})`);
    const inputs = m.inputs.map((i) => {
      const given = this.given[m.tensors[i].name];
      if (given && given.shape.join() !== this.engineShape(i).join())
        throw new ShapeError(`${m.file}: input ${quoteUntrusted(m.tensors[i].name)} is given as ${quoteUntrusted(given.name)} [${given.shape}], the model needs [${this.engineShape(i)}]`);
      const t = given ?? this.g.input(this.layerName(i), this.engineShape(i));
      this.values.set(i, { kind: 'act', t, channels: t.channels });
      return { name: m.tensors[i].name, shape: this.tfShape(i), parts: [t] };
    });
    for (const group of planGroups(m)) this.lower(group);
    const outputs = m.outputs.map((i) => {
      const v = this.value(i, 'model output');
      const parts = v.kind === 'flat' ? v.parts : [this.materialise(v, m.tensors[i].name.split(';')[0])];
      for (const p of parts) if (!this.g.outputs.has(p)) this.g.output(p);
      return { name: m.tensors[i].name, shape: this.tfShape(i), parts };
    });
    return { file: m.file, graph: this.g, batch: this.batch, inputs, outputs };
  }

  // ---- tensors and names --------------------------------------------------------------------

  private tfShape(i: number): number[] {
    const s = [...this.m.tensors[i].shape];
    if (s.length > 0) s[0] = s[0] === 1 ? this.batch : s[0];
    return s;
  }

  /** TFLite activation shape -> the engine's [N, H, W, C]. */
  private engineShape(i: number): [number, number, number, number] {
    const s = this.tfShape(i);
    const t = this.m.tensors[i];
    if (s.length === 4) return s as [number, number, number, number];
    if (s.length === 2) return [s[0], 1, 1, s[1]];
    if (s.length === 3) return [s[0], 1, s[1], s[2]];
    throw new UnsupportedModelError(`${this.m.file}: tensor ${quoteUntrusted(t.name)} has rank ${s.length} [${s}]; activations of rank 2-4 are supported`);
  }

  /** Layer name from a TFLite tensor name ('model/conv2d_3/Conv2D;...' -> 'model.conv2d_3.Conv2D'), unique. */
  private layerName(i: number): string {
    return this.unique(this.m.tensors[i].name.split(';')[0], `t${i}`);
  }

  private unique(raw: string, fallback: string): string {
    const base = raw.replace(/[^A-Za-z0-9_./#-]+/g, '_').replace(/\//g, '.').replace(/^\.+|\.+$/g, '') || fallback;
    let name = base;
    for (let k = 2; this.usedNames.has(name); k++) name = `${base}#${k}`;
    this.usedNames.add(name);
    return name;
  }

  private value(i: number, what: string): Value {
    const v = this.values.get(i);
    if (!v) throw new UnsupportedModelError(`${this.m.file}: ${what} reads ${quoteUntrusted(this.m.tensors[i]?.name ?? i)}, which no op produces and is not a constant`);
    return v;
  }

  private constant(i: number, what: string): Float32Array | Int32Array {
    const d = i >= 0 ? this.m.tensors[i].data : undefined;
    if (!d) throw new UnsupportedModelError(`${this.m.file}: ${what} needs a constant at input tensor ${i} (${quoteUntrusted(this.m.tensors[i]?.name ?? '-')})`);
    // The reader guarantees this for a file; a model object built by hand might not hold to it.
    const shape = this.m.tensors[i].shape;
    if (d.length !== shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`${this.m.file}: ${what}: constant ${quoteUntrusted(this.m.tensors[i].name)} holds ${d.length} values, its shape [${shape}] needs ${shape.reduce((a, b) => a * b, 1)}`);
    return d;
  }

  /** An int32 constant (paddings, sizes, axes). */
  private ints(i: number, what: string): Int32Array {
    const d = this.constant(i, what);
    if (!(d instanceof Int32Array)) throw new UnsupportedModelError(`${this.m.file}: ${what}: ${quoteUntrusted(this.m.tensors[i].name)} is ${this.m.tensors[i].dtype}, expected int32`);
    return d;
  }

  private floats(i: number, what: string): Float32Array {
    const d = this.constant(i, what);
    return d instanceof Float32Array ? d : Float32Array.from(d);
  }

  /** An activation input as a real tensor (zero channels from a PAD written out if needed). */
  private act(i: number, what: string): Tensor {
    const v = this.value(i, what);
    if (v.kind === 'flat') throw new UnsupportedModelError(`${this.m.file}: ${what} reads ${quoteUntrusted(this.m.tensors[i].name)}, a reshaped [${v.shape}] tensor; only outputs may be reshaped that way`);
    return this.materialise(v, `${this.m.tensors[i].name}.pad`);
  }

  private materialise(v: Value, name: string): Tensor {
    if (v.kind === 'flat') throw new UnsupportedModelError(`${this.m.file}: ${quoteUntrusted(name)} is a reshaped tensor and cannot be used here`);
    if (v.channels === v.t.channels) return v.t;
    // An identity 1x1 conv into the wider tensor: the rare PAD whose result is not a shortcut.
    const ci = v.t.channels;
    const co = v.channels;
    const w = new Float32Array(co * ci);
    for (let c = 0; c < ci; c++) w[c * ci + c] = 1;
    return conv2d(this.g, this.unique(name, 'pad'), v.t, { weight: w, outChannels: co, kernel: 1 });
  }

  private set(i: number, t: Tensor, what: string): void {
    const want = this.engineShape(i);
    if (t.shape.join() !== want.join())
      throw new ShapeError(`${this.m.file}: ${what} computes [${t.shape}] for ${quoteUntrusted(this.m.tensors[i].name)}, the file says [${this.tfShape(i)}] (engine [${want}])`);
    this.values.set(i, { kind: 'act', t, channels: t.channels });
  }

  private activation(group: OpGroup, channels: number): Activation {
    const a = group.activation;
    if (a.kind !== 'prelu') return a.kind;
    const alpha = this.floats(a.alpha, 'PRELU');
    if (alpha.length === channels) return { prelu: alpha };
    if (alpha.length === 1) return { prelu: new Float32Array(channels).fill(alpha[0]) };
    throw new UnsupportedModelError(`${this.m.file}: PRELU slopes ${quoteUntrusted(this.m.tensors[a.alpha].name)} have ${alpha.length} values for ${channels} channels (per-channel or one shared slope is supported)`);
  }

  // ---- ops ----------------------------------------------------------------------------------

  private lower(group: OpGroup): void {
    const op = group.ops[0];
    const out = group.output;
    // Ops that dispatch nothing reserve no layer name (a later materialisation may take it).
    const free = op.opcode === 'PAD' || op.opcode === 'RESHAPE' || op.opcode === 'CONCATENATION';
    const name = free ? this.m.tensors[out].name.split(';')[0] : this.layerName(out);
    const what = `op ${op.index} ${op.opcode} ${quoteUntrusted(name)}`;
    const o = op.options;
    switch (op.opcode) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D':
        return this.set(out, this.conv(group, name, what), what);
      case 'ADD': {
        const [a, b] = op.inputs.map((i) => this.value(i, what));
        if (a.kind !== 'act' || b.kind !== 'act') throw new UnsupportedModelError(`${this.m.file}: ${what}: operands must be activations`);
        const [wide, narrow] = a.channels >= b.channels ? [a, b] : [b, a];
        const act = fusedActivation(op) as 'none' | 'relu' | 'relu6';
        return this.set(out, add(this.g, name, this.materialise(wide, `${name}.a`), narrow.t, { activation: act }), what);
      }
      case 'PRELU':
      case 'RELU':
      case 'RELU6': {
        // Not fused into a producer: a 1x1 depthwise identity with the activation as epilogue.
        const x = this.act(op.inputs[0], what);
        const c = x.channels;
        const activation: Activation = op.opcode === 'PRELU'
          ? this.activation({ ...group, activation: { kind: 'prelu', alpha: op.inputs[1] } }, c)
          : op.opcode === 'RELU' ? 'relu' : 'relu6';
        return this.set(out, depthwiseConv2d(this.g, name, x, { weight: new Float32Array(c).fill(1), kernel: 1, activation }), what);
      }
      case 'MAX_POOL_2D': {
        const x = this.act(op.inputs[0], what);
        const [kh, kw, sh, sw] = [Number(o.filterHeight), Number(o.filterWidth), Number(o.strideH), Number(o.strideW)];
        return this.set(out, maxPool2d(this.g, name, x, { kernel: [kh, kw], stride: [sh, sw], padding: this.padding(o.padding, x, kh, kw, sh, sw) }), what);
      }
      case 'PAD': {
        const v = this.value(op.inputs[0], what);
        const p = this.ints(op.inputs[1], what);
        const rank = this.m.tensors[op.inputs[0]].shape.length;
        if (v.kind !== 'act' || rank !== 4 || p.length !== 8 || [0, 1, 2, 3, 4, 5, 6].some((k) => p[k] !== 0) || p[7] < 0)
          throw new UnsupportedModelError(`${this.m.file}: ${what}: only appending zero channels to a 4-D tensor is supported (paddings ${listText(p)})`);
        this.values.set(out, { kind: 'act', t: v.t, channels: v.channels + p[7] });
        const want = this.engineShape(out);
        if (want[3] !== v.channels + p[7]) throw new ShapeError(`${this.m.file}: ${what}: padded to ${v.channels + p[7]} channels, the file says [${this.tfShape(out)}]`);
        return;
      }
      case 'RESIZE_BILINEAR': {
        const x = this.act(op.inputs[0], what);
        const size = this.ints(op.inputs[1], what);
        if (size.length !== 2) throw new UnsupportedModelError(`${this.m.file}: ${what}: size has ${size.length} values, expected 2`);
        const coordinates = o.alignCorners ? 'alignCorners' : o.halfPixelCenters ? 'halfPixel' : 'asymmetric';
        return this.set(out, bilinearResize(this.g, name, x, { height: size[0], width: size[1], alignCorners: !!o.alignCorners, coordinates }), what);
      }
      case 'RESHAPE':
        return this.reshape(op, out, what);
      case 'CONCATENATION':
        return this.concat(op, out, what);
      case 'MEAN': {
        const x = this.act(op.inputs[0], what);
        const axes = Array.from(this.ints(op.inputs[1], what)).map((a) => (a < 0 ? a + 4 : a)).sort();
        if (axes.join() !== '1,2') throw new UnsupportedModelError(`${this.m.file}: ${what}: MEAN over axes ${listText(axes)}; only the spatial mean (axes 1, 2 of NHWC) is supported`);
        return this.set(out, globalAvgPool(this.g, name, x), what);
      }
      case 'FULLY_CONNECTED': {
        const x = this.act(op.inputs[0], what);
        const w = this.floats(op.inputs[1], what);
        const bias = op.inputs[2] >= 0 ? this.floats(op.inputs[2], what) : undefined;
        const act = fusedActivation(op);
        if (x.shape[1] !== 1 || x.shape[2] !== 1) throw new UnsupportedModelError(`${this.m.file}: ${what}: input [${x.shape}] is a spatial map; FULLY_CONNECTED on [N, C] is supported`);
        if (act === 'relu6') throw new UnsupportedModelError(`${this.m.file}: ${what}: RELU6 after FULLY_CONNECTED is not supported`);
        if (w.length % x.channels !== 0) throw new ShapeError(`${this.m.file}: ${what}: weights have ${w.length} values, not a multiple of the ${x.channels} inputs`);
        return this.set(out, denseChain(this.g, name, x, [{ weight: w, bias, relu: act === 'relu' }]), what);
      }
      case 'LOGISTIC':
        return this.set(out, sigmoid(this.g, name, this.act(op.inputs[0], what)), what);
      default:
        throw new UnsupportedModelError(`${this.m.file}: ${what} is not supported`);
    }
  }

  private padding(mode: unknown, x: Tensor, kh: number, kw: number, sh: number, sw: number) {
    if (mode === 'VALID') return 0;
    if (mode !== 'SAME') throw new UnsupportedModelError(`${this.m.file}: padding ${quoteUntrusted(String(mode))} (SAME or VALID expected)`);
    const [top, bottom] = samePadding(x.shape[1], kh, sh);
    const [left, right] = samePadding(x.shape[2], kw, sw);
    return { top, bottom, left, right };
  }

  private conv(group: OpGroup, name: string, what: string): Tensor {
    const op = group.ops[0];
    const o = op.options;
    const x = this.act(op.inputs[0], what);
    const f = this.m.tensors[op.inputs[1]];
    const filter = this.floats(op.inputs[1], what);
    const bias = op.inputs[2] >= 0 ? this.floats(op.inputs[2], what) : undefined;
    if (f.shape.length !== 4) throw new ShapeError(`${this.m.file}: ${what}: filter ${quoteUntrusted(f.name)} is [${f.shape}], expected rank 4`);
    const [sh, sw] = [Number(o.strideH), Number(o.strideW)];
    let residual: Tensor | undefined;
    if (group.residual !== undefined) {
      const r = this.value(group.residual, what);
      if (r.kind !== 'act') throw new UnsupportedModelError(`${this.m.file}: ${what}: residual is a reshaped tensor`);
      residual = r.t;
    }
    if (op.opcode === 'CONV_2D') {
      const [co, kh, kw, ci] = f.shape;
      if (ci !== x.channels) throw new ShapeError(`${this.m.file}: ${what}: filter ${quoteUntrusted(f.name)} [${f.shape}] takes ${ci} channels, input has ${x.channels}`);
      const weight = new Float32Array(co * ci * kh * kw);
      // OHWI -> OIHW (the kernel's PyTorch order).
      for (let a = 0; a < co; a++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) for (let c = 0; c < ci; c++)
        weight[((a * ci + c) * kh + y) * kw + z] = filter[((a * kh + y) * kw + z) * ci + c];
      return conv2d(this.g, name, x, {
        weight, outChannels: co, kernel: [kh, kw], stride: [sh, sw], padding: this.padding(o.padding, x, kh, kw, sh, sw),
        bias, residual, activation: this.activation(group, co),
        // A same-size 'upsample' is an exact copy (weights 1 and 0): the add after the activation.
        upsampleAdd: group.addAfter !== undefined ? { tensor: this.act(group.addAfter, what), alignCorners: true } : undefined,
      });
    }
    const [one, kh, kw, cm] = f.shape;
    const mult = cm / x.channels;
    if (one !== 1 || !Number.isInteger(mult) || (o.depthMultiplier !== undefined && Number(o.depthMultiplier) !== mult && Number(o.depthMultiplier) !== 0))
      throw new ShapeError(`${this.m.file}: ${what}: depthwise filter ${quoteUntrusted(f.name)} [${f.shape}] does not fit ${x.channels} input channels (multiplier ${o.depthMultiplier})`);
    // [1, kh, kw, C*M] -> [C*M, 1, kh, kw].
    const weight = new Float32Array(cm * kh * kw);
    for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) for (let c = 0; c < cm; c++) weight[(c * kh + y) * kw + z] = filter[(y * kw + z) * cm + c];
    return depthwiseConv2d(this.g, name, x, {
      weight, kernel: [kh, kw], stride: [sh, sw], padding: this.padding(o.padding, x, kh, kw, sh, sw), depthMultiplier: mult,
      bias, residual, activation: this.activation(group, cm),
    });
  }

  private reshape(op: TfliteOp, out: number, what: string): void {
    const v = this.value(op.inputs[0], what);
    const shape = this.tfShape(out);
    const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    if (v.kind === 'flat') {
      if (count(v.shape) !== count(shape)) throw new ShapeError(`${this.m.file}: ${what}: [${v.shape}] cannot become [${shape}]`);
      this.values.set(out, { kind: 'flat', parts: v.parts, shape });
      return;
    }
    const t = this.materialise(v, `${this.m.tensors[op.inputs[0]].name}.pad`);
    if (count(t.shape) !== count(shape)) throw new ShapeError(`${this.m.file}: ${what}: [${t.shape}] (${count(t.shape)} values) cannot become [${shape}]`);
    const e = shape.length >= 2 && shape.length <= 4 ? this.engineShape(out) : undefined;
    // [N, C] <-> [N, 1, 1, C] is the same storage; any other reshape is row-major data for an output.
    if (e && e.join() === t.shape.join()) this.values.set(out, { kind: 'act', t, channels: t.channels });
    else this.values.set(out, { kind: 'flat', parts: [t], shape });
  }

  private concat(op: TfliteOp, out: number, what: string): void {
    const shape = this.tfShape(out);
    const axis = Number(op.options.axis) < 0 ? Number(op.options.axis) + shape.length : Number(op.options.axis);
    if (fusedActivation(op) !== 'none') throw new UnsupportedModelError(`${this.m.file}: ${what}: fused activation on CONCATENATION is not supported`);
    // Row-major concatenation along axis 1 is, per batch item, the inputs' data one after another.
    if (axis !== 1 || shape.length < 2) throw new UnsupportedModelError(`${this.m.file}: ${what}: concatenation along axis ${axis} of [${shape}] is not supported (axis 1 is)`);
    const parts: Tensor[] = [];
    for (const i of op.inputs) {
      const v = this.value(i, what);
      if (v.kind === 'flat') parts.push(...v.parts);
      else parts.push(this.materialise(v, `${this.m.tensors[i].name}.pad`));
    }
    this.values.set(out, { kind: 'flat', parts, shape });
  }
}
