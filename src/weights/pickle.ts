/**
 * A restricted unpickler (protocols 2-5, plus the few protocol-0/1 opcodes torch emits).
 *
 * Hand-written because no maintained JS pickle library refuses arbitrary globals: pickle is a
 * program, and GLOBAL + REDUCE can call any Python function. This VM executes nothing: a GLOBAL
 * resolves only through the caller's allowlist (anything else is an error naming the global), and
 * REDUCE/NEWOBJ only call allowlisted JavaScript stand-ins. Objects are plain JS values:
 * None -> null, int -> number (bigint past 2^53), str -> string, bytes -> Uint8Array,
 * list/tuple -> Array, dict -> Map.
 */

/** A resolved, allowlisted global. `call` present means it may be REDUCEd / NEWOBJed. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: unknown[]) => unknown,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** Name of the file, for error messages. */
  name: string;
  /** Allowlist, keyed "module.name". Everything else is refused. */
  globals: Record<string, { call?: (args: unknown[]) => unknown }>;
  /** Handles BINPERSID (torch's storage references). */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Optional second allowlist consulted for globals not in `globals` (e.g. a whole module of inert
   * class markers); return undefined to refuse. Only a dedicated reader (MANO) passes one.
   */
  resolveGlobal?: (module: string, name: string) => { call?: (args: unknown[]) => unknown } | undefined;
  /**
   * Optional BUILD handler (a stand-in for `__setstate__`): return true when it handled `obj`.
   * Unhandled BUILDs keep the default rule (only an OrderedDict's ignored attribute dict).
   */
  build?: (obj: unknown, state: unknown) => boolean;
  /**
   * How py2 `str` (BINSTRING / SHORT_BINSTRING) decodes: 'utf8' (default, strict) or 'latin1'
   * (what Python 3 gives with `pickle.load(f, encoding='latin1')`: any bytes, one char each).
   */
  py2Strings?: 'utf8' | 'latin1';
}

/** Names spelled out: minifiers rename classes. */
export class UnsafePickleError extends Error {
  override name = 'UnsafePickleError';
}
/** The pickle ran past the bytes given: the caller may retry with more (legacy files) or report truncation. */
export class PickleTruncatedError extends Error {
  override name = 'PickleTruncatedError';
}

function describe(v: unknown): string {
  if (v instanceof PyGlobal) return `'${v.qualname}'`;
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a tuple/list';
  if (v instanceof Map) return 'a dict';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : `a ${typeof v}`;
}

/** Runs one pickle starting at `start`; returns its value and where it ended (after STOP). */
export function unpickle(data: Uint8Array, opts: UnpickleOptions, start = 0): { value: unknown; end: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const py2str = (b: Uint8Array): string => {
    if (opts.py2Strings !== 'latin1') return utf8.decode(b);
    // TextDecoder('latin1') is windows-1252; py2 latin-1 maps each byte to the same code point.
    let s = '';
    for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
    return s;
  };
  const fail = (msg: string): never => {
    throw new Error(`${opts.name}: pickle: ${msg}`);
  };
  let pos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (n < 0) fail('negative length');
    if (pos + n > data.length) throw new PickleTruncatedError(`${opts.name}: pickle: truncated (wanted ${n} bytes at ${pos} of ${data.length})`);
  };
  const take = (n: number) => {
    need(n);
    const s = data.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail('length field too large');
    return Number(n);
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new PickleTruncatedError(`${opts.name}: pickle: truncated text line`);
    const s = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail('MARK missing');
    stack = prev!;
    return items;
  };
  const long = (bytes: Uint8Array): number | bigint => {
    if (bytes.length === 0) return 0;
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
    if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const key = `${module}.${name}`;
    const impl = (Object.prototype.hasOwnProperty.call(opts.globals, key) ? opts.globals[key] : undefined) ?? opts.resolveGlobal?.(module, name);
    if (!impl) throw new UnsafePickleError(`unsafe pickle global '${key}' in ${opts.name}: refused (not on the allowlist)`);
    return new PyGlobal(module, name, impl.call);
  };
  const callGlobal = (fn: unknown, args: unknown, op: string): unknown => {
    if (!(fn instanceof PyGlobal) || !fn.call) {
      throw new UnsafePickleError(`unsafe pickle: ${op} on unknown callable ${describe(fn)} in ${opts.name}: refused`);
    }
    if (!Array.isArray(args)) fail(`${op} arguments are not a tuple`);
    return fn.call(args as unknown[]);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on ${describe(dict)}`);
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail(`APPEND(S) on ${describe(list)}`);
    (list as unknown[]).push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: framing is only a hint
      case 0x2e: return { value: pop(), end: pos }; // STOP
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: { const t = popMark(); stack.push(t); break; } // TUPLE (popMark swaps `stack`: pop first)
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const l = popMark(); stack.push(l); break; } // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const m = new Map(); setItems(m, items); stack.push(m); break; } // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof Set)) fail('ADDITEMS on non-set'); for (const i of items) (s as Set<unknown>).add(i); break; }
      case 0x91: { const s = new Set(popMark()); stack.push(s); break; } // FROZENSET
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); stack.push(long(take(n))); break; } // LONG4
      case 0x49: { // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(line().replace(/L$/, ''), 10)); break; // LONG (text)
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT (text)
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x54: stack.push(py2str(take(i32()))); break; // BINSTRING (py2 str)
      case 0x55: stack.push(py2str(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const i = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(i)) fail(`memo key ${i} missing`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: { const module = line(); stack.push(resolve(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); stack.push(callGlobal(pop(), args, 'REDUCE')); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(callGlobal(pop(), args, 'NEWOBJ')); break; } // NEWOBJ
      case 0x62: { // BUILD: only the attribute dict of an OrderedDict (state_dict's _metadata) is accepted, and ignored
        const state = pop();
        const obj = top();
        if (opts.build?.(obj, state)) break;
        if (!(obj instanceof Map)) {
          throw new UnsafePickleError(`unsafe pickle: BUILD on ${describe(obj)} in ${opts.name}: refused`);
        }
        void state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x69: case 0x6f: case 0x92: case 0x82: case 0x83: case 0x84: case 0x50: case 0x97: case 0x98:
        // INST, OBJ, NEWOBJ_EX, EXT1/2/4, PERSID, NEXT_BUFFER, READONLY_BUFFER: never needed for a checkpoint
        throw new UnsafePickleError(`unsafe pickle: opcode 0x${op.toString(16)} refused in ${opts.name}`);
      default:
        fail(`unknown opcode 0x${op.toString(16)} at ${pos - 1}`);
    }
    if (stack.length > 1_000_000 || metastack.length > 10_000) fail('stack too deep');
  }
}
