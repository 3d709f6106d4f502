/**
 * Builds small torch checkpoints in memory for the hostile-input tests: a pickle writer for the
 * opcodes torch emits, the zip layout (archive/data.pkl + archive/data/<key>) through a zip writer
 * whose declared sizes, method and CRC can lie, and the legacy layout. Not a test file itself.
 */
import { deflateSync } from 'fflate';
import { crc32 } from '../../src/weights/zip.ts';

type Bytes = number[];
const le32 = (n: number): Bytes => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const le16 = (n: number): Bytes => [n & 255, (n >>> 8) & 255];
const le64 = (n: number): Bytes => [...le32(n >>> 0), ...le32(Math.floor(n / 2 ** 32))];

/** Pickle pieces (each a byte list); `pkl(...)` joins them after PROTO 2 and before STOP. */
export const Pk = {
  int: (n: number): Bytes => {
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return [0x4a, ...le32(n)]; // BININT
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, n, false);
    return [0x47, ...new Uint8Array(b.buffer)]; // BINFLOAT: how a NaN offset gets in
  },
  str: (s: string): Bytes => {
    const b = [...Buffer.from(s, 'utf8')];
    return [0x58, ...le32(b.length), ...b]; // BINUNICODE
  },
  rawStr: (bytes: Bytes): Bytes => [0x58, ...le32(bytes.length), ...bytes],
  global: (mod: string, name: string): Bytes => [0x63, ...Buffer.from(`${mod}\n${name}\n`, 'latin1')],
  tuple: (...items: Bytes[]): Bytes => [0x28, ...items.flat(), 0x74],
  none: [0x4e] as Bytes,
  false: [0x89] as Bytes,
  /** A dict from MARK ... SETITEMS. */
  dict: (entries: [Bytes, Bytes][]): Bytes => [0x7d, 0x28, ...entries.flatMap(([k, v]) => [...k, ...v]), 0x75],
};
/** t = 'x'; then `doublings` times t = (t, t); then t: 2^doublings leaves in 8 bytes per level. */
export function memoDoubled(doublings: number): Bytes {
  const out = [0x8c, 1, 0x78, 0x71, 0, 0x30]; // SHORT_BINUNICODE 'x', BINPUT 0, POP
  for (let i = 0; i < doublings; i++) out.push(0x68, 0, 0x68, 0, 0x86, 0x71, 0, 0x30); // BINGET 0 x2, TUPLE2, BINPUT 0, POP
  return [...out, 0x68, 0];
}

export const pkl = (...parts: Bytes[]) => new Uint8Array([0x80, 2, ...parts.flat(), 0x2e]);

export interface TensorSpec {
  storage: string;
  /** Storage class name in torch (FloatStorage, HalfStorage, ...). */
  cls?: string;
  /** numel declared in the persistent id. */
  numel: number;
  offset: number;
  size: number[];
  stride: number[];
  /** Legacy only: (offset, size) of a storage view. */
  view?: [number, number];
}

/** A torch._utils._rebuild_tensor_v2 call on a persistent storage id. */
export function tensorPickle(t: TensorSpec, legacy = false): Bytes {
  const pid = [Pk.str('storage'), Pk.global('torch', t.cls ?? 'FloatStorage'), Pk.str(t.storage), Pk.str('cpu'), Pk.int(t.numel)];
  if (legacy) pid.push(t.view ? Pk.tuple(Pk.str(`${t.storage}v`), Pk.int(t.view[0]), Pk.int(t.view[1])) : Pk.none);
  return [
    ...Pk.global('torch._utils', '_rebuild_tensor_v2'),
    ...Pk.tuple([...Pk.tuple(...pid), 0x51], Pk.int(t.offset), Pk.tuple(...t.size.map(Pk.int)), Pk.tuple(...t.stride.map(Pk.int)), Pk.false,
      [...Pk.global('collections', 'OrderedDict'), 0x29, 0x52]),
    0x52,
  ];
}

/** data.pkl of a state dict {name: tensor}. */
export const stateDictPickle = (tensors: Record<string, TensorSpec>, legacy = false) =>
  pkl(Pk.dict(Object.entries(tensors).map(([k, t]) => [Pk.str(k), tensorPickle(t, legacy)])));

export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  /** 0 stored (default), 8 deflated (data is compressed here). */
  method?: 0 | 8;
  /** Declared uncompressed size and CRC (default: the truth). */
  size?: number;
  crc?: number;
}

/** A zip archive whose headers say what the spec says, true or not. */
export function zipArchive(entries: ZipEntrySpec[]): Uint8Array {
  const local: (Bytes | Uint8Array)[] = [];
  const central: Bytes[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = method === 8 ? deflateSync(e.data) : e.data;
    const name = [...Buffer.from(e.name, 'utf8')];
    const size = e.size ?? e.data.length;
    const crc = e.crc ?? crc32(e.data);
    const common = [...le16(20), ...le16(0), ...le16(method), ...le16(0), ...le16(0), ...le32(crc), ...le32(body.length), ...le32(size), ...le16(name.length), ...le16(0)];
    const head = [...le32(0x04034b50), ...common, ...name];
    central.push([...le32(0x02014b50), ...le16(20), ...common, ...le16(0), ...le16(0), ...le16(0), ...le32(0), ...le32(offset), ...name]);
    local.push(head, body);
    offset += head.length + body.length;
  }
  const cd = central.flat();
  const eocd = [...le32(0x06054b50), 0, 0, 0, 0, ...le16(entries.length), ...le16(entries.length), ...le32(cd.length), ...le32(offset), 0, 0];
  const out = new Uint8Array(offset + cd.length + eocd.length);
  let p = 0;
  for (const part of [...local, cd, eocd]) (out.set(part, p), (p += part.length));
  return out;
}

/** A zip-format checkpoint: data.pkl plus storages by key (bytes as given, whatever the pickle says). */
export const zipCheckpoint = (dataPkl: Uint8Array, storages: Record<string, Uint8Array> = {}) =>
  zipArchive([{ name: 'archive/data.pkl', data: dataPkl }, ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data }))]);

export const f32Bytes = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

/** A legacy-format checkpoint: magic, protocol, sys_info, the object, the keys, then [numel u64][bytes] per storage. */
export function legacyCheckpoint(mainPkl: Uint8Array, storages: [key: string, numel: number, bytes: Uint8Array][]): Uint8Array {
  const magic = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
  const proto = pkl(Pk.int(1001));
  const sys = pkl(Pk.dict([[Pk.str('little_endian'), [0x88]]]));
  const keys = pkl([0x28, ...storages.flatMap(([k]) => Pk.str(k)), 0x6c]);
  const tail = storages.flatMap(([, numel, b]) => [...le64(numel), ...b]);
  return new Uint8Array([...magic, ...proto, ...sys, ...mainPkl, ...keys, ...tail]);
}
