/**
 * Adds a TFLite Support metadata block (tensorflow/tflite-support,
 * tensorflow_lite_support/metadata/metadata_schema.fbs, file identifier "M001") to a .tflite model
 * without touching anything else in it: MediaPipe Tasks refuses a float image model whose input
 * has no NormalizationOptions ("requires specifying NormalizationOptions metadata"), and the
 * models in @mediapipe/hands carry none.
 *
 * Layout written (field ids are schema declaration order):
 *
 *   Model (schema.fbs)            0 version, 1 operator_codes, 2 subgraphs, 3 description,
 *                                 4 buffers, 5 metadata_buffer, 6 metadata, 7 signature_defs
 *     .buffers                    the old Buffer tables + one new Buffer{0 data: <ModelMetadata FlatBuffer>}
 *     .metadata                   the old Metadata tables + Metadata{0 name: "TFLITE_METADATA", 1 buffer: <that index>}
 *   ModelMetadata ("M001")        0 name, 1 description, 2 version, 3 subgraph_metadata, ..., 7 min_parser_version
 *     SubGraphMetadata            0 name, 1 description, 2 input_tensor_metadata
 *       TensorMetadata            0 name, 1 description, ..., 4 process_units
 *         ProcessUnit             0 options_type (ProcessUnitOptions: 1 = NormalizationOptions), 1 options
 *           NormalizationOptions  0 mean: [float], 1 std: [float]
 *
 * How: FlatBuffers offsets are unsigned and point forward, so the whole old file is kept as one
 * block at the end of the new one, and a new root table (plus the new vectors, tables and the
 * metadata bytes) is written in front of it. The new root's operator_codes, subgraphs,
 * description and metadata_buffer fields point at the old objects; buffers and metadata are new
 * vectors whose elements point at the old tables and at the new ones. The old header (root
 * offset and "TFL3") stays inside as 8 unused bytes. The old block starts 16-aligned in the new
 * file, so every alignment it had is kept (the old file's length is a multiple of 16; it is
 * zero-padded otherwise). Buffer.offset (data outside the FlatBuffer, models over 2 GB) would
 * break, and is refused.
 */
import { FlatBufferReader } from '../../src/weights/flatbuffer.ts';
import { FlatBufferBuilder, type Field, type Ref } from '../../test/weights/flatbufferBuilder.ts';

/** Name of the Model.metadata entry MediaPipe and TFLite Support look for. */
export const TFLITE_METADATA = 'TFLITE_METADATA';

export interface InputNormalization {
  /** Model input = (pixel - mean) / std per channel (one value: all channels). */
  mean: number[];
  std: number[];
}

export interface MetadataOptions {
  /** ModelMetadata.name. */
  name: string;
  description?: string;
  /** Names of the input tensors, in subgraph order; one TensorMetadata each. */
  inputNames: string[];
  normalization: InputNormalization;
  /** ModelMetadata.min_parser_version; NormalizationOptions need 1.0.0. */
  minParserVersion?: string;
}

/** A ModelMetadata FlatBuffer (identifier "M001") with one subgraph and a NormalizationOptions per input. */
export function buildModelMetadata(opts: MetadataOptions): Uint8Array {
  const b = new FlatBufferBuilder();
  const tensors: Ref[] = [];
  for (const name of opts.inputNames) {
    const mean = b.vector('f32', opts.normalization.mean);
    const std = b.vector('f32', opts.normalization.std);
    const norm = b.table([{ id: 0, ref: mean }, { id: 1, ref: std }]);
    const unit = b.table([{ id: 0, type: 'u8', value: 1 /* NormalizationOptions */ }, { id: 1, ref: norm }]);
    const units = b.refs([unit]);
    const tname = b.string(name);
    tensors.push(b.table([{ id: 0, ref: tname }, { id: 4, ref: units }]));
  }
  const inputs = b.refs(tensors);
  const sg = b.table([{ id: 2, ref: inputs }]);
  const sgs = b.refs([sg]);
  const fields: Field[] = [{ id: 3, ref: sgs }];
  fields.push({ id: 0, ref: b.string(opts.name) });
  if (opts.description) fields.push({ id: 1, ref: b.string(opts.description) });
  fields.push({ id: 7, ref: b.string(opts.minParserVersion ?? '1.0.0') });
  return b.finish(b.table(fields), 'M001');
}

// ---- reading the old file (just the handful of positions needed) ------------------------------

class Raw {
  readonly v: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(p: number, n: number, what: string): number {
    if (!(p >= 0 && p + n <= this.bytes.length)) throw new Error(`tflite metadata: ${what} at byte ${p} is outside the file (${this.bytes.length} bytes)`);
    return p;
  }
  /** Absolute position of a field's inline bytes, 0 when absent. */
  field(table: number, id: number): number {
    const vt = this.check(table - this.v.getInt32(this.check(table, 4, 'table'), true), 4, 'vtable');
    const vsize = this.v.getUint16(vt, true);
    if (4 + 2 * id + 2 > vsize) return 0;
    const off = this.v.getUint16(vt + 4 + 2 * id, true);
    return off ? this.check(table + off, 4, 'field') : 0;
  }
  /** Target of an offset field, 0 when absent. */
  target(table: number, id: number): number {
    const p = this.field(table, id);
    return p ? this.check(p + this.v.getUint32(p, true), 4, 'offset target') : 0;
  }
  /** Positions of the tables a vector of offsets points at. */
  tableVector(vec: number): number[] {
    const n = this.v.getUint32(this.check(vec, 4, 'vector'), true);
    this.check(vec + 4, 4 * n, 'vector');
    return Array.from({ length: n }, (_, i) => {
      const e = vec + 4 + 4 * i;
      return this.check(e + this.v.getUint32(e, true), 4, 'vector element');
    });
  }
  vtableSize(table: number): number {
    return this.v.getUint16(table - this.v.getInt32(table, true), true);
  }
}

/**
 * The model with `metadata` (a ModelMetadata FlatBuffer) added as a new buffer and a
 * "TFLITE_METADATA" Model.metadata entry. Everything else is the old bytes, referenced as they are.
 */
export function addTfliteMetadata(model: Uint8Array, metadata: Uint8Array): Uint8Array {
  if (model.length < 8 || String.fromCharCode(...model.subarray(4, 8)) !== 'TFL3') throw new Error('tflite metadata: not a .tflite file (identifier TFL3)');
  const raw = new Raw(model);
  const root = raw.v.getUint32(0, true);
  if ((raw.vtableSize(root) - 4) / 2 > 8) throw new Error('tflite metadata: the Model table has fields past signature_defs (a newer schema); not rewriting it');
  const bufferTables = raw.tableVector(raw.target(root, 4) || fail('the model has no buffers'));
  for (const [i, t] of bufferTables.entries()) {
    const off = raw.field(t, 1);
    if (off && raw.v.getBigUint64(off, true) > 1n) throw new Error(`tflite metadata: Buffer[${i}] keeps its data outside the FlatBuffer (offset); cannot move the file`);
  }
  const metaTables = raw.target(root, 6) ? raw.tableVector(raw.target(root, 6)) : [];
  for (const t of metaTables) {
    const name = raw.target(t, 0);
    if (name) {
      const len = raw.v.getUint32(name, true);
      if (new TextDecoder().decode(model.subarray(name + 4, name + 4 + len)) === TFLITE_METADATA) throw new Error(`tflite metadata: the model already has a ${TFLITE_METADATA} entry`);
    }
  }

  const b = new FlatBufferBuilder();
  // The old file, zero-padded to a multiple of 16, as the last object (its u32 length prefix is unused).
  const padded = new Uint8Array(Math.ceil(model.length / 16) * 16);
  padded.set(model);
  const blob = b.vector('u8', padded);
  const base = blob.dist - 4; // distance of old byte 0 from the end
  const old = (pos: number): Ref => ({ dist: base - pos });

  const data = b.vector('u8', metadata);
  const newBuffer = b.table([{ id: 0, ref: data }]);
  const buffers = b.refs([...bufferTables.map(old), newBuffer]);
  const name = b.string(TFLITE_METADATA);
  const entry = b.table([{ id: 0, ref: name }, { id: 1, type: 'u32', value: bufferTables.length }]);
  const metas = b.refs([...metaTables.map(old), entry]);

  const fields: Field[] = [{ id: 4, ref: buffers }, { id: 6, ref: metas }];
  const version = raw.field(root, 0);
  if (version) fields.push({ id: 0, type: 'u32', value: raw.v.getUint32(version, true) });
  for (const id of [1, 2, 3, 5, 7]) {
    const t = raw.target(root, id);
    if (t) fields.push({ id, ref: old(t) });
  }
  const out = b.finish(b.table(fields), 'TFL3');
  // finish() aligns the total to 8; insert 8 bytes after the header when needed so the old block
  // starts 16-aligned (everything after the header is addressed relatively, only the root moves).
  if ((out.length - base) % 16 === 0) return out;
  const moved = new Uint8Array(out.length + 8);
  moved.set(out.subarray(0, 8));
  moved.set(out.subarray(8), 16);
  const dv = new DataView(moved.buffer);
  dv.setUint32(0, dv.getUint32(0, true) + 8, true);
  if ((moved.length - base) % 16 !== 0) throw new Error('tflite metadata: internal alignment error');
  return moved;
}

function fail(msg: string): never {
  throw new Error(`tflite metadata: ${msg}`);
}

// ---- reading it back (tests, the generator's self-check) --------------------------------------

export interface ReadMetadata {
  /** Index of the buffer holding the block. */
  buffer: number;
  name: string;
  minParserVersion: string;
  /** Per input TensorMetadata: its name and the NormalizationOptions of its process units. */
  inputs: { name: string; normalization: InputNormalization[] }[];
}

/** The TFLITE_METADATA block of a model, parsed with our bounds-checked reader; undefined when absent. */
export function readTfliteMetadata(model: Uint8Array, file = '<tflite>'): ReadMetadata | undefined {
  const fb = new FlatBufferReader(model, file);
  const root = fb.root('Model');
  const entries = root.tables(6, 'metadata', 'Metadata');
  for (let i = 0; i < entries.length; i++) {
    const e = entries.at(i);
    if (e.string(0, 'name') !== TFLITE_METADATA) continue;
    const buffer = e.u32(1, 'buffer');
    const buffers = root.tables(4, 'buffers', 'Buffer');
    if (buffer >= buffers.length) fb.fail(`${e.label}.buffer`, `buffer ${buffer} out of range (${buffers.length})`);
    const data = buffers.at(buffer).bytes(0, 'data');
    if (!data) return fb.fail(`Buffer[${buffer}]`, 'metadata buffer is empty');
    const mfb = new FlatBufferReader(data, `${file} ${TFLITE_METADATA}`);
    if (mfb.identifier() !== 'M001') mfb.fail('header', `identifier ${JSON.stringify(mfb.identifier())}, expected "M001"`);
    const md = mfb.root('ModelMetadata');
    const sgs = md.tables(3, 'subgraph_metadata', 'SubGraphMetadata');
    const inputs: ReadMetadata['inputs'] = [];
    if (sgs.length) {
      const tv = sgs.at(0).tables(2, 'input_tensor_metadata', 'TensorMetadata');
      for (let k = 0; k < tv.length; k++) {
        const t = tv.at(k);
        const units = t.tables(4, 'process_units', 'ProcessUnit');
        const normalization: InputNormalization[] = [];
        for (let u = 0; u < units.length; u++) {
          const opt = units.at(u).union(0, 'options', ['NormalizationOptions', 'ScoreCalibrationOptions', 'ScoreThresholdingOptions']);
          if (opt.typeName === 'NormalizationOptions' && opt.table) normalization.push({ mean: opt.table.f32s(0, 'mean'), std: opt.table.f32s(1, 'std') });
        }
        inputs.push({ name: t.string(0, 'name'), normalization });
      }
    }
    return { buffer, name: md.string(0, 'name'), minParserVersion: md.string(7, 'min_parser_version'), inputs };
  }
  return undefined;
}
