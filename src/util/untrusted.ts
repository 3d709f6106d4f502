/**
 * Names and values read from outside files go into error messages through here: control
 * characters (ESC, CR, ...) are escaped so nothing a file says can move a terminal's cursor or
 * fake a line, and long text is cut so a crafted name cannot make a megabyte message.
 */
export function quoteUntrusted(value: unknown, maxChars = 80): string {
  // Objects are described, never stringified: a pickled tuple can hold 2^40 shared leaves.
  const s0 =
    typeof value === 'string' ? value
    : typeof value === 'bigint' ? (value.toString(16).length > maxChars ? `an integer of ${value.toString(16).length * 4} bits` : `${value}`)
    : value === null || typeof value !== 'object' ? String(value)
    : Array.isArray(value) ? `a sequence of ${value.length}`
    : `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  let s = s0;
  const cut = s.length > maxChars;
  if (cut) s = s.slice(0, maxChars);
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\']/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === "'") return "\\'";
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}${cut ? `'... (cut at ${maxChars} characters)` : "'"}`;
}
