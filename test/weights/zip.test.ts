/** The zip reader on hostile archives: inflated sizes are capped before and while inflating, CRCs checked. */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../src/weights/source.ts';
import { ZipReader, ZIP_MAX_INFLATED_BYTES, DEFLATE_MAX_RATIO } from '../../src/weights/zip.ts';
import { TorchCheckpoint, type TensorRef } from '../../src/weights/pth.ts';
import { fixture } from './helpers.ts';
import { cleanFailure, expectCleanError, seeded } from './hostileHelpers.ts';
import { zipArchive, type ZipEntrySpec } from './checkpointBuilder.ts';

const readEntry = async (entries: ZipEntrySpec[], name = entries[0].name) => (await ZipReader.open(bufferSource(zipArchive(entries), 'z.zip'))).read(name);
const randomBytes = (n: number, seed = 1) => {
  const rnd = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
};

describe('inflated sizes', () => {
  it(`1 GiB declared from 1.5 MB of DEFLATE data is refused before inflating (limit ${ZIP_MAX_INFLATED_BYTES} bytes)`, async () => {
    const entry: ZipEntrySpec = { name: 'archive/data/0', data: randomBytes(1_500_000), method: 8, size: 2 ** 30 };
    const rss0 = process.memoryUsage().rss;
    const e = await cleanFailure(() => readEntry([entry]), 'z.zip');
    expect(e.message).toMatch(/entry 'archive\/data\/0' would inflate to 1073741824 bytes, over the limit of 268435456/);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 << 20);
  });
  it('an entry that inflates past its declared size stops there', async () => {
    const zeros = new Uint8Array(8 << 20);
    const e = await cleanFailure(() => readEntry([{ name: 'a', data: zeros, method: 8, size: 65536 }]), 'z.zip');
    expect(e.message).toMatch(/entry 'a' inflates past its declared 65536 bytes/);
    await cleanFailure(() => readEntry([{ name: 'a', data: new Uint8Array(1000), method: 8, size: 2000 }]), /entry 'a' inflates to 1000 bytes, expected 2000/);
  });
  it(`a declared size beyond what DEFLATE can give (${DEFLATE_MAX_RATIO}:1) is refused`, async () => {
    const data = randomBytes(1000);
    const e = await cleanFailure(() => readEntry([{ name: 'a', data, method: 8, size: 5_000_000 }]), 'z.zip');
    expect(e.message).toMatch(/declares 5000000 bytes from \d+ compressed, more than DEFLATE can produce/);
  });
  it('a stored entry that declares another size, a bad CRC, broken DEFLATE data', async () => {
    await cleanFailure(() => readEntry([{ name: 'a', data: randomBytes(100), size: 99 }]), /stored entry 'a' declares 99 bytes but holds 100/);
    await cleanFailure(() => readEntry([{ name: 'a', data: randomBytes(100), method: 8, crc: 1234 }]), /CRC mismatch in entry 'a'/);
    const zip = zipArchive([{ name: 'a', data: randomBytes(5000), method: 8 }]);
    zip[40] ^= 0xff; // inside the compressed stream (local header is 30 + 1 bytes)
    zip[41] ^= 0x5a;
    const e = await cleanFailure(async () => (await ZipReader.open(bufferSource(zip, 'z.zip'))).read('a'), 'z.zip');
    expect(e.message).toMatch(/invalid DEFLATE data|CRC mismatch|inflates/);
  });
  it('a deflated (re-zipped) checkpoint reads exactly like the stored one', async () => {
    const plain = new Uint8Array(readFileSync(fixture('hiu-small', 'plain.zip.pth')));
    const files = unzipSync(plain);
    const deflated = zipArchive(Object.entries(files).map(([name, data]) => ({ name, data, method: 8 })));
    expect(deflated.length).toBeLessThan(plain.length);
    const a = await TorchCheckpoint.open(bufferSource(plain, 'a.pth'));
    const b = await TorchCheckpoint.open(bufferSource(deflated, 'b.pth'));
    const tb = b.root as Map<string, TensorRef>;
    for (const [k, t] of a.root as Map<string, TensorRef>) expect(await b.readTensor(tb.get(k)!), k).toEqual(await a.readTensor(t));
  });
});

describe('mutated archives', () => {
  it('300 seeded mutations of a small checkpoint: each reads or fails with one clean line', async () => {
    const plain = new Uint8Array(readFileSync(fixture('tensors', 'views.zip.pth')));
    const rnd = seeded(2024);
    for (let k = 0; k < 300; k++) {
      const bytes = plain.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      // Bias towards the headers and the pickle at the ends, where a flip changes structure.
      for (let f = 0; f < flips; f++) {
        const at = rnd() < 0.5 ? Math.floor(rnd() * bytes.length) : bytes.length - 1 - Math.floor(rnd() * Math.min(bytes.length, 3000));
        bytes[at] = Math.floor(rnd() * 256);
      }
      try {
        const ck = await TorchCheckpoint.open(bufferSource(bytes, 'm.pth'));
        if (ck.root instanceof Map) for (const [name, t] of ck.root) await ck.readTensor(t as TensorRef, String(name));
      } catch (e) {
        expectCleanError(e, 'm.pth');
      }
    }
  });
});
