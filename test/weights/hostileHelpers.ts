/** Assertions shared by the hostile-input tests (not a test file itself). */
import { expect } from 'vitest';

/** JavaScript's own messages: none may reach a user. */
const JS_INTERNALS =
  /Maximum call stack|Cannot read propert|Invalid typed array|Invalid array length|Invalid string length|Array buffer allocation|is not a function|is not iterable|undefined|out of bounds|outside the bounds|encoded data was not valid|" is not valid JSON|Unexpected token|Unexpected end of JSON|RangeError|TypeError/;

/** A line a user may see: no JS internals, no control characters, short. */
export function expectCleanMessage(msg: string): void {
  expect(msg, msg.slice(0, 300)).not.toMatch(JS_INTERNALS);
  expect(msg).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(msg.length, msg.slice(0, 300)).toBeLessThan(400);
}

/** The error is one clean line naming `file`: no JS internals, no control characters, short. */
export function expectCleanError(e: unknown, file: string | RegExp): Error {
  expect(e).toBeInstanceOf(Error);
  const msg = (e as Error).message;
  expectCleanMessage(msg);
  if (typeof file === 'string') expect(msg).toContain(file);
  else expect(msg).toMatch(file);
  return e as Error;
}

/** Runs `f`, expecting it to throw (or reject) cleanly within `ms`; returns the error. */
export async function cleanFailure(f: () => unknown, file: string | RegExp, ms = 2000): Promise<Error> {
  const t0 = performance.now();
  let err: unknown = null;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  const took = performance.now() - t0;
  expect(err, 'expected an error').not.toBeNull();
  expect(took, `took ${took.toFixed(0)} ms`).toBeLessThan(ms);
  return expectCleanError(err, file);
}

/** A seeded generator (LCG), for reproducible garbage. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
}
