/**
 * Issue #12, engine weight files: hostile safetensors headers and metadata are refused from the
 * header alone, fast, with one line naming the file and the key, before anything is allocated.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../../tools/convert/convert.ts';
import { CONFIG_LIMITS, expectedHiuShapes, type HiuConfig } from '../../src/weights/config.ts';
import { f32ToF16 } from '../../src/weights/dtype.ts';
import { loadWeights, type LoadedWeights } from '../../src/weights/loader.ts';
import { encodeHeader, headerLength, MAX_HEADER_BYTES, MAX_RANK, parseHeader, writeSafetensors } from '../../src/weights/safetensors.ts';
import { fixture, tempDir } from './helpers.ts';
import { expectCleanMessage } from './hostileHelpers.ts';

let ref: LoadedWeights;
let refConfig: HiuConfig;

beforeAll(async () => {
  const path = join(tempDir(), 'w.safetensors');
  await convertFile(fixture('hiu-small', 'plain.zip.pth'), path);
  ref = await loadWeights(path);
  refConfig = JSON.parse(ref.metadata.config) as HiuConfig;
});

/** The one-line error a load must give, quickly, without growing memory. */
async function refusal(source: Parameters<typeof loadWeights>[0], ms = 2000): Promise<string> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let err: unknown;
  try {
    await loadWeights(source);
  } catch (e) {
    err = e;
  }
  const took = performance.now() - t0;
  expect(err, 'the load must fail').toBeInstanceOf(Error);
  const msg = (err as Error).message;
  expectCleanMessage(msg);
  expect(took, msg).toBeLessThan(ms);
  expect(process.memoryUsage().arrayBuffers - before, msg).toBeLessThan(64 << 20);
  return msg;
}

/** The reference weights with edited metadata config (the tensors unchanged). */
function withConfig(edit: (c: Record<string, unknown>) => void): Uint8Array {
  const c = structuredClone(refConfig) as unknown as Record<string, unknown>;
  edit(c);
  return writeSafetensors([...ref.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), { ...ref.metadata, config: JSON.stringify(c) });
}

/** A safetensors file from a raw header object and `data` bytes after it. */
function rawFile(header: unknown, data = 0): Uint8Array {
  const body = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + body.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

describe('metadata configuration is checked against the tensors before anything is built', () => {
  it('stacks: 1000000 (issue #12: 3-4 GB and a minute before)', async () => {
    expect(await refusal(withConfig((c) => (c.stacks = 1_000_000)))).toBe(
      `<buffer>: metadata config stacks = 1000000 is not an integer in 1..${CONFIG_LIMITS.stacks}`,
    );
  });
  it('encoderBlocks: 1e7 (issue #12)', async () => {
    expect(await refusal(withConfig((c) => ((c.encoderBlocks as number[])[0] = 1e7)))).toBe(
      `<buffer>: metadata config encoderBlocks[0] = 10000000 is not an integer in 1..${CONFIG_LIMITS.blocks}`,
    );
  });
  it('counts within the limits that disagree with the tensors present', async () => {
    expect(await refusal(withConfig((c) => (c.stacks = 16)))).toBe('<buffer>: metadata config stacks = 16 disagrees with the tensors in the file (2)');
    expect(await refusal(withConfig((c) => (c.regressorBlocks = [1, 1, 64, 1])))).toBe(
      '<buffer>: metadata config regressorBlocks = [1, 1, 64, 1] disagrees with the tensors in the file ([1, 1, 2, 1])',
    );
    expect(await refusal(withConfig((c) => (c.regressorMlp = [24, 16])))).toMatch(/metadata config regressorMlp\.length = 2 disagrees with the tensors in the file \(3\)$/);
  });
  it('values of the wrong kind, non-integral or out of range name the key and the value', async () => {
    const cases: [(c: Record<string, unknown>) => void, string][] = [
      [(c) => (c.stacks = 2.5), 'stacks = 2.5 is not an integer in 1..16'],
      [(c) => (c.stacks = '2'), "stacks = '2' is not an integer"],
      [(c) => delete c.stacks, 'stacks is missing; it is not an integer'],
      [(c) => (c.inputSize = 100), 'inputSize = 100 is not a multiple of 32'],
      [(c) => (c.inputSize = 1e9), 'inputSize = 1000000000 is not an integer in 32..4096'],
      [(c) => (c.stemWidths = [6, 1e308]), 'stemWidths[1] = 1e+308 is not an integer'],
      [(c) => (c.encoderChannels = [12, 16, 20]), 'encoderChannels = [12, 16, 20] is not a list of 4 integers'],
      [(c) => ((c.heads as Record<string, unknown>).pof = -63), 'heads.pof = -63 is not an integer in 1..8192'],
      [(c) => (c.heads = null), 'heads = null is not an object'],
      [(c) => (c.midWidths = { encoders: [[[5]]], regressor: [] }), 'midWidths.encoders = a list of 1 is not a list of 2 lists (one per stack)'],
      [(c) => (c.architecture = 'hiu\u001b[2K'), "architecture = 'hiu\\x1b[2K' is not 'hiu-dmtl' or 'hand-detector'"],
    ];
    for (const [edit, want] of cases) expect(await refusal(withConfig(edit))).toContain(`<buffer>: metadata config ${want}`);
  });
  it('a valid declared config still loads', async () => {
    const w = await loadWeights(withConfig(() => {}));
    expect(w.config).toEqual(refConfig);
  });
  it('hand-detector files: the declared config loads; counts and widths are checked the same way', async () => {
    const path = join(tempDir(), 'det.safetensors');
    await convertFile(fixture('detector-small', 'module.zip.pth'), path);
    const det = await loadWeights(path);
    expect(det.architecture).toBe('hand-detector');
    const tensors = [...det.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    const edited = (edit: (c: Record<string, unknown>) => void) => {
      const c = JSON.parse(det.metadata.config) as Record<string, unknown>;
      edit(c);
      return writeSafetensors(tensors, { ...det.metadata, config: JSON.stringify(c) });
    };
    const blocks = (det.config as { stageBlocks: number[] }).stageBlocks;
    expect(await refusal(edited((c) => (c.stageBlocks = [64, ...blocks.slice(1)])))).toBe(
      `<buffer>: metadata config stageBlocks = [64, ${blocks.slice(1).join(', ')}] disagrees with the tensors in the file ([${blocks.join(', ')}])`,
    );
    expect(await refusal(edited((c) => (c.stageBlocks = [1e7, 1, 1, 1])))).toBe('<buffer>: metadata config stageBlocks[0] = 10000000 is not an integer in 1..64');
    expect(await refusal(edited((c) => (c.outputs = 99)))).toMatch(/^<buffer>: tensor 'out\.3\.weight' has shape \[\d+(,\d+)*\], expected \[99,/);
  });
});

describe('header ranges are checked against the file before any allocation', () => {
  it('a header declaring a 29 GB tensor in a 64-byte file (issue #12)', async () => {
    const b = rawFile({ t: { dtype: 'F32', shape: [7_250_000_000], data_offsets: [0, 29_000_000_000] } }, 0);
    const file = new Uint8Array(64);
    file.set(b.subarray(0, 64));
    // 64 bytes hold less than the header: refused from its length.
    expect(await refusal(file)).toMatch(/^<buffer>: truncated safetensors file \(or not one\): header of \d+ bytes, file of 64$/);
    // With the header whole and a few data bytes: refused from the declared ranges.
    expect(await refusal(rawFile({ t: { dtype: 'F32', shape: [7_250_000_000], data_offsets: [0, 29_000_000_000] } }, 8))).toMatch(
      /^<buffer>: truncated safetensors file: the header declares 29000000000 data bytes from offset \d+, the file has 8$/,
    );
  });

  it('from a source of unknown size, a tensor takes memory only as its bytes arrive', async () => {
    // A consistent plain file whose stem.1 weight is 8192 x 8192 x 7 x 7 f32 (13 GB), served without Content-Length.
    const huge: HiuConfig = { ...refConfig, stemWidths: [8192, 8192] };
    const entries = [...expectedHiuShapes(huge, 'engine')].map(([name, shape]) => ({ name, shape, dtype: 'F32' as const }));
    const { bytes: header } = encodeHeader(entries, {});
    const server = createServer((_, res) => {
      res.writeHead(200); // chunked: no size known in advance
      res.write(header);
      res.end(new Uint8Array(8 << 20)); // stem.0 and its norm, then a little of stem.1
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await refusal(`http://127.0.0.1:${port}/w.safetensors`, 10_000)).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/w\.safetensors: truncated safetensors file: tensor 'stem\.1\.0\.weight' incomplete \(\d+ bytes read\)$/,
      );
    } finally {
      server.close();
    }
  });

  it('trailing bytes, gaps, overlaps and duplicate ranges', async () => {
    const t = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
    expect(await refusal(rawFile({ a: t(0, 8) }, 12))).toMatch(/^<buffer>: 4 trailing bytes after the last tensor \(data ends at offset \d+, the file at \d+\)$/);
    expect(await refusal(rawFile({ a: t(0, 8), b: t(12, 16) }, 16))).toBe("<buffer>: tensor 'b' starts at data byte 12, leaving a gap after byte 8");
    expect(await refusal(rawFile({ a: t(0, 8), b: t(4, 12) }, 12))).toBe("<buffer>: tensor 'b' (data bytes 4..12) overlaps tensor 'a' (bytes 0..8)");
    expect(await refusal(rawFile({ a: t(0, 8), b: t(0, 8) }, 8))).toBe("<buffer>: tensor 'b' (data bytes 0..8) overlaps tensor 'a' (bytes 0..8)");
  });

  it('entries that do not fit their dtype and shape, or are not numbers', async () => {
    const cases: [unknown, string][] = [
      [{ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, "tensor 'a': data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12"],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, "tensor 'a': data_offsets [8, 0] hold -8 bytes, but F32 [2] needs 8"],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0.5, 8.5] } }, "tensor 'a': data_offsets [0.5, 8.5] are not two non-negative integers"],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: ['0', '8'] } }, "tensor 'a': data_offsets a list of 2 are not two non-negative integers"],
      [{ a: { dtype: 'F32', shape: [2] } }, "tensor 'a': data_offsets (absent) are not two non-negative integers"],
      [{ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, "tensor 'a': shape [-2] is not a list of at most 8 non-negative integers"],
      [{ a: { dtype: 'F32', shape: new Array(MAX_RANK + 1).fill(1), data_offsets: [0, 4] } }, "tensor 'a': shape a list of 9 is not a list of at most 8 non-negative integers"],
      [{ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, "tensor 'a': shape [1099511627776,1099511627776] is impossibly large"],
      [{ a: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, "tensor 'a': shape 'x' is not a list"],
      [{ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, "tensor 'a' has dtype 'I64'; only F32 and F16 are supported"],
      [{ a: null }, "tensor 'a': header entry is not an object"],
      [{ a: [1, 2] }, "tensor 'a': header entry is not an object"],
      [{ __metadata__: [1] }, 'safetensors __metadata__ is not an object'],
      [{ __metadata__: { config: { stacks: 4 } } }, "safetensors __metadata__ 'config' is not a string"],
      [[1, 2], 'not a safetensors file (header is JSON but not an object)'],
      ['null', 'not a safetensors file (header is JSON but not an object)'],
      ['{"a": {"dtype": "F32",}', 'not a safetensors file (header is not valid JSON near character 22 of the header)'],
      ['{"a": ', 'not a safetensors file (header is not valid JSON: it ends early)'],
    ];
    for (const [header, want] of cases) expect(await refusal(rawFile(header, 8))).toContain(`<buffer>: ${want}`);
  });

  it('a header that is not UTF-8 names the byte; a header length over the cap is refused from 8 bytes', async () => {
    const b = rawFile('{"ab": 1}', 0);
    b[8 + 3] = 0xff;
    expect(await refusal(b)).toBe('<buffer>: not a safetensors file (header is not valid UTF-8 at byte 11)');
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES) + 1n, true);
    expect(await refusal(big)).toBe(`<buffer>: not a safetensors file (header length ${MAX_HEADER_BYTES + 1} bytes at offset 0; at most ${MAX_HEADER_BYTES} are accepted)`);
    expect(() => headerLength(new Uint8Array(8).fill(0xff), 'x.safetensors')).toThrow(/^x\.safetensors: not a safetensors file \(header length 18446744073709551615 bytes/);
  });

  it('tensor names are escaped and cut in messages', () => {
    const name = `\u001b[2K\rwrote out.safetensors ${'x'.repeat(500)}`;
    const body = new TextEncoder().encode(JSON.stringify({ [name]: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }));
    let msg = '';
    try {
      parseHeader(body, 'h.safetensors');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^h\.safetensors: tensor '\\x1b\[2K\\x0dwrote out\.safetensors x+'\.\.\. \(cut at 80 characters\) has dtype 'F64'/);
    expect(msg.length).toBeLessThan(250);
  });
});

describe('weights must be finite', () => {
  const withTensor = (key: string, data: (n: number) => Float32Array | Uint16Array) =>
    writeSafetensors([...ref.tensors].map(([name, t]) => ({ name, shape: t.shape, data: name === key ? data(t.data.length) : t.data })), ref.metadata);

  it('a NaN in an f32 tensor names the tensor and the element', async () => {
    const key = 'encs.1.ops.0.0.convs.1.0.weight';
    expect(await refusal(withTensor(key, (n) => Object.assign(new Float32Array(n), { 7: NaN })))).toBe(
      `<buffer>: tensor '${key}' holds NaN at element 7; weights must be finite`,
    );
  });
  it('an infinity in an f16 tensor (f16 overflow) is refused too', async () => {
    const key = 'stem.0.1.running_var';
    const f16 = (n: number) => f32ToF16(Object.assign(new Float32Array(n).fill(1), { 2: 1e6 }));
    expect(await refusal(withTensor(key, f16))).toBe(`<buffer>: tensor '${key}' holds Infinity at element 2; weights must be finite`);
  });
  it('the reference file itself is finite and loads', async () => {
    const path = join(tempDir(), 'again.safetensors');
    await convertFile(fixture('hiu-small', 'plain.zip.pth'), path);
    expect((await loadWeights(readFileSync(path))).tensors.size).toBe(ref.tensors.size);
  });
});
