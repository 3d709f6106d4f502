// Hostile .npz files for tests, built in memory: a zip writer that takes entries as they should be
// stored (so a test can declare sizes the data does not have), .npy entries with any header text,
// and a DEFLATE stream of many zeros made without ever holding them (1 GiB -> 6.8 MB).
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { crc32 } from '../../src/weights/zip.ts';
import { fixture } from './helpers.ts';

export interface RawZipEntry {
  name: string;
  /** Stored (method 0) bytes, or a DEFLATE stream with its declared inflated size and CRC. */
  data: Uint8Array;
  deflated?: { size: number; crc: number };
}

/** A zip of the entries exactly as given (no zip64: sizes below 4 GiB). */
export function zipRaw(entries: RawZipEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const size = e.deflated?.size ?? e.data.length;
    const crc = e.deflated?.crc ?? crc32(e.data);
    const method = e.deflated ? 8 : 0;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, e.data);
    central.push(cd);
    offset += local.length + e.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of all) out.set(p, o), (o += p.length);
  return out;
}

/** A .npy header (version 1) with the given descr and shape text, padded like numpy's, then `data`. */
export function npyRaw(descr: string, shapeText: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 11, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

/**
 * `prefix` followed by `zeros` zero bytes as one fixed-Huffman DEFLATE block: the prefix and one
 * zero as literals, then matches of 258 at distance 1 (13 bits each). The zeros never exist.
 */
export function deflateZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(((prefix.length + 300) * 9 + (zeros / 258) * 13) / 8) + 16);
  let pos = 0;
  let acc = 0;
  let n = 0;
  const bits = (v: number, len: number) => {
    acc |= v << n;
    n += len;
    while (n >= 8) (out[pos++] = acc & 0xff), (acc >>>= 8), (n -= 8);
  };
  const reverse = (code: number, len: number) => {
    let r = 0;
    for (let i = 0; i < len; i++) r |= ((code >> i) & 1) << (len - 1 - i);
    return r;
  };
  const huff = (code: number, len: number) => bits(reverse(code, len), len); // Huffman codes go most significant bit first
  const literal = (b: number) => (b < 144 ? huff(0x30 + b, 8) : huff(0x190 + b - 144, 9));
  const match258 = reverse(0xc5, 8); // length code 285 (258), then distance code 0 (1): five zero bits
  bits(1, 1); // BFINAL
  bits(1, 2); // BTYPE 01: fixed Huffman
  for (const b of prefix) literal(b);
  let left = zeros;
  if (left > 0) literal(0), left--;
  for (; left >= 258; left -= 258) {
    bits(match258, 13);
  }
  for (; left > 0; left--) literal(0);
  huff(0, 7); // end of block
  if (n) out[pos++] = acc;
  return out.subarray(0, pos);
}

/** The entries of a committed MANO .npz fixture, to rebuild with some of them changed. */
export function fixtureNpzEntries(file: string): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(new Uint8Array(readFileSync(fixture('mano', file))))));
}

/** An .npz of stored entries (name -> bytes). */
export function npzOf(entries: Map<string, Uint8Array>): Uint8Array {
  return zipRaw([...entries].map(([name, data]) => ({ name, data })));
}
