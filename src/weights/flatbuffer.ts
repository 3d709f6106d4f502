/**
 * A small, bounds-checked FlatBuffers table reader (just what reading a .tflite needs).
 *
 * Why our own rather than the `flatbuffers` runtime: that runtime trusts the file (an offset past
 * the end reads undefined or throws a RangeError), and model files come from outside. Here every
 * offset and length is checked before use, nothing is allocated from an unchecked length, and
 * any inconsistency throws a TfliteFormatError whose one-line message names the file, the table
 * and the field. A work budget bounds the total elements read, so offsets that make many tables
 * share one huge vector cannot turn a small file into hours of work.
 *
 * Layout reminder: a table starts with an int32 soffset to its vtable (vtable = table - soffset);
 * the vtable holds uint16 [vtable size, table size, field offsets...]; offset-typed fields hold a
 * uint32 relative to the field's own position; vectors and strings start with a uint32 length.
 */
import { decodeUtf8 } from '../util/utf8.ts';

export class TfliteFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TfliteFormatError';
  }
}


/** Deepest table nesting read: TFLite's schema nests about five deep; anything far deeper is a corrupt file. */
export const MAX_TABLE_DEPTH = 32;
/**
 * Elements (tables, vector items, string bytes, decoded weights / 4) read per byte of file, plus
 * a fixed allowance: offsets that make many tables share one vector cannot turn a small file into
 * hours of work. An honest file reads each element once.
 */
export const WORK_PER_BYTE = 4;
const WORK_ALLOWANCE = 65536;

export class FlatBufferReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly file: string;
  /** Elements left to read before the file counts as hostile (see the header comment). */
  private budget: number;

  constructor(bytes: Uint8Array, file: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.file = file;
    this.budget = WORK_PER_BYTE * bytes.length + WORK_ALLOWANCE;
  }

  get size(): number {
    return this.bytes.length;
  }

  fail(where: string, msg: string): never {
    throw new TfliteFormatError(`${this.file}: ${where}: ${msg}`);
  }

  charge(n: number, where: string): void {
    this.budget -= n;
    if (this.budget < 0) this.fail(where, `reads more than ${WORK_PER_BYTE * this.size + WORK_ALLOWANCE} elements in a ${this.size}-byte file (offsets that share or loop?)`);
  }

  /** The 4-byte file identifier after the root offset ('' when the file is too short). */
  identifier(): string {
    if (this.size < 8) return '';
    return String.fromCharCode(...this.bytes.subarray(4, 8));
  }

  root(label: string): FbTable {
    if (this.size < 8) this.fail(label, `file is ${this.size} bytes, too short for a FlatBuffer (at least 8)`);
    return new FbTable(this, this.view.getUint32(0, true), label, 0);
  }
}

/** A vector of tables, opened one element at a time (so unused elements are never parsed). */
export interface FbTableVector {
  readonly length: number;
  at(i: number): FbTable;
}

export class FbTable {
  readonly fb: FlatBufferReader;
  /** Absolute byte position of the table. */
  readonly pos: number;
  /** For messages: 'Tensor[12]'. */
  readonly label: string;
  readonly depth: number;
  private readonly vt: number;
  private readonly vtSize: number;
  private readonly tableSize: number;

  constructor(fb: FlatBufferReader, pos: number, label: string, depth: number) {
    this.fb = fb;
    this.pos = pos;
    this.label = label;
    this.depth = depth;
    const n = fb.size;
    if (depth > MAX_TABLE_DEPTH) fb.fail(label, `tables nested more than ${MAX_TABLE_DEPTH} deep`);
    if (pos + 4 > n) fb.fail(label, `table at byte ${pos} lies past the end of the file (${n} bytes)`);
    const vt = pos - fb.view.getInt32(pos, true);
    if (vt < 0 || vt + 4 > n) fb.fail(label, `vtable of the table at byte ${pos} would be at byte ${vt}, outside the file (${n} bytes)`);
    this.vt = vt;
    this.vtSize = fb.view.getUint16(vt, true);
    this.tableSize = fb.view.getUint16(vt + 2, true);
    if (this.vtSize < 4 || this.vtSize % 2) fb.fail(label, `vtable at byte ${vt} has a bad size ${this.vtSize}`);
    if (vt + this.vtSize > n) fb.fail(label, `vtable of ${this.vtSize} bytes at byte ${vt} runs past the end of the file (${n} bytes)`);
    if (this.tableSize < 4 || pos + this.tableSize > n) {
      fb.fail(label, `table of ${this.tableSize} bytes at byte ${pos} runs past the end of the file (${n} bytes)`);
    }
    fb.charge(1, label);
  }

  private where(name: string): string {
    return `${this.label}.${name}`;
  }

  /** Absolute position of a field's inline bytes, 0 when absent; the field must lie inside the table. */
  private field(id: number, name: string, width: number): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtSize) return 0;
    const off = this.fb.view.getUint16(this.vt + slot, true);
    if (off === 0) return 0;
    if (off < 4 || off + width > this.tableSize) {
      this.fb.fail(this.where(name), `field at offset ${off} (${width} bytes) lies outside its ${this.tableSize}-byte table at byte ${this.pos}`);
    }
    return this.pos + off;
  }

  has(id: number): boolean {
    const slot = 4 + 2 * id;
    return slot + 2 <= this.vtSize && this.fb.view.getUint16(this.vt + slot, true) !== 0;
  }

  u8(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 1);
    return p ? this.fb.view.getUint8(p) : def;
  }

  i8(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 1);
    return p ? this.fb.view.getInt8(p) : def;
  }

  bool(id: number, name: string, def = false): boolean {
    const p = this.field(id, name, 1);
    return p ? this.fb.view.getUint8(p) !== 0 : def;
  }

  i32(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 4);
    return p ? this.fb.view.getInt32(p, true) : def;
  }

  u32(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 4);
    return p ? this.fb.view.getUint32(p, true) : def;
  }

  f32(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 4);
    return p ? this.fb.view.getFloat32(p, true) : def;
  }

  /** uint64/int64 as a number; values past 2^53 are an error (they are offsets or sizes here). */
  u64(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 8);
    if (!p) return def;
    const v = this.fb.view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fb.fail(this.where(name), `value ${v} is too large`);
    return Number(v);
  }

  i64(id: number, name: string, def = 0): number {
    const p = this.field(id, name, 8);
    if (!p) return def;
    const v = this.fb.view.getBigInt64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) this.fb.fail(this.where(name), `value ${v} is too large`);
    return Number(v);
  }

  /** Follows an offset field: the absolute position it points at, 0 when absent. */
  private target(id: number, name: string, what: string, need: number): number {
    const p = this.field(id, name, 4);
    if (!p) return 0;
    const t = p + this.fb.view.getUint32(p, true);
    if (t + need > this.fb.size) this.fb.fail(this.where(name), `${what} at byte ${t} lies past the end of the file (${this.fb.size} bytes)`);
    return t;
  }

  /** A vector's element start and length, checked to fit in the file; null when absent. */
  private vector(id: number, name: string, elemSize: number, what: string): { start: number; length: number } | null {
    const v = this.target(id, name, 'vector', 4);
    if (!v) return null;
    const length = this.fb.view.getUint32(v, true);
    if (length * elemSize > this.fb.size - (v + 4)) {
      this.fb.fail(this.where(name), `vector of ${length} ${what} at byte ${v} runs past the end of the file (${this.fb.size} bytes)`);
    }
    return { start: v + 4, length };
  }

  vectorLength(id: number, name: string, elemSize: number, what: string): number {
    return this.vector(id, name, elemSize, what)?.length ?? 0;
  }

  string(id: number, name: string, def = ''): string {
    const s = this.target(id, name, 'string', 4);
    return s ? this.stringAt(s, this.where(name)) : def;
  }

  /** The string whose length prefix is at `s` (already known to lie in the file). */
  private stringAt(s: number, where: string): string {
    const len = this.fb.view.getUint32(s, true);
    if (len > this.fb.size - (s + 4)) this.fb.fail(where, `string of ${len} bytes at byte ${s} runs past the end of the file (${this.fb.size} bytes)`);
    this.fb.charge(len, where);
    const text = decodeUtf8(this.fb.bytes.subarray(s + 4, s + 4 + len));
    if (!text.ok) this.fb.fail(where, `string at byte ${s} is not valid UTF-8 (bad byte at ${s + 4 + text.offset})`);
    return text.text;
  }

  /** int32 vector as numbers; [] when absent. */
  i32s(id: number, name: string): number[] {
    const v = this.vector(id, name, 4, 'int32');
    if (!v) return [];
    this.fb.charge(v.length, this.where(name));
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.view.getInt32(v.start + 4 * i, true);
    return out;
  }

  f32s(id: number, name: string): number[] {
    const v = this.vector(id, name, 4, 'float32');
    if (!v) return [];
    this.fb.charge(v.length, this.where(name));
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.view.getFloat32(v.start + 4 * i, true);
    return out;
  }

  /** A ubyte vector as a view into the file (no copy); undefined when absent. */
  bytes(id: number, name: string): Uint8Array | undefined {
    const v = this.vector(id, name, 1, 'bytes');
    return v ? this.fb.bytes.subarray(v.start, v.start + v.length) : undefined;
  }

  /** A sub-table, labelled `${this.label}.${name}` unless told otherwise; undefined when absent. */
  table(id: number, name: string, label = this.where(name)): FbTable | undefined {
    const t = this.target(id, name, 'table', 4);
    return t ? new FbTable(this.fb, t, label, this.depth + 1) : undefined;
  }

  /** A vector of tables; element i is labelled `${label}[i]`. Empty when absent. */
  tables(id: number, name: string, label: string): FbTableVector {
    const v = this.vector(id, name, 4, 'table offsets');
    const length = v?.length ?? 0;
    this.fb.charge(length, this.where(name));
    return {
      length,
      at: (i: number) => {
        if (!v || !(i >= 0 && i < length)) throw new RangeError(`${this.where(name)}[${i}] out of range (${length})`);
        const e = v.start + 4 * i;
        const t = e + this.fb.view.getUint32(e, true);
        const elabel = `${label}[${i}]`;
        if (t + 4 > this.fb.size) this.fb.fail(elabel, `table at byte ${t} lies past the end of the file (${this.fb.size} bytes)`);
        return new FbTable(this.fb, t, elabel, this.depth + 1);
      },
    };
  }

  strings(id: number, name: string): string[] {
    const v = this.vector(id, name, 4, 'string offsets');
    if (!v) return [];
    this.fb.charge(v.length, this.where(name));
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const e = v.start + 4 * i;
      const s = e + this.fb.view.getUint32(e, true);
      const where = this.where(`${name}[${i}]`);
      if (s + 4 > this.fb.size) this.fb.fail(where, `string at byte ${s} lies past the end of the file (${this.fb.size} bytes)`);
      out.push(this.stringAt(s, where));
    }
    return out;
  }

  /**
   * A union: its type is the ubyte field `id`, its value the table at field `id + 1` (how flatc lays
   * unions out). `names[type - 1]` labels the value table; type 0 (NONE) gives no table.
   */
  union(id: number, name: string, names: readonly string[]): { type: number; typeName: string; table?: FbTable } {
    const type = this.u8(id, `${name}_type`);
    if (type === 0) return { type, typeName: 'NONE' };
    const typeName = names[type - 1] ?? `union type ${type}`;
    return { type, typeName, table: this.table(id + 1, name, `${this.where(name)}(${typeName})`) };
  }
}
