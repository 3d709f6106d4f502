/** The pickle VM on hostile input: bounded work, bounded values, one clean line for every failure. */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { PICKLE_MAX_DEPTH, PICKLE_MAX_INT_BYTES, PickleTruncatedError, unpickle, UnsafePickleError } from '../../src/weights/pickle.ts';
import { fixture } from './helpers.ts';
import { cleanFailure, expectCleanError, seeded } from './hostileHelpers.ts';
import { memoDoubled, Pk, pkl } from './checkpointBuilder.ts';

const run = (bytes: Uint8Array, extra = {}) => unpickle(bytes, { name: 'p.pkl', part: 'data.pkl', globals: {}, ...extra }).value;

describe('memo-doubled values are refused as they are built', () => {
  it.each([40, 24])('2^%i leaves in a few hundred bytes: refused in milliseconds, short message', async (n) => {
    const bytes = pkl(memoDoubled(n));
    expect(bytes.length).toBeLessThan(400);
    const e = await cleanFailure(() => run(bytes), 'p.pkl', 500);
    expect(e.message).toMatch(/expands to more than \d+ nodes/);
    expect(e.message).toMatch(/at byte \d+ of data\.pkl/);
  });
  it('sharing that a real file needs (a few memo references) is fine', () => {
    const v = run(pkl(memoDoubled(8))) as unknown[];
    expect(v.length).toBe(2);
  });
  it('a container fetched from the memo cannot be filled afterwards (cycles, stale sizes)', async () => {
    // l = []; l.append(l)
    const e = await cleanFailure(() => run(pkl([0x5d, 0x71, 0, 0x68, 0, 0x61])), 'p.pkl');
    expect(e.message).toMatch(/already fetched from the memo/);
  });
});

describe('nesting, integers and big containers', () => {
  it(`lists nested deeper than ${PICKLE_MAX_DEPTH} are refused (not a stack overflow later)`, async () => {
    const depth = 100_000;
    const bytes = pkl(new Array(depth).fill(0x5d), new Array(depth - 1).fill(0x61));
    const e = await cleanFailure(() => run(bytes), 'p.pkl');
    expect(e.message).toMatch(new RegExp(`nested deeper than ${PICKLE_MAX_DEPTH}`));
    expect(() => run(pkl(new Array(50).fill(0x5d), new Array(49).fill(0x61)))).not.toThrow();
  });
  it('a LONG4 of 256 KiB is refused at once; the largest allowed decodes exactly and fast', async () => {
    const huge = pkl([0x8b, 0, 0, 4, 0], new Array(256 * 1024).fill(1));
    const e = await cleanFailure(() => run(huge), 'p.pkl', 200);
    expect(e.message).toMatch(new RegExp(`integer of 262144 bytes exceeds the limit of ${PICKLE_MAX_INT_BYTES}`));
    const n = PICKLE_MAX_INT_BYTES;
    const body = Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
    const t0 = performance.now();
    const got = run(pkl([0x8b, n & 255, n >> 8, 0, 0], body)) as bigint;
    expect(performance.now() - t0).toBeLessThan(250);
    let want = 0n;
    for (let i = n - 1; i >= 0; i--) want = (want << 8n) | BigInt(body[i]);
    if (body[n - 1] & 0x80) want -= 1n << BigInt(8 * n);
    expect(got).toBe(want);
    expect(run(pkl([0x8a, 2, 0xff, 0xff]))).toBe(-1);
    expect(run(pkl([0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]))).toBe(0x1950a86a20f9469cfc6cn);
  });
  it('APPENDS of 300 000 items works (no call-stack overflow from spreading them)', () => {
    const v = run(pkl([0x5d, 0x28], new Array(300_000).fill(0x4e), [0x65])) as unknown[];
    expect(v.length).toBe(300_000);
  });
  it('text INT/LONG/FLOAT/PUT must be what Python writes', async () => {
    const text = (op: string, s: string) => pkl([op.charCodeAt(0), ...Buffer.from(`${s}\n`, 'latin1')]);
    expect(run(text('I', '42'))).toBe(42);
    expect(run(text('L', '-12345678901234567890L'))).toBe(-12345678901234567890n);
    expect(run(text('F', '1.5'))).toBe(1.5);
    for (const [op, s] of [['I', 'abc'], ['L', '1e5'], ['F', 'zz'], ['I', '9'.repeat(5000)]]) {
      await cleanFailure(() => run(text(op, s)), 'p.pkl');
    }
    await cleanFailure(() => run(pkl([0x4e, 0x70, ...Buffer.from('NaN\n')])), /p\.pkl: .*memo index 'NaN'/);
  });
});

describe('messages', () => {
  it('a refused GLOBAL name cannot write to the terminal: control characters are escaped, long names cut', async () => {
    const evil = '\r\x1b[2K wrote out.safetensors: hiu-dmtl, 839 tensors\n';
    const bytes = pkl(Pk.str('os'), Pk.str(evil), [0x93]);
    const e = await cleanFailure(() => run(bytes), 'p.pkl');
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect(e.message).toContain('\\x0d\\x1b[2K wrote out.safetensors');
    const long = await cleanFailure(() => run(pkl(Pk.str('os'), Pk.str('x'.repeat(100_000)), [0x93])), 'p.pkl');
    expect(long.message).toMatch(/cut at 80 characters/);
  });
  it('invalid utf-8 names the file, the part and the byte', async () => {
    const bytes = pkl(Pk.str('ok'), Pk.rawStr([0x61, 0xff, 0x62]));
    const e = await cleanFailure(() => run(bytes), 'p.pkl');
    expect(e.message).toMatch(/p\.pkl: pickle: string of 3 bytes not valid utf-8 at byte 14 of data\.pkl/);
  });
  it('truncated: every cut of a real checkpoint pickle fails with one clean line', () => {
    const zip = unzipSync(new Uint8Array(readFileSync(fixture('hiu-small', 'plain.zip.pth'))));
    const data = zip['plain.zip/data.pkl'];
    const rnd = seeded(7);
    for (let k = 0; k < 400; k++) {
      const cut = Math.floor(rnd() * data.length);
      try {
        const resolveGlobal = (_: string, name: string) => ({ call: () => (name === 'OrderedDict' ? new Map() : {}) });
        run(data.subarray(0, cut), { resolveGlobal, persistentLoad: () => ({}) });
        throw new Error(`cut at ${cut} was accepted`);
      } catch (e) {
        expectCleanError(e, 'p.pkl');
        expect(e, `cut at ${cut}`).toBeInstanceOf(PickleTruncatedError);
      }
    }
  });
  it('every opcode, truncated or followed by garbage: a value or one clean line, fast', () => {
    const rnd = seeded(12);
    const t0 = performance.now();
    for (let op = 0; op < 256; op++) {
      for (let k = 0; k < 24; k++) {
        const tail = Array.from({ length: k === 0 ? 0 : 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
        // Half the cases put some values on the stack first so the opcode has something to work on.
        const pre = k % 2 ? [0x28, 0x5d, 0x71, 1, 0x7d, 0x4b, 3, ...Pk.str('a')] : [];
        try {
          run(new Uint8Array([0x80, 2, ...pre, op, ...tail]), { persistentLoad: () => null });
        } catch (e) {
          expectCleanError(e, 'p.pkl');
        }
      }
    }
    expect(performance.now() - t0).toBeLessThan(10_000); // a hang guard, generous for a loaded machine
  });
});
