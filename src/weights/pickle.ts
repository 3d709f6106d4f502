/**
 * A restricted unpickler (protocols 2-5, plus the few protocol-0/1 opcodes torch emits).
 *
 * Hand-written because no maintained JS pickle library refuses arbitrary globals: pickle is a
 * program, and GLOBAL + REDUCE can call any Python function. This VM executes nothing: a GLOBAL
 * resolves only through the caller's allowlist (anything else is an error naming the global), and
 * REDUCE/NEWOBJ only call allowlisted JavaScript stand-ins. Objects are plain JS values:
 * None -> null, int -> number (bigint past 2^53), str -> string, bytes -> Uint8Array,
 * list/tuple -> Array, dict -> Map.
 *
 * Hostile input: work and memory are bounded by the pickle's own size. Every opcode consumes
 * bytes, so the only way a small pickle can describe a huge value is by repeating memo references
 * (t = (t, t) forty times is 2^40 leaves in a few hundred bytes); the VM counts each value's
 * expanded size and nesting depth as it builds it and refuses past the limits below, before any
 * consumer walks or prints the value. Containers fetched from the memo are frozen (a later
 * APPEND/SETITEM into them is refused): only cyclic structures need that, and no checkpoint does.
 */
import { quoteUntrusted } from '../util/untrusted.ts';
import { decodeUtf8 } from '../util/utf8.ts';

/** Deepest nesting of containers a pickle may build (checkpoints nest fewer than 10 levels). */
export const PICKLE_MAX_DEPTH = 200;
/**
 * A value may expand (every memo reference counted again) to at most this many nodes per byte of
 * pickle, plus PICKLE_BASE_NODES: without memo sharing a value can never exceed one node per byte.
 */
export const PICKLE_NODES_PER_BYTE = 8;
export const PICKLE_BASE_NODES = 1 << 16;
/** Most values on the stack at once, and most open MARKs: each costs a byte, so these only stop runaway files early. */
export const PICKLE_MAX_STACK = 1_000_000;
export const PICKLE_MAX_MARKS = 10_000;
/** Largest integer (LONG1/LONG4/text) in bytes: 8192 bits; checkpoints hold at most 128-bit seeds. */
export const PICKLE_MAX_INT_BYTES = 1024;

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
  /** What the bytes are within the file, for messages (e.g. 'archive/data.pkl'); default 'the pickle'. */
  part?: string;
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
  if (v instanceof PyGlobal) return quoteUntrusted(v.qualname);
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a tuple/list';
  if (v instanceof Map) return 'a dict';
  return typeof v === 'string' ? `the string ${quoteUntrusted(v, 40)}` : `a ${typeof v}`;
}

const OPNAMES: Record<number, string> = {
  0x28: 'MARK', 0x29: 'EMPTY_TUPLE', 0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x5d: 'EMPTY_LIST',
  0x6c: 'LIST', 0x61: 'APPEND', 0x65: 'APPENDS', 0x7d: 'EMPTY_DICT', 0x64: 'DICT', 0x73: 'SETITEM', 0x75: 'SETITEMS',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x52: 'REDUCE', 0x81: 'NEWOBJ', 0x62: 'BUILD', 0x51: 'BINPERSID', 0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x49: 'INT', 0x4c: 'LONG',
};
const opName = (op: number) => OPNAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;

/** Little-endian two's-complement bytes -> number (bigint past 2^53), linear time via hex. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, '0');
  let n = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const LEAF = { nodes: 1, depth: 0 };

/** Runs one pickle starting at `start`; returns its value and where it ended (after STOP). */
export function unpickle(data: Uint8Array, opts: UnpickleOptions, start = 0): { value: unknown; end: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const part = opts.part ?? 'the pickle';
  const maxNodes = PICKLE_NODES_PER_BYTE * (data.length - start) + PICKLE_BASE_NODES;
  let pos = start;
  let op = 0;
  let opPos = start;
  const where = () => `${opName(op)} at byte ${opPos} of ${part}`;
  const fail = (msg: string): never => {
    throw new Error(`${opts.name}: pickle: ${msg} (${where()})`);
  };
  const text = (at: number, b: Uint8Array): string => {
    const d = decodeUtf8(b);
    if (!d.ok) throw new Error(`${opts.name}: pickle: string of ${b.length} bytes not valid utf-8 at byte ${at} of ${part} (bad byte at ${at + d.offset})`);
    return d.text;
  };
  const py2str = (at: number, b: Uint8Array): string => {
    if (opts.py2Strings !== 'latin1') return text(at, b);
    // TextDecoder('latin1') is windows-1252; py2 latin-1 maps each byte to the same code point.
    let s = '';
    for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
    return s;
  };
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  // Expanded size and depth of every container built so far; containers fetched from the memo are frozen.
  const sizes = new WeakMap<object, { nodes: number; depth: number }>();
  const frozen = new WeakSet<object>();
  const measure = (v: unknown) => (typeof v === 'object' && v !== null && sizes.get(v)) || LEAF;
  const grow = <T extends object>(container: T, items: Iterable<unknown>): T => {
    const s = sizes.get(container) ?? { nodes: 1, depth: 1 };
    for (const item of items) {
      const m = measure(item);
      s.nodes += m.nodes;
      if (m.depth + 1 > s.depth) s.depth = m.depth + 1;
    }
    if (s.nodes > maxNodes) fail(`a value expands to more than ${maxNodes} nodes (memo references repeated to inflate it)`);
    if (s.depth > PICKLE_MAX_DEPTH) fail(`containers nested deeper than ${PICKLE_MAX_DEPTH} levels`);
    sizes.set(container, s);
    return container;
  };
  const mutable = (c: object, what: string) => {
    if (frozen.has(c)) fail(`${what} into a container already fetched from the memo (a cyclic structure)`);
  };
  const share = (v: unknown) => {
    if (typeof v === 'object' && v !== null) frozen.add(v);
    return v;
  };

  const need = (n: number) => {
    if (n < 0) fail(`negative length ${n}`);
    if (pos + n > data.length) throw new PickleTruncatedError(`${opts.name}: pickle: truncated: ${where()} wants ${n} bytes at byte ${pos}, ${part} ends at ${data.length}`);
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
    if (end < 0) throw new PickleTruncatedError(`${opts.name}: pickle: truncated text line (${where()})`);
    const s = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  /** Text INT/LONG: decimal digits only (Python's repr), within PICKLE_MAX_INT_BYTES. */
  const textInt = (s: string): number | bigint => {
    if (!/^[-+]?\d+$/.test(s)) fail(`integer ${quoteUntrusted(s, 40)} is not decimal digits`);
    if (s.length > PICKLE_MAX_INT_BYTES * 2.5) fail(`integer of ${s.length} digits exceeds ${PICKLE_MAX_INT_BYTES} bytes`);
    const n = BigInt(s);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };
  const textFloat = (s: string): number => {
    const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
    const v = s in special ? special[s] : s.trim() === '' ? NaN : Number(s);
    if (Number.isNaN(v) && s !== 'nan') fail(`float ${quoteUntrusted(s, 40)} is not a number`);
    return v;
  };
  const memoIndex = (s: string): number => {
    if (!/^\d{1,10}$/.test(s)) fail(`memo index ${quoteUntrusted(s, 40)} is not a non-negative integer`);
    return Number(s);
  };
  const long = (n: number): number | bigint => {
    if (n > PICKLE_MAX_INT_BYTES) fail(`integer of ${n} bytes exceeds the limit of ${PICKLE_MAX_INT_BYTES}`);
    return decodeLong(take(n));
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
  const resolve = (module: string, name: string): PyGlobal => {
    const key = `${module}.${name}`;
    const impl = (Object.prototype.hasOwnProperty.call(opts.globals, key) ? opts.globals[key] : undefined) ?? opts.resolveGlobal?.(module, name);
    if (!impl) throw new UnsafePickleError(`unsafe pickle global ${quoteUntrusted(key)} in ${opts.name}: refused (not on the allowlist)`);
    return new PyGlobal(module, name, impl.call);
  };
  const callGlobal = (fn: unknown, args: unknown, what: string): unknown => {
    if (!(fn instanceof PyGlobal) || !fn.call) {
      throw new UnsafePickleError(`unsafe pickle: ${what} on unknown callable ${describe(fn)} in ${opts.name}: refused`);
    }
    if (!Array.isArray(args)) fail(`${what} arguments are not a tuple`);
    return fn.call(args as unknown[]);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on ${describe(dict)}`);
    if (items.length % 2) fail('SETITEMS with a key and no value');
    mutable(dict as Map<unknown, unknown>, 'SETITEM(S)');
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
    grow(dict as Map<unknown, unknown>, items);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail(`APPEND(S) on ${describe(list)}`);
    mutable(list as unknown[], 'APPEND(S)');
    for (const item of items) (list as unknown[]).push(item); // not push(...items): that overflows the call stack
    grow(list as unknown[], items);
  };

  try {
    for (;;) {
      opPos = pos;
      op = u8();
      switch (op) {
        case 0x80: {
          const proto = u8();
          if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
          break;
        }
        case 0x95: u64(); break; // FRAME: framing is only a hint
        case 0x2e: return { value: pop(), end: pos }; // STOP
        case 0x28: metastack.push(stack); stack = []; break; // MARK
        case 0x29: stack.push(grow([], [])); break; // EMPTY_TUPLE
        case 0x74: { const t = popMark(); stack.push(grow(t, t)); break; } // TUPLE (popMark swaps `stack`: pop first)
        case 0x85: { const t = [pop()]; stack.push(grow(t, t)); break; } // TUPLE1
        case 0x86: { const b = pop(); const t = [pop(), b]; stack.push(grow(t, t)); break; } // TUPLE2
        case 0x87: { const c = pop(), b = pop(); const t = [pop(), b, c]; stack.push(grow(t, t)); break; } // TUPLE3
        case 0x5d: stack.push(grow([], [])); break; // EMPTY_LIST
        case 0x6c: { const l = popMark(); stack.push(grow(l, l)); break; } // LIST
        case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
        case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
        case 0x7d: stack.push(grow(new Map(), [])); break; // EMPTY_DICT
        case 0x64: { const items = popMark(); const m = grow(new Map(), []); setItems(m, items); stack.push(m); break; } // DICT
        case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
        case 0x8f: stack.push(grow(new Set(), [])); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof Set)) fail('ADDITEMS on non-set');
          mutable(s as Set<unknown>, 'ADDITEMS');
          for (const i of items) (s as Set<unknown>).add(i);
          grow(s as Set<unknown>, items);
          break;
        }
        case 0x91: { const items = popMark(); stack.push(grow(new Set(items), items)); break; } // FROZENSET
        case 0x4e: stack.push(null); break; // NONE
        case 0x88: stack.push(true); break;
        case 0x89: stack.push(false); break;
        case 0x4a: stack.push(i32()); break; // BININT
        case 0x4b: stack.push(u8()); break; // BININT1
        case 0x4d: stack.push(u16()); break; // BININT2
        case 0x8a: stack.push(long(u8())); break; // LONG1
        case 0x8b: stack.push(long(i32())); break; // LONG4
        case 0x49: { const s = line(); stack.push(s === '01' ? true : s === '00' ? false : textInt(s)); break; } // INT (text)
        case 0x4c: stack.push(textInt(line().replace(/L$/, ''))); break; // LONG (text)
        case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
        case 0x46: stack.push(textFloat(line())); break; // FLOAT (text)
        case 0x58: { const n = u32(); stack.push(text(pos, take(n))); break; } // BINUNICODE
        case 0x8c: { const n = u8(); stack.push(text(pos, take(n))); break; } // SHORT_BINUNICODE
        case 0x8d: { const n = u64(); stack.push(text(pos, take(n))); break; } // BINUNICODE8
        case 0x54: { const n = i32(); stack.push(py2str(pos, take(n))); break; } // BINSTRING (py2 str)
        case 0x55: { const n = u8(); stack.push(py2str(pos, take(n))); break; } // SHORT_BINSTRING
        case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
        case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
        case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
        case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
        case 0x71: memo.set(u8(), top()); break; // BINPUT
        case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
        case 0x70: memo.set(memoIndex(line()), top()); break; // PUT
        case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
        case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
          const i = op === 0x68 ? u8() : op === 0x6a ? u32() : memoIndex(line());
          if (!memo.has(i)) fail(`memo key ${i} missing`);
          stack.push(share(memo.get(i)));
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
        case 0x32: stack.push(share(top())); break; // DUP
        case 0x69: case 0x6f: case 0x92: case 0x82: case 0x83: case 0x84: case 0x50: case 0x97: case 0x98:
          // INST, OBJ, NEWOBJ_EX, EXT1/2/4, PERSID, NEXT_BUFFER, READONLY_BUFFER: never needed for a checkpoint
          throw new UnsafePickleError(`unsafe pickle: opcode 0x${op.toString(16)} refused in ${opts.name}`);
        default:
          fail('unknown opcode');
      }
      if (stack.length > PICKLE_MAX_STACK || metastack.length > PICKLE_MAX_MARKS) fail('stack too deep');
    }
  } catch (e) {
    // A JavaScript error here (a stand-in handed values of the wrong kind) is still this opcode's fault.
    if (e instanceof RangeError || e instanceof TypeError) throw new Error(`${opts.name}: pickle: malformed ${where()}`);
    throw e;
  }
}
