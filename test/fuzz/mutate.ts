/**
 * Seeded mutations of file bytes for the reader fuzz (issue #12, point 8). Everything is driven by
 * one mulberry32 stream, so (run seed, case index) reproduces a case exactly. Generic byte
 * mutations reach the outer format checks; the format-aware ones (zip entries re-packed with good
 * CRCs, pickle opcodes and their integer/length arguments, .npy and safetensors headers, PNG/JPEG
 * dimensions with fixed CRCs) get past those checks so the mutation reaches the inner readers.
 */
import { unzipSync, zipSync } from 'fflate';
import { mulberry32 } from '../../src/util/rng.ts';
import { crc32 } from '../../src/weights/zip.ts';

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** A per-case seed from the run seed and the case index (splitmix-style mixing: nearby inputs differ). */
export function caseSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A mutated file and the list of what was done to it (for the failure report). */
export interface Mutated {
  bytes: Uint8Array;
  ops: string[];
}

// ---- generic byte mutations ---------------------------------------------------------------

/** Values that sit on boundaries readers get wrong: 0, -1, sign bits, 2^31, 2^32 - 1, 2^53... */
const INTERESTING: readonly number[] = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function setUint(b: Uint8Array, at: number, width: 1 | 2 | 4 | 8, value: number | bigint, littleEndian: boolean): void {
  if (at < 0 || at + width > b.length) return;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 1) v.setUint8(at, Number(value) & 0xff);
  else if (width === 2) v.setUint16(at, Number(value) & 0xffff, littleEndian);
  else if (width === 4) v.setUint32(at, Number(BigInt.asUintN(32, BigInt(value))), littleEndian);
  else v.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), littleEndian);
}

function interestingValue(rng: Rng, width: 1 | 2 | 4 | 8): bigint {
  if (width === 8 && rng.chance(0.4)) return rng.pick([2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 40n, 29n * 2n ** 30n]);
  return BigInt(rng.pick(INTERESTING));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

/** A position, half the time near the start or end (headers, central directories, FlatBuffer roots). */
function position(rng: Rng, length: number): number {
  if (length <= 1) return 0;
  const r = rng.float();
  if (r < 0.25) return rng.int(Math.min(length, 512));
  if (r < 0.4) return length - 1 - rng.int(Math.min(length, 512));
  return rng.int(length);
}

/** 4-aligned little-endian words holding small positive values: in binary formats mostly offsets, lengths and counts. */
function smallWordPositions(b: Uint8Array, limit = 1 << 20): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const w = v.getUint32(i, true);
    if (w > 0 && w < limit) out.push(i);
  }
  return out;
}

type ByteOp = (b: Uint8Array, rng: Rng, donors: readonly Uint8Array[]) => { bytes: Uint8Array; op: string };

const BYTE_OPS = {
  bitflip(b, rng) {
    const out = b.slice();
    const n = 1 + rng.int(8);
    for (let i = 0; i < n && out.length; i++) out[position(rng, out.length)] ^= 1 << rng.int(8);
    return { bytes: out, op: `flip ${n} bits` };
  },
  interesting(b, rng) {
    const out = b.slice();
    const width = rng.pick([1, 2, 4, 8] as const);
    const at = position(rng, out.length);
    const value = interestingValue(rng, width);
    const le = rng.chance(0.7);
    setUint(out, at, width, value, le);
    return { bytes: out, op: `set u${width * 8}${le ? 'le' : 'be'} at ${at} = ${value}` };
  },
  truncate(b, rng) {
    const at = rng.chance(0.5) ? position(rng, b.length) : rng.int(b.length + 1);
    return { bytes: b.slice(0, at), op: `truncate to ${at}` };
  },
  duplicate(b, rng) {
    const at = position(rng, b.length);
    const len = Math.min(b.length - at, 1 + rng.int(rng.chance(0.5) ? 64 : 4096));
    const to = position(rng, b.length);
    return { bytes: concat(b.subarray(0, to), b.subarray(at, at + len), b.subarray(to)), op: `copy ${len} bytes from ${at} to ${to}` };
  },
  delete(b, rng) {
    const at = position(rng, b.length);
    const len = Math.min(b.length - at, 1 + rng.int(rng.chance(0.5) ? 16 : 4096));
    return { bytes: concat(b.subarray(0, at), b.subarray(at + len)), op: `delete ${len} bytes at ${at}` };
  },
  splice(b, rng, donors) {
    const d = donors.length ? rng.pick(donors) : b;
    const from = position(rng, d.length);
    const len = Math.min(d.length - from, 1 + rng.int(1024));
    const at = position(rng, b.length);
    const out = b.slice();
    out.set(d.subarray(from, from + Math.min(len, out.length - at)), at);
    return { bytes: out, op: `splice ${len} donor bytes from ${from} at ${at}` };
  },
  inflateLength(b, rng): { bytes: Uint8Array; op: string } {
    const words = smallWordPositions(b);
    if (!words.length) return { bytes: b.slice(), op: 'no length-like word to inflate' };
    const at = rng.pick(words);
    const out = b.slice();
    const v = new DataView(out.buffer);
    const old = v.getUint32(at, true);
    const now = rng.pick([old * 2, old * 1000, old + 1, old - 1, 0x7fffffff, 0xffffffff, 0x80000000, 0]) >>> 0;
    v.setUint32(at, now, true);
    return { bytes: out, op: `word at ${at}: ${old} -> ${now}` };
  },
} satisfies Record<string, ByteOp>;

/** One named generic mutation. */
export function mutateWith(name: keyof typeof BYTE_OPS, b: Uint8Array, rng: Rng): Mutated {
  const r = BYTE_OPS[name](b, rng, []);
  return { bytes: r.bytes, ops: [r.op] };
}

/** 1 to 3 generic mutations. */
export function mutateBytes(b: Uint8Array, rng: Rng, donors: readonly Uint8Array[] = []): Mutated {
  let bytes = b;
  const ops: string[] = [];
  const n = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  for (let i = 0; i < n; i++) {
    const name = rng.pick(Object.keys(BYTE_OPS) as (keyof typeof BYTE_OPS)[]);
    const r = BYTE_OPS[name](bytes, rng, donors);
    bytes = r.bytes;
    ops.push(r.op);
  }
  return { bytes, ops };
}

// ---- pickles ------------------------------------------------------------------------------

/** Argument layout of each pickle opcode (protocols 0-5): fixed width, length-prefixed, or lines. */
type Arg = { fixed: number } | { lenBytes: 1 | 4 | 8 } | { lines: number };
const PICKLE_ARGS: Record<number, Arg> = (() => {
  const t: Record<number, Arg> = {};
  const set = (ops: string | number[], arg: Arg) => {
    for (const o of typeof ops === 'string' ? [...ops].map((c) => c.charCodeAt(0)) : ops) t[o] = arg;
  };
  set('(.012NQRabd}el]ost)u', { fixed: 0 });
  set([0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98], { fixed: 0 });
  set('FILPSVgp', { lines: 1 });
  set('ci', { lines: 2 });
  set('Khq', { fixed: 1 });
  set('M', { fixed: 2 });
  set('Jjr', { fixed: 4 });
  set('G', { fixed: 8 });
  set([0x80, 0x82], { fixed: 1 });
  set([0x83], { fixed: 2 });
  set([0x84], { fixed: 4 });
  set([0x95], { fixed: 8 });
  set('UC', { lenBytes: 1 });
  set([0x8a, 0x8c], { lenBytes: 1 });
  set('TXB', { lenBytes: 4 });
  set([0x8b], { lenBytes: 4 });
  set([0x8d, 0x8e, 0x96], { lenBytes: 8 });
  return t;
})();

export interface PickleOp {
  pos: number;
  code: number;
  /** Start and length of the argument bytes (for length-prefixed ones: of the length field). */
  argAt: number;
  argLen: number;
  /** The whole instruction's end. */
  end: number;
  kind: 'none' | 'int' | 'len' | 'line';
}

/** The opcodes of the pickle(s) starting at `start`: consecutive pickles (legacy .pth) up to `maxPickles`. */
export function scanPickle(b: Uint8Array, start = 0, maxPickles = 5): PickleOp[] {
  const ops: PickleOp[] = [];
  let p = start;
  let pickles = 0;
  while (p < b.length && pickles < maxPickles) {
    const code = b[p];
    const arg = PICKLE_ARGS[code];
    if (!arg) break;
    let end: number;
    let kind: PickleOp['kind'];
    let argLen: number;
    if ('fixed' in arg) {
      argLen = arg.fixed;
      end = p + 1 + arg.fixed;
      kind = arg.fixed ? 'int' : 'none';
    } else if ('lenBytes' in arg) {
      argLen = arg.lenBytes;
      if (p + 1 + argLen > b.length) break;
      const v = new DataView(b.buffer, b.byteOffset + p + 1, argLen);
      const n = argLen === 1 ? v.getUint8(0) : argLen === 4 ? v.getUint32(0, true) : Number(v.getBigUint64(0, true));
      end = p + 1 + argLen + n;
      kind = 'len';
    } else {
      end = p + 1;
      for (let l = 0; l < arg.lines; l++) {
        const nl = b.indexOf(0x0a, end);
        if (nl < 0) return ops;
        end = nl + 1;
      }
      argLen = end - p - 1;
      kind = 'line';
    }
    if (end > b.length) break;
    ops.push({ pos: p, code, argAt: p + 1, argLen, end, kind });
    p = end;
    if (code === 0x2e) pickles++; // STOP
  }
  return ops;
}

/** Bytes a repeated run of pickle instructions may add. */
const MAX_REPEAT_BYTES = 4 << 20;

/** Opcodes a swap may put in: containers, memo, calls, big integers, stack ops. */
const SWAP_CODES = [...'(012NRabdelostu}])'].map((c) => c.charCodeAt(0)).concat([0x85, 0x86, 0x87, 0x88, 0x94, 0x93, 0x81]);

/** A pickle-aware mutation: integer arguments, length prefixes, opcode swaps, repeated instructions, string contents. */
export function mutatePickle(b: Uint8Array, rng: Rng, start = 0): Mutated {
  const ops = scanPickle(b, start);
  if (ops.length < 2) return mutateBytes(b, rng);
  const out = b.slice();
  const ints = ops.filter((o) => o.kind === 'int' && o.code !== 0x80 && o.code !== 0x95);
  const lens = ops.filter((o) => o.kind === 'len');
  const choice = rng.int(5);
  if (choice === 0 && ints.length) {
    const o = rng.pick(ints);
    const width = o.argLen as 1 | 2 | 4 | 8;
    const value = interestingValue(rng, width);
    setUint(out, o.argAt, width, value, true);
    return { bytes: out, ops: [`pickle op 0x${o.code.toString(16)} at ${o.pos}: argument = ${value}`] };
  }
  if (choice === 1 && lens.length) {
    const o = rng.pick(lens);
    const width = o.argLen as 1 | 4 | 8;
    const value = rng.chance(0.5) ? interestingValue(rng, width) : BigInt(rng.int(64));
    setUint(out, o.argAt, width, value, true);
    return { bytes: out, ops: [`pickle op 0x${o.code.toString(16)} at ${o.pos}: length = ${value}`] };
  }
  if (choice === 2) {
    const o = rng.pick(ops.filter((x) => x.kind === 'none').concat(ops.slice(0, 1)));
    const code = rng.pick(SWAP_CODES);
    out[o.pos] = code;
    return { bytes: out, ops: [`pickle op at ${o.pos}: 0x${o.code.toString(16)} -> 0x${code.toString(16)}`] };
  }
  if (choice === 3) {
    // Repeat a run of instructions (memo gets, tuples, appends): nesting, memo and stack growth.
    const i = rng.int(ops.length - 1);
    const j = Math.min(ops.length - 1, i + rng.int(4));
    const span = b.subarray(ops[i].pos, ops[j].end);
    // Capped so a repeated large string cannot make a file of hundreds of MB.
    const times = Math.max(2, Math.min(rng.pick([2, 16, 256, 4096]), Math.floor(MAX_REPEAT_BYTES / Math.max(1, span.length))));
    const parts: Uint8Array[] = [b.subarray(0, ops[j].end)];
    for (let k = 1; k < times; k++) parts.push(span);
    parts.push(b.subarray(ops[j].end));
    return { bytes: concat(...parts), ops: [`pickle ops ${ops[i].pos}..${ops[j].end} repeated ${times}x`] };
  }
  // String contents: control characters and terminal escapes in names (keys, globals).
  const strings = lens.filter((o) => o.end - o.argAt - o.argLen > 0);
  if (!strings.length) return mutateBytes(b, rng);
  const o = rng.pick(strings);
  const at = o.argAt + o.argLen + rng.int(o.end - o.argAt - o.argLen);
  out[at] = rng.pick([0x1b, 0x0d, 0x0a, 0x00, 0x7f, 0x80, 0xff, 0xc3]);
  return { bytes: out, ops: [`pickle string of op at ${o.pos}: byte ${at} = 0x${out[at].toString(16)}`] };
}

// ---- zip archives (torch checkpoints, .npz, .task) -----------------------------------------

/** The entries of a zip, or null if fflate cannot read it. */
function unzipped(b: Uint8Array): Record<string, Uint8Array> | null {
  try {
    return unzipSync(b);
  } catch {
    return null;
  }
}

/**
 * Mutates one entry with `inner` and re-packs the archive (stored, CRCs and sizes right), so the
 * change reaches the reader of that entry; some of the time the archive itself is mutated instead.
 */
export function mutateZip(b: Uint8Array, rng: Rng, inner: (name: string, data: Uint8Array, rng: Rng) => Mutated): Mutated {
  const entries = rng.chance(0.8) ? unzipped(b) : null;
  if (!entries) return mutateBytes(b, rng);
  const names = Object.keys(entries);
  const name = rng.pick(names);
  const m = inner(name, entries[name], rng);
  const ops = m.ops.map((o) => `entry ${name}: ${o}`);
  const next: Record<string, Uint8Array> = {};
  for (const n of names) {
    if (n !== name) next[n] = entries[n];
    else if (rng.chance(0.05)) ops.push(`entry ${name} removed`);
    else next[n] = m.bytes;
  }
  if (rng.chance(0.05)) {
    next[`${name}.dup`] = m.bytes;
    ops.push('entry duplicated under another name');
  }
  return { bytes: zipSync(next, { level: rng.chance(0.2) ? 6 : 0 }), ops };
}

// ---- .npy headers ---------------------------------------------------------------------------

const NPY_DIMS = ['0', '-1', '1.5', 'nan', '1e9', '4294967296', '9007199254740993', '100000', '3', '778'];
const NPY_DESCRS = ['<f4', '<f8', '<f2', '|u1', '<i4', '<i8', '>f4', '|O', '<U10', '|b1', '<c8', 'x'];

/** Rewrites the header dict of a .npy: shape, dtype or order (version-1 header, length kept right). */
export function mutateNpy(b: Uint8Array, rng: Rng): Mutated {
  if (b.length < 10 || b[0] !== 0x93 || b[6] !== 1 || rng.chance(0.3)) return mutateBytes(b, rng);
  const headerLen = b[8] | (b[9] << 8);
  const header = new TextDecoder('latin1').decode(b.subarray(10, 10 + headerLen));
  let next = header;
  let op: string;
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  const r = rng.int(3);
  if (r === 0 && shape) {
    const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean);
    const i = rng.int(dims.length + 1);
    const dim = rng.pick(NPY_DIMS);
    if (i === dims.length) dims.push(dim);
    else dims[i] = dim;
    next = header.replace(shape[0], `'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''})`);
    op = `npy shape -> (${dims.join(', ')})`;
  } else if (r === 1) {
    const d = rng.pick(NPY_DESCRS);
    next = header.replace(/'descr'\s*:\s*'[^']*'/, `'descr': '${d}'`);
    op = `npy descr -> ${d}`;
  } else {
    next = header.replace('False', 'True');
    op = 'npy fortran_order -> True';
  }
  const body = new TextEncoder().encode(next.trimEnd().padEnd(headerLen - 1, ' ') + '\n');
  const out = new Uint8Array(10 + body.length + b.length - 10 - headerLen);
  out.set(b.subarray(0, 10));
  out[8] = body.length & 0xff;
  out[9] = body.length >> 8;
  out.set(body, 10);
  out.set(b.subarray(10 + headerLen), 10 + body.length);
  return { bytes: out, ops: [op] };
}

// ---- safetensors headers --------------------------------------------------------------------

const HUGE_DIMS = [0, -1, 1.5, 1e7, 2 ** 31, 2 ** 32, 2 ** 53, 1e300];
const CONFIG_VALUES: unknown[] = [0, -1, 1e6, 1e7, 2 ** 31, 0.5, null, 'x', [], [1e7], {}];

/** Rewrites a safetensors JSON header (shape, offsets, dtype, metadata config) and re-encodes its length. */
export function mutateSafetensors(b: Uint8Array, rng: Rng): Mutated {
  if (b.length < 8 || rng.chance(0.25)) return mutateBytes(b, rng);
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  if (8 + n > b.length) return mutateBytes(b, rng);
  const json = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, Record<string, unknown>>;
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  const t = json[rng.pick(names)] as { dtype: string; shape: number[]; data_offsets: number[] };
  const md = (json.__metadata__ ?? {}) as Record<string, string>;
  let op: string;
  const r = rng.int(5);
  if (r === 0) {
    const i = rng.int(t.shape.length + 1);
    t.shape[i] = rng.pick(HUGE_DIMS);
    op = `a tensor's shape -> [${t.shape}]`;
  } else if (r === 1) {
    const i = rng.int(2);
    t.data_offsets[i] = rng.pick([0, -8, t.data_offsets[i] + 4, 2 ** 53, 1e300, 29 * 2 ** 30]);
    op = `a tensor's data_offsets -> [${t.data_offsets}]`;
  } else if (r === 2) {
    t.dtype = rng.pick(['F16', 'F32', 'I32', 'U32', 'F64', 'BF16', 'I8', '']);
    op = `a tensor's dtype -> ${t.dtype}`;
  } else if (r === 3 && md.config) {
    const config = JSON.parse(md.config) as Record<string, unknown>;
    const key = rng.pick(Object.keys(config));
    config[key] = Array.isArray(config[key]) && rng.chance(0.5) ? (config[key] as unknown[]).map(() => rng.pick(CONFIG_VALUES)) : rng.pick(CONFIG_VALUES);
    md.config = JSON.stringify(config);
    op = `metadata config ${key} -> ${JSON.stringify(config[key])}`;
  } else {
    const key = rng.pick(Object.keys(md).concat(['format', 'side', 'version']));
    md[key] = rng.pick(['', '\u001b[2K\rwrote out', 'x'.repeat(5000), 'hiu-weights', 'left', '2']);
    json.__metadata__ = md;
    op = `metadata ${key} -> a ${md[key].length}-character string`;
  }
  const body = new TextEncoder().encode(JSON.stringify(json));
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(body.length), true);
  return { bytes: concat(head, body, b.subarray(8 + n)), ops: [op] };
}

// ---- images -----------------------------------------------------------------------------------

const BIG_SIDES = [0, 1, 20000, 65535, 0x7fffffff, 0xffffffff];

/** PNG: IHDR width/height/depth/colour type, or a chunk's data, with the chunk CRC fixed. */
export function mutatePng(b: Uint8Array, rng: Rng): Mutated {
  if (rng.chance(0.35)) return mutateBytes(b, rng);
  const chunks: { at: number; len: number; type: string }[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 8; p + 12 <= b.length; ) {
    const len = v.getUint32(p);
    chunks.push({ at: p, len, type: String.fromCharCode(...b.subarray(p + 4, p + 8)) });
    p += 12 + len;
  }
  if (!chunks.length) return mutateBytes(b, rng);
  const out = b.slice();
  const ov = new DataView(out.buffer);
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  let op: string;
  let c = ihdr;
  if (ihdr && rng.chance(0.6)) {
    const field = rng.pick([0, 4, 8, 9, 12] as const);
    if (field < 8) ov.setUint32(ihdr.at + 8 + field, rng.pick(BIG_SIDES));
    else out[ihdr.at + 8 + field] = rng.pick([0, 1, 2, 3, 4, 6, 7, 16, 255]);
    op = `PNG IHDR byte ${field} -> ${field < 8 ? ov.getUint32(ihdr.at + 8 + field) : out[ihdr.at + 8 + field]}`;
  } else {
    c = rng.pick(chunks);
    if (!c.len) return mutateBytes(b, rng);
    const m = mutateBytes(out.subarray(c.at + 8, c.at + 8 + c.len), rng);
    out.set(m.bytes.subarray(0, c.len), c.at + 8);
    op = `PNG ${c.type} data: ${m.ops.join(', ')}`;
  }
  if (c && c.at + 12 + c.len <= out.length) ov.setUint32(c.at + 8 + c.len, crc32(out.subarray(c.at + 4, c.at + 8 + c.len)));
  return { bytes: out, ops: [op] };
}

/** JPEG: the frame header's height/width/components, or generic bytes. */
export function mutateJpeg(b: Uint8Array, rng: Rng): Mutated {
  const sof = b.findIndex((x, i) => x === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2));
  if (sof < 0 || rng.chance(0.4)) return mutateBytes(b, rng);
  const out = b.slice();
  const ov = new DataView(out.buffer);
  const field = rng.pick([5, 7, 9] as const); // height, width, component count
  if (field === 9) out[sof + 9] = rng.pick([0, 2, 4, 255]);
  else ov.setUint16(sof + field, rng.pick([0, 1, 20000, 65535]));
  return { bytes: out, ops: [`JPEG SOF ${field === 5 ? 'height' : field === 7 ? 'width' : 'components'} -> ${field === 9 ? out[sof + 9] : ov.getUint16(sof + field)}`] };
}
