/** Shared checks for hostile-input tests (not a test file itself). */
import { expect } from 'vitest';

/** JavaScript's own wording, which must never reach a user from a reader. */
export const JS_INTERNAL =
  /undefined|Cannot read prop|is not a function|is not iterable|Invalid typed array|Invalid array length|Array buffer allocation|Maximum call stack|" is not valid JSON|Unexpected token|Unexpected end of JSON|encoded data was not valid|Offset is outside|RangeError|TypeError/;

/** A refusal a user may see: one line, no JS internals, no control characters. */
export function expectCleanMessage(msg: string): void {
  expect(msg).not.toContain('\n');
  expect(msg).not.toMatch(JS_INTERNAL);
  expect(msg).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
}
