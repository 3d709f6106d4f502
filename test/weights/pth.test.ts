/** The .pth reader on its own: views, dtypes, both serialisations, hostile pickles, broken zips. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource, fileSource } from '../../src/weights/source.ts';
import { TorchCheckpoint, isTensorRef, type TensorRef } from '../../src/weights/pth.ts';
import { unpickle, UnsafePickleError } from '../../src/weights/pickle.ts';
import { f16ToF32, f32ToF16 } from '../../src/weights/dtype.ts';
import { fixture, npy, P, pickleBytes, torchZip } from './helpers.ts';

const NAMES = ['f32', 'f32_permuted', 'f32_slice', 'f32_expanded', 'f32_scalar', 'f32_empty', 'f16', 'f16_transposed',
  'bf16_slice', 'f64_transposed', 'param', 'i64'];

describe.each(['views.zip.pth', 'views.legacy.pth'])('tensor views and dtypes: %s', (file) => {
  it('rebuilds every tensor exactly (offsets, strides, stride 0, f16/bf16/f64)', async () => {
    const ck = await TorchCheckpoint.open(await fileSource(fixture('tensors', file)));
    expect(ck.format).toBe(file.includes('legacy') ? 'legacy' : 'zip');
    const root = ck.root as Map<string, TensorRef>;
    expect([...root.keys()]).toEqual(NAMES);
    const dtypes = Object.fromEntries([...root].map(([k, t]) => [k, t.dtype]));
    expect(dtypes).toMatchObject({ f16: 'f16', bf16_slice: 'bf16', f64_transposed: 'f64', f32_slice: 'f32', i64: 'i64' });
    for (const name of NAMES) {
      const t = root.get(name)!;
      expect(isTensorRef(t)).toBe(true);
      const ref = npy('tensors', `${name}.npy`);
      expect(t.shape, name).toEqual(ref.shape);
      const got = await ck.readTensor(t);
      // Bit for bit: compare the raw f32 bits, so -0 vs 0 or a 1-ulp difference fails.
      expect(new Uint32Array(got.buffer), name).toEqual(new Uint32Array(ref.data.buffer, ref.data.byteOffset, ref.data.length));
    }
    await ck.close();
  });
});

describe('f16 conversion', () => {
  it('rounds f32 -> f16 exactly as numpy does (ties to even, subnormals, overflow)', () => {
    const table = npy('tensors', 'f16_rounding.npy');
    const n = table.shape[1];
    const input = table.data.slice(0, n);
    const want = table.data.slice(n);
    const got = f16ToF32(f32ToF16(input));
    expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
  });
});

const hostile = (bytes: Uint8Array) => TorchCheckpoint.open(bufferSource(torchZip(bytes), 'hostile.pth'));

describe('hostile pickles are refused, naming the global', () => {
  it('GLOBAL os.system', async () => {
    const pkl = pickleBytes(P.proto(2), P.global('os', 'system'), P.str('echo pwned'), P.tuple1, P.reduce, P.stop);
    await expect(hostile(pkl)).rejects.toThrow("unsafe pickle global 'os.system' in hostile.pth");
  });
  it('builtins.eval through STACK_GLOBAL (protocol 4)', async () => {
    const pkl = pickleBytes(P.proto(4), P.str('builtins'), P.str('eval'), P.stackGlobal, P.str('1+1'), P.tuple1, P.reduce, P.stop);
    await expect(hostile(pkl)).rejects.toThrow("unsafe pickle global 'builtins.eval'");
  });
  it('REDUCE on a callable that is not on the allowlist (a storage class, a string)', async () => {
    const onMarker = pickleBytes(P.proto(2), P.global('torch', 'FloatStorage'), P.emptyTuple, P.reduce, P.stop);
    await expect(hostile(onMarker)).rejects.toThrow("REDUCE on unknown callable 'torch.FloatStorage'");
    const onString = pickleBytes(P.proto(2), P.str('os.system'), P.emptyTuple, P.reduce, P.stop);
    await expect(hostile(onString)).rejects.toThrow(/REDUCE on unknown callable the string 'os\.system'/);
  });
  it('BUILD on anything but a dict', async () => {
    const pkl = pickleBytes(P.proto(2), P.str('x'), P.emptyDict, P.build, P.stop);
    await expect(hostile(pkl)).rejects.toThrow(UnsafePickleError);
  });
  it('a checkpoint pickled by Python with os.system in it (posix.system)', async () => {
    const src = await fileSource(fixture('bad', 'hostile-reduce.zip.pth'));
    await expect(TorchCheckpoint.open(src)).rejects.toThrow(/unsafe pickle global 'posix\.system'/);
  });
  it('the VM alone refuses unknown globals even with an empty allowlist', () => {
    const pkl = pickleBytes(P.proto(2), P.global('subprocess', 'Popen'), P.stop);
    expect(() => unpickle(pkl, { name: 't', globals: {} })).toThrow("unsafe pickle global 'subprocess.Popen'");
  });
});

describe('broken containers', () => {
  const plain = new Uint8Array(readFileSync(fixture('hiu-small', 'plain.zip.pth')));
  it('a truncated zip', async () => {
    for (const frac of [0.3, 0.9, 0.999]) {
      const cut = plain.subarray(0, Math.floor(plain.length * frac));
      await expect(TorchCheckpoint.open(bufferSource(cut, 'cut.pth'))).rejects.toThrow(/cut\.pth: corrupt or truncated zip/);
    }
  });
  it('a zip with a corrupted storage (CRC mismatch)', async () => {
    const bad = plain.slice();
    const ck0 = await TorchCheckpoint.open(bufferSource(bad, 'crc.pth'));
    const t = (ck0.root as Map<string, TensorRef>).get('stem.0.0.weight')!;
    // Flip a byte inside the first storage's data.
    const zip = (ck0 as unknown as { zip: { entries: Map<string, { localHeaderOffset: number }>; dataRange(e: unknown): Promise<{ offset: number }> } }).zip;
    const entry = [...zip.entries.values()].find((e) => (e as unknown as { name: string }).name.endsWith(`/data/${t.storage.key}`))!;
    const { offset } = await zip.dataRange(entry);
    bad[offset + 3] ^= 0xff;
    const ck = await TorchCheckpoint.open(bufferSource(bad, 'crc.pth'));
    await expect(ck.readTensor(t)).rejects.toThrow(/CRC mismatch/);
  });
  it('a truncated legacy checkpoint', async () => {
    const legacy = new Uint8Array(readFileSync(fixture('hiu-small', 'model.legacy.pth')));
    const head = legacy.subarray(0, 5000); // inside the main pickle
    await expect(TorchCheckpoint.open(bufferSource(head, 'l.pth'))).rejects.toThrow(/l\.pth: legacy checkpoint is truncated/);
    // Storages cut short are found at open (their sizes are checked before any tensor is read).
    await expect(TorchCheckpoint.open(bufferSource(legacy.subarray(0, legacy.length - 100), 'l2.pth'))).rejects.toThrow(/l2\.pth: legacy checkpoint is truncated/);
  });
  it('something that is not a checkpoint', async () => {
    await expect(TorchCheckpoint.open(bufferSource(new TextEncoder().encode('hello world'), 'x.txt'))).rejects.toThrow(/x\.txt: not a PyTorch checkpoint/);
  });
});
