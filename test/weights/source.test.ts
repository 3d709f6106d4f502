/** ByteSource range checks: a NaN, fractional or negative offset from a corrupt file is an error, never a silent read. */
import { describe, expect, it } from 'vitest';
import { blobSource, bufferSource } from '../../src/weights/source.ts';

describe('ByteSource.read', () => {
  const bytes = new Uint8Array(64).map((_, i) => i);
  for (const [kind, src] of [['buffer', bufferSource(bytes, 'x.bin')], ['blob', blobSource(new Blob([bytes]), 'x.bin')]] as const) {
    it(`${kind}: refuses offsets and lengths that are not integers in range`, async () => {
      for (const [offset, length] of [[NaN, 4], [4, NaN], [1.5, 4], [4, 2.5], [Infinity, 0]]) {
        await expect(src.read(offset, length)).rejects.toThrow(`x.bin: read of ${length} bytes at offset ${offset}: not a whole-byte range; the file is corrupt`);
      }
      for (const [offset, length] of [[-100, 4], [0, -1], [60, 8]]) {
        await expect(src.read(offset, length)).rejects.toThrow(
          `x.bin: read of ${length} bytes at offset ${offset} runs past the end (size 64); the file is truncated or corrupt`,
        );
      }
      expect(Array.from(await src.read(60, 4))).toEqual([60, 61, 62, 63]);
    });
  }
});
