/** The .tflite / .task reader: MediaPipe's four hand models, hand-built edge cases, hostile and fuzzed files. */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { f32ToF16 } from '../../src/weights/dtype.ts';
import { bufferSource } from '../../src/weights/source.ts';
import { openModelBundle, readModelBundle, readTflite, TfliteFormatError, type TfliteModel } from '../../src/weights/tflite.ts';
import * as weights from '../../src/weights/index.ts';
import { loadMediapipeModel, type MediapipeModelName } from '../../tools/models/mediapipe.ts';
import { makeRng } from '../reference/cpu.ts';
import { ACT, buildTflite, OP, OPTIONS, TYPE, type BModel } from './tfliteBuilder.ts';

const bytesOf = new Map<MediapipeModelName, Uint8Array>();
const real = (name: MediapipeModelName): Uint8Array => {
  if (!bytesOf.has(name)) bytesOf.set(name, loadMediapipeModel(name));
  return bytesOf.get(name)!;
};

/** Runs fn and returns the TfliteFormatError it must throw: one line, naming the file first. */
function formatError(fn: () => unknown, file: string): TfliteFormatError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof TfliteFormatError)) throw new Error(`expected a TfliteFormatError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  expect(err.message.startsWith(`${file}: `), err.message).toBe(true);
  expect(err.message).not.toContain('\n');
  return err;
}

/** Where a byte sequence first occurs. */
function find(b: Uint8Array, seq: number[]): number {
  for (let i = 0; i + seq.length <= b.length; i++) if (seq.every((x, k) => b[i + k] === x)) return i;
  throw new Error(`sequence ${seq} not found`);
}
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const numel = (shape: number[]) => shape.reduce((a, d) => a * d, 1);
const io = (m: TfliteModel, list: number[]) => list.map((i) => `${m.tensors[i].name} [${m.tensors[i].shape}] ${m.tensors[i].dtype}`);
const opCounts = (m: TfliteModel) => {
  const c: Record<string, number> = {};
  for (const op of m.ops) c[op.opcode] = (c[op.opcode] ?? 0) + 1;
  return c;
};

// ---- the real files ----------------------------------------------------------------------------

const LANDMARK_OUT = ['Identity [1,63] float32', 'Identity_1 [1,1] float32', 'Identity_2 [1,1] float32', 'Identity_3 [1,63] float32'];
const PALM_OUT = ['Identity [1,2016,18] float32', 'Identity_1 [1,2016,1] float32'];
const EXPECTED: Record<MediapipeModelName, { input: string; outputs: string[]; ops: Record<string, number>; folded: number }> = {
  hand_landmark_full: {
    input: 'input_1 [1,224,224,3] float32', outputs: LANDMARK_OUT, folded: 102,
    ops: { CONV_2D: 31, DEPTHWISE_CONV_2D: 16, ADD: 9, MEAN: 1, FULLY_CONNECTED: 4, LOGISTIC: 2 },
  },
  hand_landmark_lite: {
    input: 'input_1 [1,224,224,3] float32', outputs: LANDMARK_OUT, folded: 102,
    ops: { CONV_2D: 31, DEPTHWISE_CONV_2D: 16, MAX_POOL_2D: 1, ADD: 10, MEAN: 1, FULLY_CONNECTED: 4, LOGISTIC: 2 },
  },
  palm_detection_full: {
    input: 'input_1 [1,192,192,3] float32', outputs: PALM_OUT, folded: 133,
    ops: { CONV_2D: 35, PRELU: 31, DEPTHWISE_CONV_2D: 28, ADD: 30, MAX_POOL_2D: 4, PAD: 3, RESIZE_BILINEAR: 2, RESHAPE: 4, CONCATENATION: 2 },
  },
  palm_detection_lite: {
    input: 'input_1 [1,192,192,3] float32', outputs: PALM_OUT, folded: 113,
    ops: { CONV_2D: 30, PRELU: 26, DEPTHWISE_CONV_2D: 23, ADD: 25, MAX_POOL_2D: 4, PAD: 3, RESIZE_BILINEAR: 2, RESHAPE: 4, CONCATENATION: 2 },
  },
};

describe.each(Object.keys(EXPECTED) as MediapipeModelName[])('MediaPipe %s.tflite', (name) => {
  it('has the expected inputs, outputs and ops, f16 weights folded, no problems', () => {
    const m = readTflite(real(name), `${name}.tflite`);
    const want = EXPECTED[name];
    expect(m.version).toBe(3);
    expect(m.problems).toEqual([]);
    expect(io(m, m.inputs)).toEqual([want.input]);
    expect(io(m, m.outputs)).toEqual(want.outputs);
    expect(opCounts(m)).toEqual(want.ops); // no DEQUANTIZE left
    expect(m.tensors.filter((t) => t.dequantizedFrom === 'float16')).toHaveLength(want.folded);
    expect(m.tensors.some((t) => t.quantized)).toBe(false);
    // Every constant an op reads is decoded, finite, of the right length; float weights came from f16.
    let consts = 0;
    for (const op of m.ops) {
      for (const i of op.inputs) {
        const t = m.tensors[i];
        if (!t.data) continue;
        consts++;
        expect(t.data.length, t.name).toBe(numel(t.shape));
        expect(t.data.every(Number.isFinite), t.name).toBe(true);
        if (t.dtype === 'float32') expect(t.dequantizedFrom, t.name).toBe('float16');
        else expect(t.dtype, t.name).toBe('int32');
      }
    }
    expect(consts).toBeGreaterThan(want.folded);
  });
});

describe('decoded options', () => {
  it('palm: 5x5 depthwise, stride-2 convs, PAD/RESIZE/CONCAT options', () => {
    const m = readTflite(real('palm_detection_lite'), 'palm.tflite');
    const first = m.ops[0];
    expect(first.opcode).toBe('CONV_2D');
    expect(first.options).toEqual({ padding: 'SAME', strideW: 2, strideH: 2, fusedActivationFunction: 'NONE', dilationWFactor: 1, dilationHFactor: 1 });
    expect(m.tensors[first.inputs[1]].shape).toEqual([32, 5, 5, 3]);
    const dw = m.ops.filter((o) => o.opcode === 'DEPTHWISE_CONV_2D');
    expect(dw.every((o) => m.tensors[o.inputs[1]].shape.slice(1, 3).join() === '5,5' && o.options.depthMultiplier === 1)).toBe(true);
    expect(dw.filter((o) => o.options.strideW === 2 && o.options.strideH === 2)).toHaveLength(4);
    for (const o of m.ops.filter((o) => o.opcode === 'RESIZE_BILINEAR')) expect(o.options).toEqual({ alignCorners: false, halfPixelCenters: true });
    for (const o of m.ops.filter((o) => o.opcode === 'CONCATENATION')) expect(o.options).toEqual({ axis: 1, fusedActivationFunction: 'NONE' });
    for (const o of m.ops.filter((o) => o.opcode === 'MAX_POOL_2D')) {
      expect(o.options).toEqual({ padding: 'SAME', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2, fusedActivationFunction: 'NONE' });
    }
    // RESHAPE carries no options table here (the shape is a constant input); schema defaults fill in.
    const reshape = m.ops.find((o) => o.opcode === 'RESHAPE')!;
    expect(reshape.optionsType).toBe('NONE');
    expect(reshape.options).toEqual({ newShape: [] });
    expect(Array.from(m.tensors[reshape.inputs[1]].data!)).toEqual([1, -1, 1]); // -1: inferred, as numpy
    const pad = m.ops.find((o) => o.opcode === 'PAD')!;
    expect(m.tensors[pad.inputs[1]].data).toBeInstanceOf(Int32Array);
    expect(m.ops.find((o) => o.opcode === 'PRELU')!.options).toEqual({});
  });

  it('landmark: RELU6-fused convs, MEAN, FULLY_CONNECTED, VALID max pool (lite)', () => {
    const m = readTflite(real('hand_landmark_lite'), 'landmark.tflite');
    expect(m.ops[0].options).toMatchObject({ strideW: 2, strideH: 2, fusedActivationFunction: 'RELU6', padding: 'SAME' });
    expect(m.ops.find((o) => o.opcode === 'MEAN')!.options).toEqual({ keepDims: false });
    for (const o of m.ops.filter((o) => o.opcode === 'FULLY_CONNECTED')) {
      expect(o.options).toEqual({ fusedActivationFunction: 'NONE', weightsFormat: 'DEFAULT', keepNumDims: false, asymmetricQuantizeInputs: false });
    }
    expect(m.ops.find((o) => o.opcode === 'MAX_POOL_2D')!.options).toMatchObject({ padding: 'VALID', filterWidth: 2, strideW: 2 });
    expect(m.ops.find((o) => o.opcode === 'ADD')!.options).toEqual({ fusedActivationFunction: 'NONE', potScaleInt16: true });
  });
});

describe('.task bundles', () => {
  const task = () => zipSync({ 'hand_detector.tflite': real('palm_detection_lite'), 'hand_landmarks_detector.tflite': real('hand_landmark_lite'), 'README.txt': new Uint8Array([104, 105]) });

  it('readModelBundle returns the models by entry name (zip or plain .tflite, by content)', () => {
    const models = readModelBundle(task(), 'hand_landmarker.task');
    expect([...models.keys()]).toEqual(['hand_detector.tflite', 'hand_landmarks_detector.tflite']);
    expect(io(models.get('hand_detector.tflite')!, models.get('hand_detector.tflite')!.outputs)).toEqual(PALM_OUT);
    expect(models.get('hand_landmarks_detector.tflite')!.file).toBe('hand_landmarker.task/hand_landmarks_detector.tflite');
    const single = readModelBundle(real('hand_landmark_full'), 'models/hand_landmark_full.tflite');
    expect([...single.keys()]).toEqual(['hand_landmark_full.tflite']);
    // Stored (uncompressed) entries, as MediaPipe writes them, and a nested .task.
    const stored = zipSync({ 'inner.task': zipSync({ 'a.tflite': real('hand_landmark_lite') }, { level: 0 }) }, { level: 0 });
    expect([...readModelBundle(stored, 'outer.task').keys()]).toEqual(['inner.task/a.tflite']);
  });

  it('openModelBundle reads the same from a ByteSource through ZipReader', async () => {
    const models = await openModelBundle(bufferSource(task(), 'hand_landmarker.task'));
    expect([...models.keys()]).toEqual(['hand_detector.tflite', 'hand_landmarks_detector.tflite']);
    expect(models.get('hand_detector.tflite')!.ops).toHaveLength(119);
    const bad = zipSync({ 'a.tflite': real('hand_landmark_lite').subarray(0, 5000) });
    await expect(openModelBundle(bufferSource(bad, 'bad.task'))).rejects.toThrow(TfliteFormatError);
  });

  it('a bad entry, a CRC mismatch, a cut-short zip or unknown content are one-line errors', () => {
    const bad = zipSync({ 'ok.tflite': real('hand_landmark_lite'), 'cut.tflite': real('palm_detection_lite').subarray(0, 100_000) });
    expect(formatError(() => readModelBundle(bad, 'b.task'), 'b.task/cut.tflite').message).toMatch(/past the end of the file \(100000 bytes\)/);
    const stored = zipSync({ 'a.tflite': real('hand_landmark_lite') }, { level: 0 });
    stored[5000] ^= 0xff;
    expect(formatError(() => readModelBundle(stored, 'c.task'), 'c.task').message).toMatch(/entry 'a\.tflite': CRC-32 mismatch/);
    expect(formatError(() => readModelBundle(task().subarray(0, 3_000_000), 'd.task'), 'd.task').message).toMatch(/end-of-central-directory/);
    const lying = zipSync({ 'a.tflite': new Uint8Array(1000) });
    dv(lying).setUint32(find(lying, [0x50, 0x4b, 0x01, 0x02]) + 24, 0x7fffffff, true); // the central directory's 'size'
    formatError(() => readModelBundle(lying, 'e.task'), 'e.task');
    formatError(() => readModelBundle(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'f.bin'), 'f.bin');
  });
});

// ---- hand-built models: the paths the MediaPipe files do not take --------------------------------

const f16Bytes = (v: number[]) => new Uint8Array(f32ToF16(new Float32Array(v)).buffer);

/**
 * y = relu6(x + dequantize(w16)): x [1,4] f32 input, w16 [4] f16 constant (buffer 1), w [4] f32.
 * `edit` changes the model before it is laid out.
 */
function tinyModel(edit: (m: BModel) => void = () => {}): Uint8Array {
  const m: BModel = {
    tensors: [
      { name: 'x', shape: [1, 4] },
      { name: 'w16', shape: [4], type: TYPE.FLOAT16, data: f16Bytes([0.5, -1, 2, 65504]) },
      { name: 'w', shape: [4] },
      { name: 'y', shape: [1, 4] },
    ],
    ops: [
      { code: OP.DEQUANTIZE, inputs: [1], outputs: [2] },
      { code: OP.ADD, inputs: [0, 2], outputs: [3], optionsType: OPTIONS.Add, options: [[0, 'i8', ACT.RELU6]] },
    ],
    inputs: [0],
    outputs: [3],
    description: 'tiny',
  };
  edit(m);
  return buildTflite(m);
}

describe('hand-built models', () => {
  it('folds DEQUANTIZE of an f16 constant; fills option defaults', () => {
    const m = readTflite(tinyModel(), 'tiny.tflite');
    expect(m.description).toBe('tiny');
    expect(m.problems).toEqual([]);
    expect(m.ops.map((o) => [o.index, o.opcode])).toEqual([[1, 'ADD']]);
    expect(m.ops[0].options).toEqual({ fusedActivationFunction: 'RELU6', potScaleInt16: true });
    expect(m.tensors[2]).toMatchObject({ name: 'w', dtype: 'float32', dequantizedFrom: 'float16' });
    expect(Array.from(m.tensors[2].data!)).toEqual([0.5, -1, 2, 65504]);
    expect(m.tensors[0].data).toBeUndefined();
  });

  it('opcodes: builtin_code past 127, CUSTOM:<code>, unknown codes; ops without options get defaults', () => {
    const m = readTflite(tinyModel((p) => {
      // Opcodes 2..5 in order of first use: GELU (150), CUSTOM 'MyOp', 250, CONV_2D.
      p.ops.push(
        { code: 150, inputs: [3], outputs: [3] },
        { code: 32, custom: 'MyOp', inputs: [3], outputs: [3] },
        { code: 250, inputs: [3], outputs: [3] },
        { code: OP.CONV_2D, inputs: [3, -1], outputs: [3] },
      );
    }), 'ops.tflite');
    expect(m.ops.map((o) => o.opcode)).toEqual(['ADD', 'GELU', 'CUSTOM:MyOp', 'BUILTIN_250', 'CONV_2D']);
    expect(m.ops[4].inputs).toEqual([3, -1]);
    expect(m.ops[4].options).toEqual({ padding: 'SAME', strideW: 0, strideH: 0, fusedActivationFunction: 'NONE', dilationWFactor: 1, dilationHFactor: 1 });
  });

  it('records what it cannot give faithfully in problems', () => {
    const m = readTflite(tinyModel((p) => {
      p.extraSubgraphs = 1;
      p.tensors.push(
        { name: 'q', shape: [2], type: TYPE.INT8, data: new Uint8Array(2), quantized: true }, // buffer 2
        { name: 'i64', shape: [1], type: 4, data: new Uint8Array(8) }, // INT64, buffer 3
      );
      p.ops.push({ code: OP.ADD, inputs: [3, 3], outputs: [3], optionsType: OPTIONS.Pool2D, options: [] }); // ADD carrying Pool2DOptions
    }), 'odd.tflite');
    expect(m.tensors[4].quantized).toBe(true);
    expect(m.problems).toEqual([
      'the model has 2 subgraphs; only subgraph 0 is read (control flow is not supported)',
      "Tensor[4] 'q': int8 tensor is quantized (scale/zero point); quantized models are not supported",
      "Tensor[4] 'q': constant int8 data is not decoded (only float32, float16 and int32 are)",
      "Tensor[5] 'i64': constant int64 data is not decoded (only float32, float16 and int32 are)",
      'Operator[2] ADD: builtin options are Pool2DOptions, expected AddOptions',
    ]);
  });

  it('reads Buffer.offset/size data outside the FlatBuffer, and checks it', () => {
    const withOffset = (offset: number, size: number) => tinyModel((p) => (p.tensors[1] = { ...p.tensors[1], data: undefined, external: { offset, size } }));
    const len = withOffset(0, 0).length;
    const ok = new Uint8Array(len + 8);
    ok.set(withOffset(len, 8));
    ok.set(f16Bytes([1, 2, 3, 4]), len);
    expect(Array.from(readTflite(ok, 'big.tflite').tensors[2].data!)).toEqual([1, 2, 3, 4]);
    const e = formatError(() => readTflite(withOffset(len, 8), 'big.tflite'), 'big.tflite');
    expect(e.message).toBe(`big.tflite: Buffer[1].offset: 8 bytes at byte ${len} run past the end of the file (${len} bytes)`);
    formatError(() => readTflite(withOffset(2 ** 60, 8), 'huge.tflite'), 'huge.tflite');
  });

  it('rejects constants whose byte length does not match the shape, and bad indices', () => {
    const short = tinyModel((p) => (p.tensors[1].data = f16Bytes([1, 2, 3])));
    expect(formatError(() => readTflite(short, 't.tflite'), 't.tflite').message).toBe("t.tflite: Tensor[1] 'w16': Buffer[1] holds 6 bytes, but shape [4] of float16 needs 8");
    const idx = tinyModel((p) => (p.ops[1] = { code: OP.ADD, inputs: [0, 99], outputs: [3] }));
    expect(formatError(() => readTflite(idx, 't.tflite'), 't.tflite').message).toBe('t.tflite: Operator[1].inputs: tensor index 99 out of range (4 tensors)');
    const code = tinyModel((p) => (p.ops[1] = { code: OP.ADD, opcodeIndex: 7, inputs: [0, 2], outputs: [3] }));
    expect(formatError(() => readTflite(code, 't.tflite'), 't.tflite').message).toMatch(/Operator\[1\]\.opcode_index: 7 out of range/);
    const buf = tinyModel((p) => (p.tensors[0] = { name: 'x', shape: [1, 4], buffer: 5 }));
    expect(formatError(() => readTflite(buf, 't.tflite'), 't.tflite').message).toMatch(/Tensor\[0\]\.buffer: buffer index 5 out of range \(2 buffers\)/);
    const shape = tinyModel((p) => (p.tensors[2] = { name: 'w', shape: [2, 2] }));
    expect(formatError(() => readTflite(shape, 't.tflite'), 't.tflite').message).toMatch(/Operator\[0\] DEQUANTIZE: input tensor 1 'w16' has shape \[4\] but output tensor 2 'w' has \[2,2\]/);
    const utf8 = tinyModel((p) => (p.tensors[0] = { name: 'x\u00e9', shape: [1, 4] }));
    utf8[find(utf8, [0x78, 0xc3, 0xa9]) + 1] = 0xff; // 'é' is c3 a9: break its lead byte
    expect(formatError(() => readTflite(utf8, 't.tflite'), 't.tflite').message).toMatch(/Tensor\[0\]\.name: string at byte \d+ is not valid UTF-8/);
  });
});

// ---- hostile real files --------------------------------------------------------------------------

/** Position of field `id` of the table at `t` (test-side navigation, trusting the intact file). */
const fieldPos = (b: Uint8Array, t: number, id: number) => t + dv(b).getUint16(t - dv(b).getInt32(t, true) + 4 + 2 * id, true);
const deref = (b: Uint8Array, p: number) => p + dv(b).getUint32(p, true);

describe('hostile files', () => {
  const FILE = 'palm_detection_lite.tflite';
  const copy = () => real('palm_detection_lite').slice();

  it('truncated anywhere: a one-line TfliteFormatError', () => {
    const b = real('palm_detection_lite');
    const cuts = [...Array.from({ length: 65 }, (_, i) => i), ...Array.from({ length: Math.floor(b.length / 997) }, (_, i) => (i + 1) * 997), b.length - 1];
    for (const n of cuts) formatError(() => readTflite(b.subarray(0, n), FILE), FILE);
  });

  it('wrong identifier, corrupted root and vtable offsets, huge vector lengths', () => {
    const id = copy();
    id.set([0x58, 0x58, 0x58, 0x58], 4);
    expect(formatError(() => readTflite(id, FILE), FILE).message).toBe(`${FILE}: header: file identifier is 'XXXX', expected 'TFL3' (not a TensorFlow Lite model)`);

    const root = copy();
    dv(root).setUint32(0, 0xfffffff0, true);
    expect(formatError(() => readTflite(root, FILE), FILE).message).toMatch(/^\S+: Model: table at byte 4294967280 lies past the end/);

    for (const soffset of [0x7ffffff0, -0x7ffffff0, -root.length]) {
      const vt = copy();
      dv(vt).setInt32(dv(vt).getUint32(0, true), soffset, true);
      expect(formatError(() => readTflite(vt, FILE), FILE).message).toMatch(/Model: vtable/);
    }

    // Model.subgraphs[0].tensors[0].shape: its length word set to 0x7fffffff.
    const b = copy();
    const sg = deref(b, deref(b, fieldPos(b, dv(b).getUint32(0, true), 2)) + 4);
    const t0 = deref(b, deref(b, fieldPos(b, sg, 0)) + 4);
    const shape = deref(b, fieldPos(b, t0, 0));
    dv(b).setUint32(shape, 0x7fffffff, true);
    expect(formatError(() => readTflite(b, FILE), FILE).message).toBe(
      `${FILE}: Tensor[0].shape: vector of 2147483647 int32 at byte ${shape} runs past the end of the file (${b.length} bytes)`,
    );

    // The tensor vector's own length, and a field offset pointing outside its table.
    const tv = copy();
    dv(tv).setUint32(deref(tv, fieldPos(tv, sg, 0)), 0x7fffffff, true);
    expect(formatError(() => readTflite(tv, FILE), FILE).message).toMatch(/SubGraph\[0\]\.tensors: vector of 2147483647 table offsets/);
    const fo = copy();
    const vtable = t0 - dv(fo).getInt32(t0, true);
    dv(fo).setUint16(vtable + 4, 0xfff0, true);
    expect(formatError(() => readTflite(fo, FILE), FILE).message).toMatch(/Tensor\[0\]\.shape: field at offset 65520 \(4 bytes\) lies outside its/);
  });

  it('seeded fuzz: flipped bytes and words give a model or a TfliteFormatError, quickly', () => {
    const base = real('palm_detection_lite');
    // The FlatBuffer structure sits before and after the weight data; aim half the hits there.
    const head = 1168;
    const tail = 1926176;
    const rng = makeRng(20250608);
    const pick = () => {
      const r = rng();
      if (r < 0.25) return Math.floor(rng() * head);
      if (r < 0.75) return tail + Math.floor(rng() * (base.length - tail));
      return Math.floor(rng() * base.length);
    };
    let models = 0;
    let errors = 0;
    let slowest = 0;
    for (let iter = 0; iter < 300; iter++) {
      const b = base.slice();
      const edits = 1 + Math.floor(rng() * 6);
      for (let k = 0; k < edits; k++) {
        const p = Math.min(pick(), b.length - 4);
        const kind = rng();
        if (kind < 0.4) b[p] ^= 1 << Math.floor(rng() * 8);
        else if (kind < 0.7) b[p] = Math.floor(rng() * 256);
        else dv(b).setUint32(p, [0, 0xffffffff, 0x7fffffff, 0x80000000, Math.floor(rng() * 2 ** 32)][Math.floor(rng() * 5)], true);
      }
      const t0 = performance.now();
      try {
        readTflite(b, FILE);
        models++;
      } catch (e) {
        if (!(e instanceof TfliteFormatError)) throw new Error(`fuzz iteration ${iter}: ${(e as Error).name}: ${(e as Error).message}`);
        expect(e.message).not.toContain('\n');
        errors++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(models + errors).toBe(300);
    expect(errors).toBeGreaterThan(30);
    expect(slowest).toBeLessThan(2000);
  });
});

it('is exported from src/weights/index.ts', () => {
  expect(weights.readTflite).toBe(readTflite);
  expect(weights.TfliteFormatError).toBe(TfliteFormatError);
});
