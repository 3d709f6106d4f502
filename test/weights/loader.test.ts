/** loadWeights: every source kind, progress, and validation errors naming the key. */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../../tools/convert/convert.ts';
import { loadWeights, type LoadedWeights, type LoadProgress } from '../../src/weights/loader.ts';
import { writeSafetensors } from '../../src/weights/safetensors.ts';
import { fixture, sha256F32, tempDir } from './helpers.ts';

let path = '';
let bytes: Uint8Array<ArrayBuffer>;
let ref: LoadedWeights;

beforeAll(async () => {
  path = join(tempDir(), 'w.safetensors');
  await convertFile(fixture('hiu-small', 'plain.zip.pth'), path);
  bytes = new Uint8Array(readFileSync(path));
  ref = await loadWeights(path);
});

function expectSame(w: LoadedWeights) {
  expect(w.config).toEqual(ref.config);
  expect(w.tensors.size).toBe(ref.tensors.size);
  for (const [k, t] of ref.tensors) expect(sha256F32(w.tensors.get(k)!.data), k).toBe(sha256F32(t.data));
}

describe('sources', () => {
  it('ArrayBuffer, Uint8Array and Blob', async () => {
    expectSame(await loadWeights(bytes.slice().buffer));
    expectSame(await loadWeights(bytes));
    expectSame(await loadWeights(new Blob([bytes])));
  });
  it('a URL, streamed in small odd-sized chunks, with progress', async () => {
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-length': String(bytes.length) });
      let off = 0;
      const step = () => {
        if (off >= bytes.length) return res.end();
        res.write(bytes.subarray(off, off + 997), step); // 997: chunk edges fall inside headers and tensors
        off += 997;
      };
      step();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const progress: number[] = [];
    const totals = new Set<number | undefined>();
    try {
      expectSame(await loadWeights(`http://127.0.0.1:${port}/w.safetensors`, { onProgress: (p) => (progress.push(p.loaded), totals.add(p.total)) }));
    } finally {
      server.close();
    }
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((v, i) => i === 0 || v >= progress[i - 1])).toBe(true);
    expect(progress[progress.length - 1]).toBe(bytes.length);
    expect([...totals]).toEqual([bytes.length]); // from Content-Length
  });
  it('a path reports total size in progress', async () => {
    let last: LoadProgress = { loaded: 0 };
    await loadWeights(path, { onProgress: (p) => (last = p) });
    expect(last).toEqual({ loaded: bytes.length, total: bytes.length });
  });
});

/** Re-encodes the reference tensors with one change, keeping the metadata (and so the config). */
function variant(edit: (list: { name: string; shape: number[]; data: Float32Array }[]) => void): Uint8Array {
  const list = [...ref.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  edit(list);
  return writeSafetensors(list, ref.metadata);
}

describe('validation names the first bad key', () => {
  it('missing', async () => {
    const b = variant((l) => l.splice(l.findIndex((t) => t.name === 'tams.1.convs.3.1.bias'), 1));
    await expect(loadWeights(b)).rejects.toThrow("<buffer>: missing tensor 'tams.1.convs.3.1.bias' (expected shape [6])");
  });
  it('extra', async () => {
    const b = variant((l) => l.push({ name: 'regressors.1.2.3.0.bias', shape: [61], data: new Float32Array(61) }));
    await expect(loadWeights(b)).rejects.toThrow("unexpected tensor 'regressors.1.2.3.0.bias'");
  });
  it('mis-shaped', async () => {
    const b = variant((l) => {
      const i = l.findIndex((t) => t.name === 'pof_decs.0.predict.2.0.weight');
      l[i] = { name: l[i].name, shape: [62, 8, 3, 3], data: new Float32Array(62 * 72) };
    });
    await expect(loadWeights(b)).rejects.toThrow("tensor 'pof_decs.0.predict.2.0.weight' has shape [62,8,3,3], expected [63,8,3,3]");
  });
  it('a plain safetensors file without our metadata: config inferred from the shapes', async () => {
    const b = writeSafetensors([...ref.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
    expectSame(await loadWeights(b));
  });
  it('an unsupported format version', async () => {
    const b = writeSafetensors([...ref.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), { ...ref.metadata, format_version: '99' });
    await expect(loadWeights(b)).rejects.toThrow(/weight format version '99' is not supported/);
  });
  it('a truncated file', async () => {
    // Size known: refused from the header, before any tensor is read.
    await expect(loadWeights(bytes.subarray(0, bytes.length - 10))).rejects.toThrow(/^<buffer>: truncated safetensors file: the header declares \d+ data bytes from offset \d+, the file has \d+$/);
    await expect(loadWeights(bytes.subarray(0, 100))).rejects.toThrow(/truncated safetensors file/);
  });
  it('not a safetensors file', async () => {
    await expect(loadWeights(readFileSync(fixture('hiu-small', 'plain.zip.pth')))).rejects.toThrow(/not a safetensors file/);
  });
});
