/**
 * Minimal zip reader over a random-access ByteSource.
 *
 * Why hand-written rather than fflate's unzip: fflate needs the whole archive in one buffer, and a
 * full-size checkpoint is ~700 MB. torch's zip writer stores entries uncompressed (method 0), so we
 * read the central directory from the end of the file and then each entry straight from its file
 * offset, one at a time. fflate is still used to inflate DEFLATE entries (a re-zipped checkpoint).
 * Zip64 is handled because torch writes it for archives past 4 GiB.
 */
import { inflateBounded } from './inflate.ts';
import type { ByteSource } from './source.ts';
import { quoteUntrusted } from '../util/untrusted.ts';

/**
 * Largest size a compressed (DEFLATE) entry may inflate to: 256 MiB. torch stores entries
 * uncompressed, so a stored entry is bounded by the file itself; a deflated one is not, and a
 * 1.5 MB file can otherwise declare 1 GiB of zeros. The largest storage of a full-size model is a
 * few MB.
 */
export const ZIP_MAX_INFLATED_BYTES = 256 << 20;
/** DEFLATE cannot expand by more than this (a 258-byte match per two bits): a larger declared size is a lie. */
export const DEFLATE_MAX_RATIO = 1032;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (zip's polynomial); fflate does not export its own. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}


export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();

  private constructor(readonly source: ByteSource) {}

  static async open(source: ByteSource): Promise<ZipReader> {
    const zip = new ZipReader(source);
    await zip.readCentralDirectory();
    return zip;
  }

  private fail(msg: string): never {
    throw new Error(`${this.source.name}: corrupt or truncated zip: ${msg}`);
  }

  /** A zip64 field: sizes and offsets past 2^53 cannot be real. */
  private u64(v: DataView, off: number): number {
    const n = v.getBigUint64(off, true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`64-bit field ${n} too large`);
    return Number(n);
  }

  private async readCentralDirectory(): Promise<void> {
    const src = this.source;
    const tailLen = Math.min(src.size, 22 + 65535 + 20);
    if (src.size < 22) this.fail('file too short for an end-of-central-directory record');
    const tailStart = src.size - tailLen;
    const tail = await src.read(tailStart, tailLen);
    const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail('no end-of-central-directory record (file cut short?)');
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    // Zip64: a locator sits just before the EOCD and points at the zip64 EOCD record.
    if (eocd >= 20 && tv.getUint32(eocd - 20, true) === 0x07064b50) {
      const recOff = this.u64(tv, eocd - 20 + 8);
      const rec = await src.read(recOff, 56);
      const rv = new DataView(rec.buffer, rec.byteOffset, 56);
      if (rv.getUint32(0, true) !== 0x06064b50) this.fail('bad zip64 end-of-central-directory record');
      count = this.u64(rv, 32);
      cdSize = this.u64(rv, 40);
      cdOffset = this.u64(rv, 48);
    }
    if (cdOffset + cdSize > src.size) this.fail(`central directory (${cdOffset}+${cdSize}) lies past the end (${src.size})`);
    const cd = await src.read(cdOffset, cdSize);
    const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const dec = new TextDecoder();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || v.getUint32(p, true) !== 0x02014b50) this.fail(`bad central directory entry ${i}`);
      const method = v.getUint16(p + 10, true);
      const crc = v.getUint32(p + 16, true);
      let csize = v.getUint32(p + 20, true);
      let size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      let local = v.getUint32(p + 42, true);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) this.fail(`central directory entry ${i} runs past the directory`);
      const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // Zip64 extended information: the 0xFFFFFFFF fields, in this order, are in extra id 0x0001.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = v.getUint16(e, true);
        const len = v.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const field = () => {
            if (q + 8 > Math.min(e + 4 + len, eEnd)) this.fail(`zip64 field of entry ${quoteUntrusted(name)} is cut short`);
            return (q += 8), this.u64(v, q - 8);
          };
          if (size === 0xffffffff) size = field();
          if (csize === 0xffffffff) csize = field();
          if (local === 0xffffffff) local = field();
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize: csize, size, crc32: crc, localHeaderOffset: local });
      p = eEnd + commentLen;
    }
  }

  /** Where an entry's data starts (after its local header) and how long it is. */
  async dataRange(entry: ZipEntry): Promise<{ offset: number; length: number }> {
    const label = quoteUntrusted(entry.name);
    const h = await this.source.read(entry.localHeaderOffset, 30).catch(() => this.fail(`local header of ${label} is missing`));
    const hv = new DataView(h.buffer, h.byteOffset, 30);
    if (hv.getUint32(0, true) !== 0x04034b50) this.fail(`bad local header for ${label}`);
    const offset = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (offset + entry.compressedSize > this.source.size) {
      this.fail(`entry ${label} (${entry.compressedSize} bytes at ${offset}) runs past the end of the file (${this.source.size})`);
    }
    return { offset, length: entry.compressedSize };
  }

  /**
   * Checks an entry's declared sizes before anything is read: a stored entry is exactly its bytes
   * in the file; a deflated one may not claim more than DEFLATE can give or ZIP_MAX_INFLATED_BYTES.
   */
  checkSizes(entry: ZipEntry): void {
    const label = quoteUntrusted(entry.name);
    const { method, size, compressedSize: csize } = entry;
    if (method === 0 && size !== csize) this.fail(`stored entry ${label} declares ${size} bytes but holds ${csize}`);
    if (method === 8) {
      if (size > csize * DEFLATE_MAX_RATIO) this.fail(`entry ${label} declares ${size} bytes from ${csize} compressed, more than DEFLATE can produce`);
      if (size > ZIP_MAX_INFLATED_BYTES) this.fail(`entry ${label} would inflate to ${size} bytes, over the limit of ${ZIP_MAX_INFLATED_BYTES}`);
    }
    if (method !== 0 && method !== 8) this.fail(`entry ${label} uses unsupported compression method ${method}`);
  }

  /** Reads one entry whole, checking its sizes and CRC-32. */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`${this.source.name}: zip entry ${quoteUntrusted(name)} not found`);
    this.checkSizes(entry);
    const { offset, length } = await this.dataRange(entry);
    const raw = await this.source.read(offset, length);
    const data = entry.method === 0 ? raw : this.inflate(raw, entry);
    if (crc32(data) !== entry.crc32) this.fail(`CRC mismatch in entry ${quoteUntrusted(name)}`);
    return data;
  }

  /** Inflates into a buffer of the declared size, a step at a time, refusing any byte beyond it. */
  private inflate(raw: Uint8Array, entry: ZipEntry): Uint8Array {
    try {
      return inflateBounded(raw, entry.size);
    } catch (e) {
      return this.fail(`entry ${quoteUntrusted(entry.name)} ${(e as Error).message}`);
    }
  }
}
