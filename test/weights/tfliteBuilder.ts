/**
 * Synthetic .tflite files for tests, written with TensorFlow Lite's schema.fbs field ids.
 * The real MediaPipe models check the reader against Google's writer; these cover what they lack.
 */
import { FlatBufferBuilder, type Field, type Ref } from './flatbufferBuilder.ts';

/** BuiltinOperator codes (schema.fbs). */
export const OP = {
  ADD: 0, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9, LOGISTIC: 14,
  MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, RESIZE_BILINEAR: 23, SOFTMAX: 25, PAD: 34, MEAN: 40, PRELU: 54,
} as const;
/** BuiltinOptions union indices. */
export const OPTIONS = { Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, FullyConnected: 8, Softmax: 9, Concatenation: 10, Add: 11, ResizeBilinear: 15, Reshape: 17, Pad: 22, Reducer: 27 } as const;
export const TYPE = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT8: 9 } as const;
export const PAD = { SAME: 0, VALID: 1 } as const;
export const ACT = { NONE: 0, RELU: 1, RELU6: 3, TANH: 4 } as const;

export interface BTensor {
  name: string;
  shape: number[];
  type?: number;
  /** Raw little-endian bytes of a constant. */
  data?: Uint8Array;
  /** Attach quantization parameters (scale 0.5, zero point 0). */
  quantized?: boolean;
  /** The tensor's own buffer holds Buffer.offset/size (data outside the FlatBuffer) instead of data. */
  external?: { offset: number; size: number };
  /** Write this buffer index as-is (it may be out of range) instead of giving the tensor its own buffer. */
  buffer?: number;
}

export interface BOp {
  code: number;
  inputs: number[];
  outputs: number[];
  optionsType?: number;
  /** Fields of the options table: [field id, scalar type, value] or [field id, 'i32[]', values]. */
  options?: ([number, 'u8' | 'i8' | 'i32' | 'f32', number] | [number, 'i32[]', number[]])[];
  /** OperatorCode.custom_code (with code 32, CUSTOM). */
  custom?: string;
  /** Write this opcode_index as-is (it may be out of range) instead of the index of `code`. */
  opcodeIndex?: number;
}

export interface BModel {
  tensors: BTensor[];
  ops: BOp[];
  inputs: number[];
  outputs: number[];
  /** Adds empty extra subgraphs (the reader supports subgraph 0 only). */
  extraSubgraphs?: number;
  version?: number;
  /** Model.description; 'synthetic test model' by default. */
  description?: string;
}

export const f32Bytes = (v: ArrayLike<number>) => new Uint8Array(Float32Array.from(v).buffer);
export const i32Bytes = (v: ArrayLike<number>) => new Uint8Array(Int32Array.from(v).buffer);

export function buildTflite(m: BModel): Uint8Array {
  const b = new FlatBufferBuilder();
  // Buffer 0 is the empty sentinel; constant tensor i gets its own buffer.
  const bufferIndex: number[] = [];
  const bufferData: (Pick<BTensor, 'data' | 'external'> | null)[] = [null];
  for (const t of m.tensors) {
    const own = t.buffer === undefined && (t.data || t.external);
    bufferIndex.push(t.buffer ?? (own ? bufferData.length : 0));
    if (own) bufferData.push(t);
  }
  const buffers = bufferData.map((d) => b.table(
    d?.external ? [{ id: 1, type: 'u64', value: d.external.offset }, { id: 2, type: 'u64', value: d.external.size }]
      : d?.data ? [{ id: 0, ref: b.vector('u8', d.data) }] : []));
  const tensors = m.tensors.map((t, i) => {
    const fields: Field[] = [
      { id: 0, ref: b.vector('i32', t.shape) },
      { id: 1, type: 'i8', value: t.type ?? TYPE.FLOAT32 },
      { id: 2, type: 'u32', value: bufferIndex[i] },
      { id: 3, ref: b.string(t.name) },
    ];
    if (t.quantized) fields.push({ id: 4, ref: b.table([{ id: 2, ref: b.vector('f32', [0.5]) }, { id: 3, ref: b.vector('u64', [0]) }]) });
    return b.table(fields);
  });
  // One OperatorCode per distinct (code, custom_code), in order of first use.
  const codeKey = (o: BOp) => (o.custom === undefined ? `${o.code}` : `${o.code}:${o.custom}`);
  const codeOps = new Map<string, BOp>();
  for (const o of m.ops) if (!codeOps.has(codeKey(o))) codeOps.set(codeKey(o), o);
  const codes = [...codeOps.keys()];
  const ops = m.ops.map((o) => {
    const fields: Field[] = [
      { id: 0, type: 'u32', value: o.opcodeIndex ?? codes.indexOf(codeKey(o)) },
      { id: 1, ref: b.vector('i32', o.inputs) },
      { id: 2, ref: b.vector('i32', o.outputs) },
    ];
    if (o.optionsType !== undefined) {
      const of: Field[] = (o.options ?? []).map(([id, type, v]) =>
        type === 'i32[]' ? { id, ref: b.vector('i32', v as number[]) } : { id, type, value: v as number });
      fields.push({ id: 3, type: 'u8', value: o.optionsType }, { id: 4, ref: b.table(of) });
    }
    return b.table(fields);
  });
  const subgraph = (withContent: boolean): Ref =>
    b.table(withContent ? [
      { id: 0, ref: b.refs(tensors) },
      { id: 1, ref: b.vector('i32', m.inputs) },
      { id: 2, ref: b.vector('i32', m.outputs) },
      { id: 3, ref: b.refs(ops) },
      { id: 4, ref: b.string('main') },
    ] : [{ id: 4, ref: b.string('extra') }]);
  const subgraphs = [subgraph(true), ...Array.from({ length: m.extraSubgraphs ?? 0 }, () => subgraph(false))];
  const opcodes = [...codeOps.values()].map(({ code: c, custom }) => b.table([
    { id: 0, type: 'i8', value: Math.min(c, 127) },
    ...(custom === undefined ? [] : [{ id: 1, ref: b.string(custom) }]),
    { id: 2, type: 'i32', value: 1 },
    { id: 3, type: 'i32', value: c },
  ]));
  const model = b.table([
    { id: 0, type: 'u32', value: m.version ?? 3 },
    { id: 1, ref: b.refs(opcodes) },
    { id: 2, ref: b.refs(subgraphs) },
    { id: 3, ref: b.string(m.description ?? 'synthetic test model') },
    { id: 4, ref: b.refs(buffers) },
  ]);
  return b.finish(model, 'TFL3');
}
