/**
 * Hostile and broken MANO files and .npy headers (issue #12): an unneeded 1 GiB .npz entry is never
 * inflated, an oversized needed one is refused by its declared size, sparse indices must be whole
 * and in range, degenerate meshes are refused, and every refusal is one clean line with the
 * file's names escaped. Files are built in memory from the committed random-data fixtures.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/engine/index.ts';
import { networkHandProblem, randomManoAsset } from '../../src/model/manoAsset.ts';
import { manoFromSafetensors, manoToSafetensors, parseNpyAny, readManoFile } from '../../src/weights/mano.ts';
import { readNpy } from '../../src/weights/npy.ts';
import { sha256F32 } from './helpers.ts';
import { deflateZeros, fixtureNpzEntries, npyRaw, npzOf, zipRaw } from './npzBuilder.ts';

const FIXTURE = 'MANO_RIGHT_sparse_v24.npz'; // V = 24, J_regressor stored as CSC parts
const entries = () => fixtureNpzEntries(FIXTURE);
const f64Bytes = (xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
const i32Bytes = (xs: number[]) => new Uint8Array(Int32Array.from(xs).buffer);

/** Expects a rejection whose message is one line matching `re`, without raw control characters. */
async function refuses(p: Promise<unknown>, re: RegExp) {
  const e = await p.then(() => null, (err: Error) => err);
  expect(e, 'expected a refusal').toBeInstanceOf(Error);
  expect(e!.message).toMatch(re);
  expect(e!.message).not.toMatch(/[\u0000-\u001f]/);
}

describe('MANO .npz: only what the hand model needs is read', () => {
  it('an unneeded 1 GiB entry is never inflated (fast, no memory growth)', async () => {
    const header = npyRaw('<f8', `(${2 ** 27},)`);
    const GiB = 2 ** 30;
    const zip = zipRaw([
      ...[...entries()].map(([name, data]) => ({ name, data })),
      // CRC left 0: the entry is never read, so nothing checks it.
      { name: 'unused_big.npy', data: deflateZeros(header, GiB), deflated: { size: header.length + GiB, crc: 0 } },
    ]);
    expect(zip.length).toBeLessThan(8e6);
    const rss0 = process.resourceUsage().maxRSS * 1024;
    const t0 = performance.now();
    const a = await readManoFile(zip, 'MANO_RIGHT_big.npz');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(process.resourceUsage().maxRSS * 1024 - rss0).toBeLessThan(200e6);
    expect(a.numVertices).toBe(24);
    const plain = await readManoFile(npzOf(entries()), 'MANO_RIGHT.npz');
    expect(sha256F32(a.jRegressor)).toBe(sha256F32(plain.jRegressor));
  });

  it('a needed entry declaring more bytes than V vertices can need is refused before inflating', async () => {
    const header = npyRaw('<f8', '(24, 3, 135)');
    const zip = zipRaw([
      ...[...entries()].filter(([n]) => n !== 'posedirs.npy').map(([name, data]) => ({ name, data })),
      { name: 'posedirs.npy', data: deflateZeros(header, 2 ** 30), deflated: { size: header.length + 2 ** 30, crc: 0 } },
    ]);
    const t0 = performance.now();
    await refuses(readManoFile(zip, 'MANO_RIGHT.npz'), /^MANO_RIGHT\.npz: 'posedirs': the entry declares 1073741\d+ bytes, more than the \d+ this array can need$/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('MANO sparse J_regressor: indices must be whole and in range', () => {
  const withParts = (parts: Record<string, Uint8Array>) => {
    const e = entries();
    for (const [k, v] of Object.entries(parts)) e.set(`J_regressor_${k}.npy`, v);
    return npzOf(e);
  };
  const original = (k: string) => Array.from(readNpy(entries().get(`J_regressor_${k}.npy`)!, k).data);

  it('fractional CSC indices are refused (they put entries in the wrong places)', async () => {
    const idx = original('indices').map((i, p) => (p === 5 ? i + 0.5 : i));
    await refuses(
      readManoFile(withParts({ indices: npyRaw('<f8', '(64,)', f64Bytes(idx)) }), 'MANO_RIGHT.npz'),
      /^MANO_RIGHT\.npz: 'J_regressor': csc sparse matrix: index \d+\.5 at position 5 is not a whole row number in \[0, 16\)$/,
    );
  });

  it('out-of-range indices, bad indptr and a shape that is not 16 x V are refused, the last without allocating it', async () => {
    const idx = original('indices');
    const ptr = original('indptr');
    const cases: [Record<string, Uint8Array>, RegExp][] = [
      [{ indices: npyRaw('<i4', '(64,)', i32Bytes(idx.map((i, p) => (p === 3 ? 16 : i)))) }, /index 16 at position 3 is not a whole row number/],
      [{ indptr: npyRaw('<i4', '(25,)', i32Bytes(ptr.map((v, o) => (o === 4 ? ptr[6] : v)))) }, /indptr\[5\] = \d+ is not a whole number >= indptr\[4\]/],
      [{ indptr: npyRaw('<i4', '(25,)', i32Bytes(ptr.map((v) => v + 1))) }, /indptr\[0\] is 1, not 0/],
      [{ indptr: npyRaw('<f8', '(25,)', f64Bytes(ptr.map((v, o) => (o === 2 ? v + 0.25 : v)))) }, /indptr\[2\] = [\d.]+ is not a whole number/],
      [{ shape: npyRaw('<i8', '(2,)', new Uint8Array(BigInt64Array.from([10n ** 9n, 10n ** 9n]).buffer)) }, /shape \[1000000000,1000000000\] is not the 16 x 24 the hand model needs/],
    ];
    for (const [parts, re] of cases) await refuses(readManoFile(withParts(parts), 'MANO_RIGHT.npz'), re);
  });
});

describe('MANO shapes the hand model cannot use', () => {
  it('a face array of shape (0, 3) is refused, by the reader and by manoAsset()', async () => {
    const e = entries();
    e.set('f.npy', npyRaw('<u4', '(0, 3)'));
    await refuses(readManoFile(npzOf(e), 'MANO_RIGHT.npz'), /^MANO_RIGHT\.npz: 'f' has shape \[0, 3\]: a hand mesh needs from 1 to \d+ triangles$/);
    const a = randomManoAsset(1, 20);
    const bytes = manoToSafetensors({ ...a, faces: new Uint32Array(0) });
    expect(() => manoFromSafetensors(bytes, 'hand.safetensors')).toThrow(ShapeError);
    expect(() => manoFromSafetensors(bytes, 'hand.safetensors')).toThrow(/^hand\.safetensors: MANO asset: faces has 0 values, not one or more triangles/);
  });

  it('too few vertices, and arrays whose shape does not follow V, are refused before decoding', async () => {
    const e = entries();
    e.set('v_template.npy', npyRaw('<f8', '(3, 3)', new Uint8Array(72)));
    await refuses(readManoFile(npzOf(e), 'MANO_RIGHT.npz'), /'v_template' has shape \[3, 3\], expected V x 3 with V from 16 to 65536/);
    const w = entries();
    w.set('weights.npy', npyRaw('<f8', '(24, 15)', new Uint8Array(24 * 15 * 8)));
    await refuses(readManoFile(npzOf(w), 'MANO_RIGHT.npz'), /'weights' has shape \[24, 15\], expected 24 x 16 \(V = 24 from v_template\)/);
  });

  it('names and metadata from the file are escaped in messages', async () => {
    const e = entries();
    e.delete('hands_mean.npy');
    e.set('evil\u001b[2K\rwrote ok.npy', npyRaw('<f8', '(1,)', new Uint8Array(8)));
    await refuses(readManoFile(npzOf(e), 'MANO_RIGHT.npz'), /missing 'hands_mean' .*'evil\\x1b\[2K\\x0dwrote ok'/);
    const bytes = manoToSafetensors(randomManoAsset(2, 20, 'left'), { extra: { side: 'up\u001b[2K' } });
    expect(() => manoFromSafetensors(bytes, 'hand.safetensors')).toThrow(/^hand\.safetensors: metadata side 'up\\x1b\[2K' is not 'left' or 'right'$/);
  });
});

describe('.npy headers: shape entries whole, finite, non-negative, backed by the bytes present', () => {
  const cases: [string, RegExp][] = [
    ['(2.5,)', /shape \('2\.5,'\) is not a list of whole sizes/],
    ['(-1,)', /shape \('-1,'\) is not a list of whole sizes/],
    ['(nan,)', /is not a list of whole sizes/],
    ['(1e3,)', /is not a list of whole sizes/],
    ['(99999999999999,)', /needs more bytes than the 8 of data present/],
    ['(3037000500, 3037000500, 3037000500)', /needs more bytes than the 8 of data present/],
  ];
  for (const [shape, re] of cases) {
    it(`${shape} is refused by both readers, quickly`, () => {
      const bytes = npyRaw('<f8', shape, new Uint8Array(8));
      const t0 = performance.now();
      expect(() => readNpy(bytes, 'x.npy')).toThrow(re);
      expect(() => parseNpyAny(bytes, 'x.npy')).toThrow(re);
      expect(performance.now() - t0).toBeLessThan(100);
    });
  }
  it('a valid header still reads (scalar, 1-D, 2-D, an empty dimension)', () => {
    expect(readNpy(npyRaw('<f8', '()', f64Bytes([7])), 's').data[0]).toBe(7);
    expect(readNpy(npyRaw('<f8', '(2,)', f64Bytes([1, 2])), 'v').shape).toEqual([2]);
    expect(readNpy(npyRaw('<f8', '(1, 2)', f64Bytes([1, 2])), 'm').shape).toEqual([1, 2]);
    expect(readNpy(npyRaw('<f8', '(0, 5)'), 'e').shape).toEqual([0, 5]);
  });
});

describe('one side check for the API and the CLI', () => {
  it('networkHandProblem accepts the left asset and names the problem with the right one', () => {
    expect(networkHandProblem(randomManoAsset(3, 20, 'left'))).toBeNull();
    expect(networkHandProblem(randomManoAsset(3, 20, 'right'))).toMatch(/this is a right hand asset; pass the LEFT one/);
  });
});
