/** .pth files that lie: views, storages and persistent ids are checked before anything is read or allocated. */
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../src/weights/source.ts';
import { checkTotalExpansion, PTH_EXPANSION_ALLOWANCE, PTH_MAX_EXPANSION, TorchCheckpoint, type TensorRef } from '../../src/weights/pth.ts';
import { convertCheckpointBytes } from '../../src/weights/convert.ts';
import { cleanFailure } from './hostileHelpers.ts';
import { f32Bytes, legacyCheckpoint, memoDoubled, Pk, pkl, stateDictPickle, tensorPickle, zipCheckpoint, type TensorSpec } from './checkpointBuilder.ts';

const open = (bytes: Uint8Array, name = 'h.pth') => TorchCheckpoint.open(bufferSource(bytes, name));
const six = f32Bytes([1, 2, 3, 4, 5, 6]);
const tensor = (over: Partial<TensorSpec> = {}): TensorSpec => ({ storage: '0', numel: 6, offset: 0, size: [2, 3], stride: [3, 1], ...over });
/** One tensor named stem.0.0.weight on a 6-float storage. */
const oneTensor = (over: Partial<TensorSpec> = {}, bytes = six) => zipCheckpoint(stateDictPickle({ 'stem.0.0.weight': tensor(over) }), { 0: bytes });
const convert = (bytes: Uint8Array) => convertCheckpointBytes(bytes, 'h.pth');

describe('tensor views are checked against their storage, naming the tensor', () => {
  it('a well-formed view reads back', async () => {
    const ck = await open(oneTensor({ offset: 1, size: [2, 2], stride: [2, 1] }));
    const t = (ck.root as Map<string, TensorRef>).get('stem.0.0.weight')!;
    expect(Array.from(await ck.readTensor(t))).toEqual([2, 3, 4, 5]);
  });
  it.each([
    ['a NaN storage offset', { offset: NaN }, /storage offset NaN is not a non-negative integer/],
    ['a negative offset', { offset: -3 }, /storage offset -3/],
    ['a fractional size', { size: [2, 1.5] }, /size \[2,1\.5\] is not non-negative integers/],
    ['a negative stride', { stride: [-3, 1] }, /stride \[-3,1\]/],
    ['a view past the end', { offset: 1 }, /reads element 6, outside its storage '0' of 6 elements/],
  ])('%s', async (_, over, message) => {
    const bytes = oneTensor(over);
    const ck = await open(bytes);
    const t = (ck.root as Map<string, TensorRef>).get('stem.0.0.weight')!;
    const e = await cleanFailure(() => ck.readTensor(t, 'stem.0.0.weight'), "h.pth: tensor 'stem.0.0.weight'");
    expect(e.message).toMatch(message);
    // Conversion refuses it before detecting the architecture (the silent-zeros case of issue #12).
    expect((await cleanFailure(() => convert(bytes), "h.pth: tensor 'stem.0.0.weight'")).message).toMatch(message);
  });
  it('15 M heat maps of stride 0 over a tiny storage are refused before any allocation', async () => {
    const heat = tensor({ size: [15_000_000, 64, 64], stride: [0, 0, 0] });
    const bytes = zipCheckpoint(stateDictPickle({ 'hm.weight': heat, 'hm.bias': tensor() }), { 0: six });
    expect(bytes.length).toBeLessThan(2000);
    const rss0 = process.memoryUsage().rss;
    const e = await cleanFailure(() => convert(bytes), "h.pth: tensor 'hm.weight'", 500);
    expect(e.message).toMatch(/61440000000 elements repeated from a storage of 6 \(more than 16x\)/);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(100 << 20);
  });
  it(`a stride-0 expand within ${PTH_MAX_EXPANSION}x (or ${PTH_EXPANSION_ALLOWANCE} elements) is fine; the total is bounded too`, async () => {
    const ck = await open(oneTensor({ size: [4, 6], stride: [0, 1] }));
    const t = (ck.root as Map<string, TensorRef>).get('stem.0.0.weight')!;
    expect((await ck.readTensor(t)).length).toBe(24);
    // Each within the per-tensor bound, together past it.
    const each = { ...t, shape: [PTH_EXPANSION_ALLOWANCE], stride: [0] };
    expect(() => checkTotalExpansion([each], 'h.pth')).not.toThrow();
    expect(() => checkTotalExpansion(new Array(3).fill(each), 'h.pth')).toThrow(/h\.pth: the tensors hold 196608 elements but their storages only 6/);
  });
});

describe('storages must match their bytes', () => {
  it('HalfStorage over float32 bytes (the persistent id numel vs the entry size)', async () => {
    const e = await cleanFailure(() => open(oneTensor({ cls: 'HalfStorage' })), 'h.pth');
    expect(e.message).toMatch(/storage '0' declares 6 f16 elements \(12 bytes\) but its entry holds 24 bytes/);
  });
  it('a numel larger than the entry', async () => {
    const e = await cleanFailure(() => open(oneTensor({ numel: 1000 })), 'h.pth');
    expect(e.message).toMatch(/declares 1000 f32 elements/);
  });
  it('a storage declared twice with different types, an unknown storage class, a NaN numel', async () => {
    const twice = zipCheckpoint(stateDictPickle({ a: tensor(), b: tensor({ cls: 'IntStorage' }) }), { 0: six });
    expect((await cleanFailure(() => open(twice), 'h.pth')).message).toMatch(/storage '0' is declared twice, differently/);
    expect((await cleanFailure(() => open(oneTensor({ cls: 'Evil\x1bStorage' })), 'h.pth')).message).toMatch(/unsafe pickle global 'torch\.Evil\\x1bStorage'/);
    expect((await cleanFailure(() => open(oneTensor({ numel: NaN })), 'h.pth')).message).toMatch(/declares NaN elements/);
  });
  it('odd persistent ids: None, a bare string, a class that is not a storage', async () => {
    for (const pid of [Pk.none, Pk.str('storage'), Pk.tuple(Pk.str('storage'), Pk.str('FloatStorage'), Pk.str('0'), Pk.str('cpu'), Pk.int(6))]) {
      const bytes = zipCheckpoint(pkl(pid, [0x51]), { 0: six });
      await cleanFailure(() => open(bytes), /h\.pth: (unexpected persistent id|storage '0' has unknown storage type 'FloatStorage')/);
    }
  });
});

describe('legacy checkpoints', () => {
  const legacy = (view: [number, number], headNumel = 6) =>
    legacyCheckpoint(stateDictPickle({ w: tensor({ size: [2], stride: [1], view }) }, true), [['0', headNumel, six]]);
  it('a storage view reads its window', async () => {
    const ck = await open(legacy([2, 3]));
    expect(Array.from(await ck.readTensor((ck.root as Map<string, TensorRef>).get('w')!))).toEqual([3, 4]);
  });
  it('a view offset of -100 (or past the storage) is refused', async () => {
    expect((await cleanFailure(() => open(legacy([-100, 3])), 'h.pth')).message).toMatch(/storage view of '0' \(offset -100, size 3\) lies outside its 6 elements/);
    await cleanFailure(() => open(legacy([5, 3])), /h\.pth: storage view of '0' \(offset 5, size 3\)/);
  });
  it('the numel written before the bytes must equal the declared one', async () => {
    expect((await cleanFailure(() => open(legacy([0, 6], 3)), 'h.pth')).message).toMatch(/storage '0' holds 3 elements at byte \d+ but the pickle declares 6/);
  });
});

describe('state dict keys', () => {
  it('a memo-doubled key (2^40 leaves in 930 bytes) fails in well under a second with one line', async () => {
    const bomb = pkl(Pk.dict([[memoDoubled(40), tensorPickle(tensor())]]));
    const e = await cleanFailure(() => convert(zipCheckpoint(bomb, { 0: six })), 'h.pth', 1000);
    expect(e.message).toMatch(/expands to more than \d+ nodes/);
  });
  it('a key that is not a string is named (described, never stringified)', async () => {
    const key = memoDoubled(6); // 64 leaves: within the VM's limits, still not a key
    const e = await cleanFailure(() => convert(zipCheckpoint(pkl(Pk.dict([[key, tensorPickle(tensor())]])), { 0: six })), 'h.pth');
    expect(e.message).toBe("h.pth: state dict key 'a sequence of 2' is not a string");
  });
  it('a key with control characters is refused, escaped', async () => {
    const bytes = zipCheckpoint(stateDictPickle({ 'stem\x1b[2K.weight': tensor() }), { 0: six });
    expect((await cleanFailure(() => convert(bytes), 'h.pth')).message).toMatch(/key 'stem\\x1b\[2K\.weight' is not a module path/);
  });
});
