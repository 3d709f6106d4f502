/**
 * Issue #12, TFLite reader and importer: hostile names, shapes, op lists and bundles give one
 * clean line (names escaped, no JavaScript wording), fast, with nothing sized from a claim.
 */
import { deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/import/tflite.ts';
import { describeTflite, formatSummary } from '../../src/import/tfliteInfo.ts';
import { MAX_LISTED_PROBLEMS, MAX_PROBLEMS_CHARS, UnsupportedModelError } from '../../src/import/tfliteSupport.ts';
import { f32ToF16 } from '../../src/weights/dtype.ts';
import { MAX_TENSOR_ELEMENTS, MAX_TENSOR_RANK, readModelBundle, readTflite, TfliteFormatError } from '../../src/weights/tflite.ts';
import { ZIP_MAX_INFLATED_BYTES } from '../../src/weights/zip.ts';
import { ACT, buildTflite, f32Bytes, OP, OPTIONS, TYPE, type BModel } from './tfliteBuilder.ts';
import { expectCleanMessage } from './hostileHelpers.ts';

const ESC_NAME = '\u001b[2K\rwrote out.safetensors';
const ESCAPED = "'\\x1b[2K\\x0dwrote out.safetensors'";

/** y = relu6(x + w): x [1,4] input, w [4] f32 constant. `edit` changes it before layout. */
function model(edit: (m: BModel) => void = () => {}): Uint8Array {
  const m: BModel = {
    tensors: [
      { name: 'x', shape: [1, 4] },
      { name: 'w', shape: [4], data: f32Bytes([1, 2, 3, 4]) },
      { name: 'y', shape: [1, 4] },
    ],
    ops: [{ code: OP.ADD, inputs: [0, 1], outputs: [2], optionsType: OPTIONS.Add, options: [[0, 'i8', ACT.RELU6]] }],
    inputs: [0],
    outputs: [2],
  };
  edit(m);
  return buildTflite(m);
}

/** The error fn throws: of the given class, one clean line starting with the file name. */
function refusal(fn: () => unknown, file: string, type: new (...a: never[]) => Error = TfliteFormatError): string {
  const t0 = performance.now();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(err, 'it must throw').toBeInstanceOf(type);
  const msg = (err as Error).message;
  expect(msg.startsWith(`${file}: `), msg).toBe(true);
  expectCleanMessage(msg);
  return msg;
}

describe('names from the file are escaped', () => {
  it('a tensor name with control characters, in problems, errors and the summary', () => {
    const bytes = model((m) => {
      m.tensors[1] = { ...m.tensors[1], name: ESC_NAME, quantized: true };
    });
    const m = readTflite(bytes, 'n.tflite');
    expect(m.tensors[1].name).toBe(ESC_NAME); // the data keeps the name; messages escape it
    expect(m.problems).toEqual([`Tensor[1] ${ESCAPED}: float32 tensor is quantized (scale/zero point); quantized models are not supported`]);
    expect(refusal(() => importTflite(m), 'n.tflite', UnsupportedModelError)).toContain(ESCAPED);
    const summary = formatSummary(describeTflite(readTflite(model((p) => (p.tensors[0].name = ESC_NAME)), 's.tflite')));
    expect(summary).toContain(`  ${ESCAPED} [1, 4] float32`);
    expect(summary).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const short = model((p) => ((p.tensors[1].name = ESC_NAME), (p.tensors[1].data = f32Bytes([1, 2, 3]))));
    expect(refusal(() => readTflite(short, 't.tflite'), 't.tflite')).toBe(`t.tflite: Tensor[1] ${ESCAPED}: Buffer[1] holds 12 bytes, but shape [4] of float32 needs 16`);
  });

  it('a custom op code with control characters', () => {
    const m = readTflite(model((p) => p.ops.push({ code: 32, custom: ESC_NAME, inputs: [2], outputs: [2] })), 'c.tflite');
    const msg = refusal(() => importTflite(m), 'c.tflite', UnsupportedModelError);
    expect(msg).toContain(`op CUSTOM:${ESCAPED} (1x) is not supported`);
    expect(formatSummary(describeTflite(m))).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('invalid UTF-8 names the field and the byte, never the decoder\'s own words', () => {
    const b = model((p) => (p.tensors[0].name = 'x\u00e9'));
    const at = Buffer.from(b).indexOf(Buffer.from('x\u00e9')) + 1;
    b[at] = 0xff;
    expect(refusal(() => readTflite(b, 'u.tflite'), 'u.tflite')).toMatch(new RegExp(`^u\\.tflite: Tensor\\[0\\]\\.name: string at byte \\d+ is not valid UTF-8 \\(bad byte at ${at}\\)$`));
  });

  it('a zip entry name with control characters is escaped in the model\'s file label', () => {
    const task = zipSync({ [`${ESC_NAME}.tflite`]: model((p) => (p.tensors[1].data = f32Bytes([1]))) });
    expect(refusal(() => readModelBundle(task, 'b.task'), `b.task/'\\x1b[2K\\x0dwrote out.safetensors.tflite'`)).toMatch(/Buffer\[1\] holds 4 bytes/);
  });
});

describe('shapes and op lists cannot size work or crash the importer', () => {
  it(`an activation over ${MAX_TENSOR_ELEMENTS} elements is a problem; nothing is allocated for it`, () => {
    const before = process.memoryUsage().arrayBuffers;
    const m = readTflite(model((p) => ((p.tensors[0].shape = [1, 2 ** 20, 2 ** 20, 4]), (p.tensors[2].shape = [1, 2 ** 20, 2 ** 20, 4]))), 'big.tflite');
    expect(m.problems).toContain(`Tensor[0] 'x': shape [1,1048576,1048576,4] has 4398046511104 elements, more than the ${MAX_TENSOR_ELEMENTS} supported`);
    refusal(() => importTflite(m), 'big.tflite', UnsupportedModelError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it(`a shape of more than ${MAX_TENSOR_RANK} dimensions is a format error (messages print shapes whole)`, () => {
    expect(refusal(() => readTflite(model((p) => (p.tensors[0].shape = new Array(9).fill(1))), 'r.tflite'), 'r.tflite')).toBe(
      `r.tflite: Tensor[0].shape: rank 9 is more than the ${MAX_TENSOR_RANK} dimensions a tensor may have`,
    );
  });

  it('a negative (dynamic) activation dimension is a problem; in a constant it is a format error', () => {
    const m = readTflite(model((p) => (p.tensors[0].shape = [-1, 4])), 'd.tflite');
    expect(m.problems).toContain("Tensor[0] 'x': shape [-1,4] has a dynamic (negative) dimension; only fixed shapes are supported");
    refusal(() => readTflite(model((p) => (p.tensors[1].shape = [-4])), 'd.tflite'), 'd.tflite');
  });

  it('ops with too few inputs, an omitted required input or no output (found by the mutation run)', () => {
    const cases: [(p: BModel) => void, string][] = [
      [(p) => (p.ops[0].inputs = [0]), "op 0 ADD ('y'): has 1 inputs, expected 2"],
      [(p) => (p.ops[0].inputs = [0, -1]), "op 0 ADD ('y'): input 1 is omitted but required"],
      [(p) => (p.ops[0].outputs = []), 'op 0 ADD: has 0 outputs, expected 1'],
      [(p) => (p.ops[0] = { code: OP.CONV_2D, inputs: [0, 1, 1, 1], outputs: [2] }), "op 0 CONV_2D ('y'): has 4 inputs, expected 2 to 3"],
      [(p) => (p.ops[0] = { code: OP.CONCATENATION, inputs: [0, -1], outputs: [2] }), "op 0 CONCATENATION ('y'): input 1 is omitted but required"],
    ];
    for (const [edit, want] of cases) {
      const m = readTflite(model(edit), 'a.tflite');
      expect(refusal(() => importTflite(m), 'a.tflite', UnsupportedModelError)).toContain(want);
    }
  });

  it('an op graph with a cycle is an UnsupportedModelError', () => {
    const m = readTflite(model((p) => p.ops.push({ code: OP.RELU, inputs: [2], outputs: [0] })), 'cy.tflite');
    expect(refusal(() => importTflite(m), 'cy.tflite', UnsupportedModelError)).toBe('cy.tflite: the op graph has a cycle');
  });

  it(`one error lists at most ${MAX_LISTED_PROBLEMS} problems, in at most ${MAX_PROBLEMS_CHARS} characters`, () => {
    const m = readTflite(model((p) => {
      for (let i = 0; i < 50; i++) p.tensors.push({ name: `q${i}`, shape: [1], type: TYPE.INT8, data: new Uint8Array(1), quantized: true });
    }), 'q.tflite');
    // A capability report, not a refusal of a hostile file: long (one line per problem, cut), so checked line by line.
    let msg = '';
    try {
      importTflite(m);
    } catch (e) {
      msg = (e as Error).message;
    }
    const shown = m.problems.filter((p) => msg.includes(p)).length;
    expect(shown).toBeGreaterThanOrEqual(1);
    expect(shown).toBeLessThanOrEqual(MAX_LISTED_PROBLEMS);
    expect(msg).toMatch(new RegExp(`^q\\.tflite: cannot run on the engine: .*; and ${m.problems.length - shown} more \\(hiu inspect lists them all\\)$`));
    expect(msg).toContain(m.problems[shown - 1]);
    expect(msg).not.toContain(m.problems[shown]);
    expect(msg.length).toBeLessThan('q.tflite: cannot run on the engine: '.length + MAX_PROBLEMS_CHARS + 60);
    expect(msg).not.toMatch(/[\u0000-\u001f]/);
    for (const p of m.problems) expectCleanMessage(p);
  });

  it('NaN or infinite constants are reported, naming the tensor (f32 and f16)', () => {
    const f16 = model((p) => {
      p.tensors[1] = { name: 'w16', shape: [4], type: TYPE.FLOAT16, data: new Uint8Array(f32ToF16(new Float32Array([1, 2, 1e6, 4])).buffer) };
      p.tensors.push({ name: 'w', shape: [4] });
      p.ops.unshift({ code: OP.DEQUANTIZE, inputs: [1], outputs: [3] });
      p.ops[1].inputs = [0, 3];
    });
    expect(readTflite(f16, 'h.tflite').problems).toEqual(["Tensor[1] 'w16': constant holds Infinity at element 2; weights must be finite"]);
    const nan = readTflite(model((p) => (p.tensors[1].data = f32Bytes([1, NaN, 3, 4]))), 'n.tflite');
    expect(nan.problems).toEqual(["Tensor[1] 'w': constant holds NaN at element 1; weights must be finite"]);
    refusal(() => importTflite(nan), 'n.tflite', UnsupportedModelError);
  });
});

describe('.task bundles inflate only what is needed, bounded by the declared size', () => {
  it('a large deflated metadata entry is never inflated', () => {
    const zeros = new Uint8Array(deflateRawSync(new Uint8Array(128 << 20))); // 128 MiB of zeros in ~130 KB (native zlib: fast)
    const task = zipSync({ 'a.tflite': model(), 'notes.bin': [zeros, { level: 0 }] });
    // Mark notes.bin as deflated with its true size: the zip then holds a 128 MiB entry in 130 KB.
    const v = new DataView(task.buffer);
    const cd = Buffer.from(task).lastIndexOf(Buffer.from('PK\u0001\u0002'));
    const local = v.getUint32(cd + 42, true);
    for (const [at, method] of [[cd + 10, 8], [local + 8, 8]]) v.setUint16(at, method, true);
    v.setUint32(cd + 24, 128 << 20, true);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expect([...readModelBundle(task, 'm.task').keys()]).toEqual(['a.tflite']);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
  });

  it('a model entry declaring more than the cap, or inflating past its declared size', () => {
    const task = zipSync({ 'a.tflite': model() });
    const v = new DataView(task.buffer);
    const cd = Buffer.from(task).lastIndexOf(Buffer.from('PK\u0001\u0002'));
    const real = v.getUint32(cd + 24, true);
    v.setUint32(cd + 24, ZIP_MAX_INFLATED_BYTES + 1, true);
    // Within DEFLATE's ratio for this entry? Then the cap decides; else the ratio check does.
    expect(refusal(() => readModelBundle(task, 'c.task'), 'c.task')).toMatch(
      /^c\.task: zip: entry 'a\.tflite': (would inflate to \d+ bytes, over the limit of \d+|declares \d+ bytes from \d+ compressed, more than DEFLATE can produce)$/,
    );
    v.setUint32(cd + 24, real - 10, true);
    expect(refusal(() => readModelBundle(task, 'c.task'), 'c.task')).toBe(`c.task: zip: entry 'a.tflite': inflates past its declared ${real - 10} bytes`);
    v.setUint32(cd + 24, real + 10, true);
    expect(refusal(() => readModelBundle(task, 'c.task'), 'c.task')).toBe(`c.task: zip: entry 'a.tflite': inflates to ${real} bytes, expected ${real + 10}`);
  });
});
