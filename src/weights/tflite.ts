/**
 * Reads TensorFlow Lite models (.tflite, schema.fbs v3, file identifier "TFL3") and MediaPipe .task
 * bundles (a zip of .tflite files) into plain objects: subgraph 0's tensors (constant data decoded
 * to f32/i32), operators with their builtin options parsed, and a list of everything that could
 * not be given faithfully. Bad data throws a one-line TfliteFormatError (see flatbuffer.ts).
 *
 * At load, DEQUANTIZE ops that only widen a float16 constant are folded away: their output tensor
 * gets the float32 data, so the importer sees plain f32 weights (MediaPipe's models store all
 * weights this way).
 */
import { f16ToF32 } from './dtype.ts';
import { firstNonFinite } from '../util/finite.ts';
import { inflateBounded } from './inflate.ts';
import { FbTable, FlatBufferReader, TfliteFormatError, type FbTableVector } from './flatbuffer.ts';
import type { ByteSource } from './source.ts';
import { crc32, DEFLATE_MAX_RATIO, ZIP_MAX_INFLATED_BYTES, ZipReader } from './zip.ts';
import { quoteUntrusted } from '../util/untrusted.ts';
import { decodeUtf8 } from '../util/utf8.ts';

export { TfliteFormatError } from './flatbuffer.ts';

export type TfliteDType =
  | 'float32' | 'float16' | 'int32' | 'uint8' | 'int64' | 'string' | 'bool' | 'int16' | 'complex64' | 'int8' | 'float64'
  | string; // schema TensorType names lower-cased

export interface TfliteTensor {
  /** Position in subgraph 0's tensor list (what op inputs/outputs refer to). */
  index: number;
  name: string;
  shape: number[];
  dtype: TfliteDType;
  /** Constant data, decoded: float32 as is, float16 expanded to float32, int32 as Int32Array; undefined for activations. */
  data?: Float32Array | Int32Array;
  /** True when the tensor carries quantization parameters (scale/zero point): we do not support those. */
  quantized: boolean;
  /** Was produced by a DEQUANTIZE that was folded at load (f16 weights): the original dtype. */
  dequantizedFrom?: TfliteDType;
  /** Index into the model's buffers (0: no data). */
  buffer: number;
}

export interface TfliteOp {
  /** Position in the file's operator list (folded DEQUANTIZE ops leave gaps). */
  index: number;
  /** BuiltinOperator name as in schema.fbs ('CONV_2D', 'DEPTHWISE_CONV_2D', ...) or `CUSTOM:<custom_code>`. */
  opcode: string;
  /** Tensor indices; -1 for an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** Parsed builtin options, field names as in schema.fbs in camelCase, enums as their names: e.g. for CONV_2D
   * { padding: 'SAME'|'VALID', strideW, strideH, dilationWFactor, dilationHFactor, fusedActivationFunction: 'NONE'|'RELU'|'RELU6'|'RELU_N1_TO_1'|'TANH'|... }.
   * An op stored without options gets its table's schema defaults; options tables this reader does not know give {}. */
  options: Record<string, number | string | boolean | number[]>;
  /** The BuiltinOptions union member the file gave ('Conv2DOptions'), 'NONE' when absent. */
  optionsType: string;
  /** The operator's version from its OperatorCode. */
  version: number;
}

export interface TfliteModel {
  file: string;
  version: number;
  description: string;
  /** Subgraph 0 only (a second subgraph is recorded in `problems`). */
  inputs: number[];
  outputs: number[];
  tensors: TfliteTensor[];
  ops: TfliteOp[];
  /** Everything the reader saw but cannot give faithfully (more subgraphs, quantized tensors, unknown dtypes...), one line each. The importer adds unsupported ops and throws one error listing all of it. */
  problems: string[];
}

/** Reads one .tflite file held in memory. */
export function readTflite(bytes: Uint8Array, file = '<tflite>'): TfliteModel {
  const fb = new FlatBufferReader(bytes, file);
  if (bytes.length < 8) fb.fail('header', `file is ${bytes.length} bytes, too short for a .tflite model`);
  const ident = fb.identifier();
  if (ident !== 'TFL3') fb.fail('header', `file identifier is ${quoteUntrusted(ident)}, expected 'TFL3' (not a TensorFlow Lite model)`);

  const model = fb.root('Model');
  const problems: string[] = [];
  const version = model.u32(0, 'version');
  if (version !== 3) problems.push(`schema version ${version}; this reader knows version 3`);
  const description = model.string(3, 'description');

  const codes = model.tables(1, 'operator_codes', 'OperatorCode');
  const opcodes = Array.from({ length: codes.length }, (_, i) => readOpcode(codes.at(i)));

  const subgraphs = model.tables(2, 'subgraphs', 'SubGraph');
  if (subgraphs.length === 0) fb.fail('Model.subgraphs', 'the model has no subgraph');
  if (subgraphs.length > 1) problems.push(`the model has ${subgraphs.length} subgraphs; only subgraph 0 is read (control flow is not supported)`);
  const sg = subgraphs.at(0);

  const buffers = new BufferTable(fb, model.tables(4, 'buffers', 'Buffer'));
  const tv = sg.tables(0, 'tensors', 'Tensor');
  const tensors = Array.from({ length: tv.length }, (_, i) => readTensor(tv.at(i), i, buffers, problems));

  const checkIndices = (t: FbTable, id: number, name: string, allowOmitted: boolean): number[] => {
    const list = t.i32s(id, name);
    for (const x of list) {
      if (!(x < tensors.length && (x >= 0 || (allowOmitted && x === -1)))) fb.fail(`${t.label}.${name}`, `tensor index ${x} out of range (${tensors.length} tensors)`);
    }
    return list;
  };
  const inputs = checkIndices(sg, 1, 'inputs', false);
  const outputs = checkIndices(sg, 2, 'outputs', false);

  const ov = sg.tables(3, 'operators', 'Operator');
  const ops: TfliteOp[] = [];
  for (let i = 0; i < ov.length; i++) {
    const o = ov.at(i);
    const ci = o.u32(0, 'opcode_index');
    if (ci >= opcodes.length) fb.fail(`${o.label}.opcode_index`, `${ci} out of range (${opcodes.length} operator codes)`);
    const { opcode, version: opVersion } = opcodes[ci];
    const opInputs = checkIndices(o, 1, 'inputs', true);
    const opOutputs = checkIndices(o, 2, 'outputs', true);
    const u = o.union(3, 'builtin_options', BUILTIN_OPTIONS);
    const options = readOptions(o, opcode, u.typeName, u.table, problems);
    ops.push({ index: i, opcode, inputs: opInputs, outputs: opOutputs, options, optionsType: u.typeName, version: opVersion });
  }

  return { file, version, description, inputs, outputs, tensors, ops: foldDequantize(fb, ops, tensors), problems };
}

/** An op name for messages: builtin names as they are, a custom code (any text) escaped. */
export function opLabel(opcode: string): string {
  return opcode.startsWith('CUSTOM:') ? `CUSTOM:${quoteUntrusted(opcode.slice(7))}` : opcode;
}

function readOpcode(t: FbTable): { opcode: string; version: number } {
  // Codes past 127 only fit the int32 builtin_code (field 3); older files only set the int8 field 0.
  const code = Math.max(t.i8(0, 'deprecated_builtin_code'), t.i32(3, 'builtin_code'));
  const version = t.i32(2, 'version', 1);
  if (code === 32) return { opcode: `CUSTOM:${t.string(1, 'custom_code')}`, version };
  return { opcode: BUILTIN_OPERATORS[code] ?? `BUILTIN_${code}`, version };
}

/** Model.buffers, each opened and decoded at most once: tensors sharing a buffer share one data array (treat it as read-only). */
class BufferTable {
  private readonly fb: FlatBufferReader;
  private readonly list: FbTableVector;
  private readonly decoded = new Map<string, Float32Array | Int32Array>();

  constructor(fb: FlatBufferReader, list: FbTableVector) {
    this.fb = fb;
    this.list = list;
  }

  get length(): number {
    return this.list.length;
  }

  /** The raw bytes of buffer k (a view into the file), undefined when empty. */
  raw(k: number): Uint8Array | undefined {
    const b = this.list.at(k);
    const data = b.bytes(0, 'data');
    if (data && data.length) return data;
    // Models over 2 GB keep data outside the FlatBuffer: offset (from the file start) and size; offset <= 1 means unused.
    const offset = b.u64(1, 'offset');
    const size = b.u64(2, 'size');
    if (offset <= 1 || size === 0) return undefined;
    if (offset + size > this.fb.size) this.fb.fail(`${b.label}.offset`, `${size} bytes at byte ${offset} run past the end of the file (${this.fb.size} bytes)`);
    return this.fb.bytes.subarray(offset, offset + size);
  }

  decode(k: number, dtype: string, raw: Uint8Array): Float32Array | Int32Array {
    const key = `${k}:${dtype}`;
    let d = this.decoded.get(key);
    if (!d) {
      this.fb.charge(raw.length / 4, `Buffer[${k}]`);
      // slice(): a copy that starts 4-aligned, so typed arrays can view it (little-endian hosts only, as WebGPU is).
      const copy = raw.slice().buffer;
      d = dtype === 'float16' ? f16ToF32(new Uint16Array(copy)) : dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
      this.decoded.set(key, d);
    }
    return d;
  }
}

const TENSOR_TYPES = [
  'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8', 'float64', 'complex128',
  'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4', 'bfloat16',
];
/** Bytes per element of fixed-size types (string, resource, variant and packed int4 have none). */
const ELEMENT_SIZE: Record<string, number> = {
  float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, complex64: 8, int8: 1, float64: 8, complex128: 16,
  uint64: 8, uint32: 4, uint16: 2, bfloat16: 2,
};
const DECODED = new Set(['float32', 'float16', 'int32']);

/** Most dimensions a tensor may have: TFLite's kernels stop at 6; a longer shape is a corrupt vector. */
export const MAX_TENSOR_RANK = 8;

/**
 * Most elements a tensor may have: 2^26 float32 values are 256 MiB, the largest buffer WebGPU
 * guarantees (maxBufferSize). Larger shapes are recorded as problems, so nothing is sized from them.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 26;

function readTensor(t: FbTable, index: number, buffers: BufferTable, problems: string[]): TfliteTensor {
  const fb = t.fb;
  if (t.vectorLength(0, 'shape', 4, 'int32') > MAX_TENSOR_RANK) {
    fb.fail(`${t.label}.shape`, `rank ${t.vectorLength(0, 'shape', 4, 'int32')} is more than the ${MAX_TENSOR_RANK} dimensions a tensor may have`);
  }
  const shape = t.i32s(0, 'shape');
  const typeCode = t.i8(1, 'type');
  const dtype = TENSOR_TYPES[typeCode] ?? `type${typeCode}`;
  const buffer = t.u32(2, 'buffer');
  const name = t.string(3, 'name');
  const who = `${t.label} ${quoteUntrusted(name)}`;
  if (TENSOR_TYPES[typeCode] === undefined) problems.push(`${who}: unknown tensor type ${typeCode}`);

  // Converters often write an empty QuantizationParameters table; only scales/zero points/details count.
  const q = t.table(4, 'quantization');
  const quantized = !!q && (q.vectorLength(2, 'scale', 4, 'float32') > 0 || q.vectorLength(3, 'zero_point', 8, 'int64') > 0 || q.u8(4, 'details_type') !== 0);
  if (quantized) problems.push(`${who}: ${dtype} tensor is quantized (scale/zero point); quantized models are not supported`);
  if (t.bool(5, 'is_variable')) problems.push(`${who}: is a variable (stateful) tensor`);
  if (t.has(6)) problems.push(`${who}: is a sparse tensor`);

  if (shape.some((d) => d < 0)) problems.push(`${who}: shape [${shape}] has a dynamic (negative) dimension; only fixed shapes are supported`);
  const elements = shape.reduce((a, d) => a * Math.max(d, 0), 1);
  if (elements > MAX_TENSOR_ELEMENTS) problems.push(`${who}: shape [${shape}] has ${elements} elements, more than the ${MAX_TENSOR_ELEMENTS} supported`);

  if (buffer >= buffers.length) fb.fail(`${t.label}.buffer`, `buffer index ${buffer} out of range (${buffers.length} buffers)`);
  const tensor: TfliteTensor = { index, name, shape, dtype, quantized, buffer };
  // Buffer 0 is the empty sentinel that activations point at.
  const raw = buffer === 0 ? undefined : buffers.raw(buffer);
  if (!raw) return tensor;
  const size = ELEMENT_SIZE[dtype];
  if (size !== undefined) {
    if (shape.some((d) => d < 0)) fb.fail(who, `constant has a negative dimension in shape [${shape}]`);
    const need = elements * size;
    if (need !== raw.length) fb.fail(who, `Buffer[${buffer}] holds ${raw.length} bytes, but shape [${shape}] of ${dtype} needs ${need}`);
  }
  if (DECODED.has(dtype)) {
    tensor.data = buffers.decode(buffer, dtype, raw);
    const bad = tensor.data instanceof Float32Array ? firstNonFinite(tensor.data) : -1;
    if (bad >= 0) problems.push(`${who}: constant holds ${tensor.data[bad]} at element ${bad}; weights must be finite`);
  } else problems.push(`${who}: constant ${dtype} data is not decoded (only float32, float16 and int32 are)`);
  return tensor;
}

/**
 * Removes each DEQUANTIZE whose input is a float16 constant, giving its float32 output tensor the
 * decoded data. Other DEQUANTIZEs (int8 weights) stay and the importer rejects them.
 */
function foldDequantize(fb: FlatBufferReader, ops: TfliteOp[], tensors: TfliteTensor[]): TfliteOp[] {
  return ops.filter((op) => {
    if (op.opcode !== 'DEQUANTIZE' || op.inputs.length !== 1 || op.outputs.length !== 1) return true;
    const src = tensors[op.inputs[0]];
    const dst = tensors[op.outputs[0]];
    if (!src || !dst || src.dtype !== 'float16' || !src.data || dst.dtype !== 'float32' || dst.quantized) return true;
    const where = `Operator[${op.index}] DEQUANTIZE`;
    if (dst.data) fb.fail(where, `output tensor ${dst.index} ${quoteUntrusted(dst.name)} already holds constant data`);
    if (src.shape.join() !== dst.shape.join()) {
      fb.fail(where, `input tensor ${src.index} ${quoteUntrusted(src.name)} has shape [${src.shape}] but output tensor ${dst.index} ${quoteUntrusted(dst.name)} has [${dst.shape}]`);
    }
    dst.data = src.data;
    dst.dequantizedFrom = 'float16';
    return false;
  });
}

// ---- builtin options -------------------------------------------------------------------------

/** One field of an options table, in schema order (field id = position); null for a deprecated slot. */
type FieldSpec = readonly [name: string, kind: 'int' | 'uint' | 'float' | 'bool' | 'ints' | readonly string[], def?: number | boolean] | null;

const PADDING = ['SAME', 'VALID'];
const ACTIVATION = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];
const act: FieldSpec = ['fusedActivationFunction', ACTIVATION];

const OPTION_FIELDS: Record<string, readonly FieldSpec[]> = {
  Conv2DOptions: [['padding', PADDING], ['strideW', 'int'], ['strideH', 'int'], act, ['dilationWFactor', 'int', 1], ['dilationHFactor', 'int', 1]],
  DepthwiseConv2DOptions: [
    ['padding', PADDING], ['strideW', 'int'], ['strideH', 'int'], ['depthMultiplier', 'int'], act, ['dilationWFactor', 'int', 1], ['dilationHFactor', 'int', 1],
  ],
  Pool2DOptions: [['padding', PADDING], ['strideW', 'int'], ['strideH', 'int'], ['filterWidth', 'int'], ['filterHeight', 'int'], act],
  FullyConnectedOptions: [act, ['weightsFormat', ['DEFAULT', 'SHUFFLED4x16INT8']], ['keepNumDims', 'bool'], ['asymmetricQuantizeInputs', 'bool']],
  SoftmaxOptions: [['beta', 'float']],
  ConcatenationOptions: [['axis', 'int'], act],
  AddOptions: [act, ['potScaleInt16', 'bool', true]],
  SubOptions: [act, ['potScaleInt16', 'bool', true]],
  MulOptions: [act],
  DivOptions: [act],
  L2NormOptions: [act],
  LocalResponseNormalizationOptions: [['radius', 'int'], ['bias', 'float'], ['alpha', 'float'], ['beta', 'float']],
  ResizeBilinearOptions: [null, null, ['alignCorners', 'bool'], ['halfPixelCenters', 'bool']],
  ResizeNearestNeighborOptions: [['alignCorners', 'bool'], ['halfPixelCenters', 'bool']],
  ReshapeOptions: [['newShape', 'ints']],
  PadOptions: [],
  PadV2Options: [],
  ReducerOptions: [['keepDims', 'bool']],
  SqueezeOptions: [['squeezeDims', 'ints']],
  StridedSliceOptions: [['beginMask', 'int'], ['endMask', 'int'], ['ellipsisMask', 'int'], ['newAxisMask', 'int'], ['shrinkAxisMask', 'int'], ['offset', 'bool']],
  GatherOptions: [['axis', 'int'], ['batchDims', 'int']],
  TransposeOptions: [],
  SplitOptions: [['numSplits', 'int']],
  SplitVOptions: [['numSplits', 'int']],
  PackOptions: [['valuesCount', 'int'], ['axis', 'int']],
  UnpackOptions: [['num', 'int'], ['axis', 'int']],
  LeakyReluOptions: [['alpha', 'float']],
  TransposeConvOptions: [['padding', PADDING], ['strideW', 'int'], ['strideH', 'int'], act],
  CastOptions: [['inDataType', TENSOR_TYPES], ['outDataType', TENSOR_TYPES]],
  ArgMaxOptions: [['outputType', TENSOR_TYPES]],
  ArgMinOptions: [['outputType', TENSOR_TYPES]],
  ShapeOptions: [['outType', TENSOR_TYPES]],
  MirrorPadOptions: [['mode', ['REFLECT', 'SYMMETRIC']]],
  SpaceToDepthOptions: [['blockSize', 'int']],
  DepthToSpaceOptions: [['blockSize', 'int']],
  BatchMatMulOptions: [['adjX', 'bool'], ['adjY', 'bool'], ['asymmetricQuantizeInputs', 'bool']],
  GeluOptions: [['approximate', 'bool']],
  CumsumOptions: [['exclusive', 'bool'], ['reverse', 'bool']],
  OneHotOptions: [['axis', 'int']],
  CallOptions: [['subgraph', 'uint']],
};

/** The options table each op is meant to carry: checked, and its defaults used when the file stores none. */
const OP_OPTIONS: Record<string, string> = {
  CONV_2D: 'Conv2DOptions', DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions', TRANSPOSE_CONV: 'TransposeConvOptions',
  AVERAGE_POOL_2D: 'Pool2DOptions', MAX_POOL_2D: 'Pool2DOptions', L2_POOL_2D: 'Pool2DOptions',
  FULLY_CONNECTED: 'FullyConnectedOptions', SOFTMAX: 'SoftmaxOptions', CONCATENATION: 'ConcatenationOptions',
  ADD: 'AddOptions', SUB: 'SubOptions', MUL: 'MulOptions', DIV: 'DivOptions',
  L2_NORMALIZATION: 'L2NormOptions', LOCAL_RESPONSE_NORMALIZATION: 'LocalResponseNormalizationOptions',
  RESIZE_BILINEAR: 'ResizeBilinearOptions', RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions',
  RESHAPE: 'ReshapeOptions', PAD: 'PadOptions', PADV2: 'PadV2Options', MIRROR_PAD: 'MirrorPadOptions',
  MEAN: 'ReducerOptions', SUM: 'ReducerOptions', REDUCE_MAX: 'ReducerOptions', REDUCE_MIN: 'ReducerOptions',
  REDUCE_PROD: 'ReducerOptions', REDUCE_ANY: 'ReducerOptions', REDUCE_ALL: 'ReducerOptions',
  SQUEEZE: 'SqueezeOptions', STRIDED_SLICE: 'StridedSliceOptions', GATHER: 'GatherOptions', TRANSPOSE: 'TransposeOptions',
  SPLIT: 'SplitOptions', SPLIT_V: 'SplitVOptions', PACK: 'PackOptions', UNPACK: 'UnpackOptions', LEAKY_RELU: 'LeakyReluOptions',
  CAST: 'CastOptions', ARG_MAX: 'ArgMaxOptions', ARG_MIN: 'ArgMinOptions', SHAPE: 'ShapeOptions',
  SPACE_TO_DEPTH: 'SpaceToDepthOptions', DEPTH_TO_SPACE: 'DepthToSpaceOptions', BATCH_MATMUL: 'BatchMatMulOptions',
  GELU: 'GeluOptions', CUMSUM: 'CumsumOptions', ONE_HOT: 'OneHotOptions', CALL: 'CallOptions',
};

function readOptions(op: FbTable, opcode: string, typeName: string, table: FbTable | undefined, problems: string[]): TfliteOp['options'] {
  const expected = OP_OPTIONS[opcode];
  if (expected && typeName !== 'NONE' && typeName !== expected) {
    problems.push(`${op.label} ${opLabel(opcode)}: builtin options are ${typeName}, expected ${expected}`);
    return {};
  }
  const spec = OPTION_FIELDS[typeName === 'NONE' ? (expected ?? '') : typeName];
  const out: TfliteOp['options'] = {};
  if (!spec) return out;
  spec.forEach((f, id) => {
    if (!f) return;
    const [name, kind, def] = f;
    const field = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); // schema.fbs spelling, for messages
    if (kind === 'int') out[name] = table ? table.i32(id, field, Number(def ?? 0)) : Number(def ?? 0);
    else if (kind === 'uint') out[name] = table ? table.u32(id, field, Number(def ?? 0)) : Number(def ?? 0);
    else if (kind === 'float') out[name] = table ? table.f32(id, field, Number(def ?? 0)) : Number(def ?? 0);
    else if (kind === 'bool') out[name] = table ? table.bool(id, field, def === true) : def === true;
    else if (kind === 'ints') out[name] = table ? table.i32s(id, field) : [];
    else {
      const v = table ? table.i8(id, field, Number(def ?? 0)) : Number(def ?? 0);
      if (kind[v] === undefined) problems.push(`${op.label} ${opLabel(opcode)}: ${field} value ${v} is not in the schema`);
      out[name] = kind[v] ?? `UNKNOWN(${v})`;
    }
  });
  return out;
}

// ---- .task bundles ---------------------------------------------------------------------------

/** .task bundles inside .task bundles (MediaPipe nests one level). */
export const MAX_BUNDLE_DEPTH = 3;

/** .task (zip) or .tflite, decided by content (zip magic PK\x03\x04 vs TFL3): the models inside by entry name. */
export function readModelBundle(bytes: Uint8Array, file = '<bundle>'): Map<string, TfliteModel> {
  const models = new Map<string, TfliteModel>();
  if (isZip(bytes)) {
    readZipModels(models, bytes, file, '', 1);
  } else if (isTflite(bytes)) {
    models.set(file.replace(/^.*[\\/]/, ''), readTflite(bytes, file));
  } else {
    throw new TfliteFormatError(`${file}: neither a .task bundle (zip) nor a .tflite model (no PK\\x03\\x04 or TFL3 magic in its first 8 bytes)`);
  }
  return models;
}

/** As readModelBundle, from a ByteSource (a file or a Blob): a .task is read entry by entry with ZipReader. */
export async function openModelBundle(source: ByteSource): Promise<Map<string, TfliteModel>> {
  const head = await source.read(0, Math.min(8, source.size));
  if (!isZip(head)) return readModelBundle(await source.read(0, source.size), source.name);
  const models = new Map<string, TfliteModel>();
  try {
    const zip = await ZipReader.open(source);
    for (const [name, entry] of zip.entries) {
      if (name.endsWith('/')) continue;
      const label = `${source.name}/${entryLabel(name)}`;
      if (!modelByName(name)) {
        // Read only as much as tells what it is: metadata entries are never inflated whole.
        const { offset, length } = await zip.dataRange(entry);
        const raw = await source.read(offset, Math.min(length, 4096));
        if (!isModel(sniff(raw, entry.method))) continue;
      }
      addEntry(models, name, await zip.read(name), source.name, 1);
    }
  } catch (e) {
    // ZipReader's errors already name the file and the entry; keep one error type for callers.
    if (e instanceof TfliteFormatError) throw e;
    throw new TfliteFormatError((e as Error).message);
  }
  return models;
}

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
const isTflite = (b: Uint8Array) => b.length >= 8 && b[4] === 0x54 && b[5] === 0x46 && b[6] === 0x4c && b[7] === 0x33;
const isModel = (b: Uint8Array) => isTflite(b) || isZip(b);
const modelByName = (name: string) => /\.(tflite|task)$/i.test(name);

/** An entry name for messages: as it is when plain, escaped and quoted otherwise. */
function entryLabel(name: string): string {
  return /^[\w./ +-]{1,120}$/.test(name) ? name : quoteUntrusted(name);
}

/** The first 8 bytes an entry holds (stored or deflated), to tell a model from metadata. */
function sniff(raw: Uint8Array, method: number): Uint8Array {
  if (method === 0) return raw.subarray(0, 8);
  if (method !== 8) return new Uint8Array(0);
  try {
    return inflateBounded(raw, 8, false);
  } catch {
    return new Uint8Array(0); // unreadable, and not named like a model: skipped as metadata would be
  }
}

/** One bundle entry: a .tflite is read, a nested .task (MediaPipe nests them) is opened. */
function addEntry(models: Map<string, TfliteModel>, name: string, data: Uint8Array, file: string, depth: number): void {
  const label = `${file}/${entryLabel(name)}`;
  if (name.toLowerCase().endsWith('.tflite') || isTflite(data)) {
    models.set(name, readTflite(data, label));
  } else if (isZip(data)) {
    if (depth >= MAX_BUNDLE_DEPTH) throw new TfliteFormatError(`${label}: .task bundles nested more than ${MAX_BUNDLE_DEPTH} deep`);
    readZipModels(models, data, file, `${name}/`, depth + 1);
  }
}

/** The model entries of a zip held in memory; other entries are sniffed, never inflated whole. */
function readZipModels(models: Map<string, TfliteModel>, bytes: Uint8Array, file: string, prefix: string, depth: number): void {
  const zipLabel = prefix ? `${file}/${entryLabel(prefix.slice(0, -1))}` : file;
  for (const e of zipDirectory(bytes, zipLabel)) {
    if (!modelByName(e.name) && !isModel(sniff(e.raw, e.method))) continue;
    addEntry(models, prefix + e.name, entryData(e, zipLabel), file, depth);
  }
}

interface MemZipEntry {
  name: string;
  method: number;
  crc: number;
  size: number;
  raw: Uint8Array;
}

/** An entry's bytes: inflated to exactly its declared size (capped), CRC-checked. */
function entryData(e: MemZipEntry, file: string): Uint8Array {
  const fail = (msg: string): never => {
    throw new TfliteFormatError(`${file}: zip: entry ${quoteUntrusted(e.name)}: ${msg}`);
  };
  let data = e.raw;
  if (e.method === 8) {
    // The same limits as ZipReader: nothing is allocated for a size DEFLATE cannot give or over the cap.
    if (e.size > DEFLATE_MAX_RATIO * e.raw.length) fail(`declares ${e.size} bytes from ${e.raw.length} compressed, more than DEFLATE can produce`);
    if (e.size > ZIP_MAX_INFLATED_BYTES) fail(`would inflate to ${e.size} bytes, over the limit of ${ZIP_MAX_INFLATED_BYTES}`);
    try {
      data = inflateBounded(e.raw, e.size);
    } catch (err) {
      fail((err as Error).message);
    }
  } else if (e.method !== 0) {
    fail(`unsupported compression method ${e.method}`);
  }
  if (data.length !== e.size) fail(`holds ${data.length} bytes, the directory says ${e.size}`);
  if (crc32(data) !== e.crc) fail('CRC-32 mismatch (corrupt data)');
  return data;
}

/**
 * The entries of a zip held in memory, bounds-checked, data not yet inflated. Why not ZipReader:
 * it is asynchronous (it reads a ByteSource piece by piece) and readModelBundle is not; why not
 * fflate's unzipSync: it trusts the sizes in the headers.
 */
function zipDirectory(bytes: Uint8Array, file: string): MemZipEntry[] {
  const fail = (msg: string): never => {
    throw new TfliteFormatError(`${file}: zip: ${msg}`);
  };
  const n = bytes.length;
  const v = new DataView(bytes.buffer, bytes.byteOffset, n);
  let eocd = -1;
  for (let i = n - 22; i >= 0 && i >= n - 22 - 65535; i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (file cut short?)');
  const count = v.getUint16(eocd + 10, true);
  const cdSize = v.getUint32(eocd + 12, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) fail('zip64 archives are not supported here (use openModelBundle)');
  if (cdOffset + cdSize > eocd) fail(`central directory (${cdSize} bytes at byte ${cdOffset}) overlaps the end record at byte ${eocd}`);
  const out: MemZipEntry[] = [];
  const end = cdOffset + cdSize;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || v.getUint32(p, true) !== 0x02014b50) fail(`central directory entry ${i} at byte ${p} is missing or bad`);
    const nameLen = v.getUint16(p + 28, true);
    const next = p + 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
    if (next > end) fail(`central directory entry ${i} runs past the directory's end`);
    const decoded = decodeUtf8(bytes.subarray(p + 46, p + 46 + nameLen));
    if (!decoded.ok) fail(`central directory entry ${i} has a name that is not UTF-8 (bad byte at ${p + 46 + decoded.offset})`);
    const name = decoded.ok ? decoded.text : '';
    const entry = (msg: string) => fail(`entry ${quoteUntrusted(name)}: ${msg}`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const csize = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const local = v.getUint32(p + 42, true);
    p = next;
    if (name.endsWith('/')) continue;
    if (flags & 1) entry('is encrypted');
    if (local + 30 > n || v.getUint32(local, true) !== 0x04034b50) entry(`no local header at byte ${local}`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + csize > n) entry(`${csize} bytes at byte ${start} run past the end of the file (${n} bytes)`);
    out.push({ name, method, crc, size, raw: bytes.subarray(start, start + csize) });
  }
  return out;
}

// ---- schema.fbs names ------------------------------------------------------------------------

/** BuiltinOperator, by code. */
const BUILTIN_OPERATORS = `
  ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED
  HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU
  RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS
  SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE
  MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT
  LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG
  PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE
  EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN
  FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN
  FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE
  MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE
  RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE
  NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE
  BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE
  REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL
  GELU DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM ATAN2 UNSORTED_SEGMENT_MIN SIGN BITCAST
  BITWISE_XOR RIGHT_SHIFT STABLEHLO_LOGISTIC STABLEHLO_ADD STABLEHLO_DIVIDE STABLEHLO_MULTIPLY STABLEHLO_MAXIMUM STABLEHLO_RESHAPE STABLEHLO_CLAMP STABLEHLO_CONCATENATE
  STABLEHLO_BROADCAST_IN_DIM STABLEHLO_CONVOLUTION STABLEHLO_SLICE STABLEHLO_CUSTOM_CALL STABLEHLO_REDUCE STABLEHLO_ABS STABLEHLO_AND STABLEHLO_COSINE STABLEHLO_EXPONENTIAL STABLEHLO_FLOOR
  STABLEHLO_LOG STABLEHLO_MINIMUM STABLEHLO_NEGATE STABLEHLO_OR STABLEHLO_POWER STABLEHLO_REMAINDER STABLEHLO_RSQRT STABLEHLO_SELECT STABLEHLO_SUBTRACT STABLEHLO_TANH
  STABLEHLO_SCATTER STABLEHLO_COMPARE STABLEHLO_CONVERT STABLEHLO_DYNAMIC_SLICE STABLEHLO_DYNAMIC_UPDATE_SLICE STABLEHLO_PAD STABLEHLO_IOTA STABLEHLO_DOT_GENERAL STABLEHLO_REDUCE_WINDOW STABLEHLO_SORT
  STABLEHLO_WHILE STABLEHLO_GATHER STABLEHLO_TRANSPOSE DILATE STABLEHLO_RNG_BIT_GENERATOR REDUCE_WINDOW STABLEHLO_COMPOSITE COMPLEX
`.trim().split(/\s+/);

/** The BuiltinOptions union's members; union type t is BUILTIN_OPTIONS[t - 1] (0 is NONE). */
const BUILTIN_OPTIONS = `
  Conv2D DepthwiseConv2D ConcatEmbeddings LSHProjection Pool2D SVDF RNN FullyConnected Softmax Concatenation
  Add L2Norm LocalResponseNormalization LSTM ResizeBilinear Call Reshape SkipGram SpaceToDepth EmbeddingLookupSparse
  Mul Pad Gather BatchToSpaceND SpaceToBatchND Transpose Reducer Sub Div Squeeze
  SequenceRNN StridedSlice Exp TopKV2 Split LogSoftmax Cast Dequantize MaximumMinimum ArgMax
  Less Neg PadV2 Greater GreaterEqual LessEqual Select Slice TransposeConv SparseToDense
  Tile ExpandDims Equal NotEqual Shape Pow ArgMin FakeQuant Pack LogicalOr
  OneHot LogicalAnd LogicalNot Unpack FloorDiv Square ZerosLike Fill BidirectionalSequenceLSTM BidirectionalSequenceRNN
  UnidirectionalSequenceLSTM FloorMod Range ResizeNearestNeighbor LeakyRelu SquaredDifference MirrorPad Abs SplitV Unique
  ReverseV2 AddN GatherNd Cos Where Rank ReverseSequence MatrixDiag Quantize MatrixSetDiag
  HardSwish If While DepthToSpace NonMaxSuppressionV4 NonMaxSuppressionV5 ScatterNd SelectV2 Densify SegmentSum
  BatchMatMul Cumsum CallOnce BroadcastTo Rfft2d Conv3D Hashtable HashtableFind HashtableImport HashtableSize
  VarHandle ReadVariable AssignVariable Random Bucketize Gelu DynamicUpdateSlice UnsortedSegmentProd UnsortedSegmentMax UnsortedSegmentMin
  UnsortedSegmentSum ATan2 Sign Bitcast BitwiseXor RightShift
`.trim().split(/\s+/).map((s) => `${s}Options`);
