/**
 * A minimal FlatBuffers writer for tests: builds synthetic .tflite files (ops, options, dtypes
 * and shapes the real models do not have) so the reader and importer can be tested on them.
 * Objects are written back to front, as FlatBuffers requires children after their referrers.
 */
export type Scalar = 'u8' | 'i8' | 'u16' | 'i32' | 'u32' | 'f32' | 'u64';
const SIZE: Record<Scalar, number> = { u8: 1, i8: 1, u16: 2, i32: 4, u32: 4, f32: 4, u64: 8 };

/** A table field: a scalar, or a reference to an object already written (its Ref). */
export type Field = { id: number; type: Scalar; value: number } | { id: number; ref: Ref };
/** Distance of an object's start from the end of the buffer. */
export type Ref = { dist: number };

export class FlatBufferBuilder {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private prepend(bytes: Uint8Array, align: number): Ref {
    const pad = (align - ((this.size + bytes.length) % align)) % align;
    if (pad) this.push(new Uint8Array(pad));
    this.push(bytes);
    return { dist: this.size };
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private static scalar(type: Scalar, value: number): Uint8Array {
    const b = new Uint8Array(SIZE[type]);
    const v = new DataView(b.buffer);
    if (type === 'u8') v.setUint8(0, value);
    else if (type === 'i8') v.setInt8(0, value);
    else if (type === 'u16') v.setUint16(0, value, true);
    else if (type === 'i32') v.setInt32(0, value, true);
    else if (type === 'u32') v.setUint32(0, value, true);
    else if (type === 'f32') v.setFloat32(0, value, true);
    else v.setBigUint64(0, BigInt(value), true);
    return b;
  }

  /** A vector of scalars (or raw bytes with type 'u8'). */
  vector(type: Scalar, values: ArrayLike<number> | Uint8Array): Ref {
    const el = SIZE[type];
    const body = new Uint8Array(values.length * el);
    if (values instanceof Uint8Array && type === 'u8') body.set(values);
    else for (let i = 0; i < values.length; i++) body.set(FlatBufferBuilder.scalar(type, values[i]), i * el);
    this.prepend(body, Math.max(4, el));
    return this.prepend(FlatBufferBuilder.scalar('u32', values.length), 4);
  }

  string(s: string): Ref {
    const utf8 = new TextEncoder().encode(s);
    const body = new Uint8Array(utf8.length + 1);
    body.set(utf8);
    this.prepend(body, 4);
    return this.prepend(FlatBufferBuilder.scalar('u32', utf8.length), 4);
  }

  /** A vector of references (tables or strings). */
  refs(items: Ref[]): Ref {
    if (this.size % 4) this.push(new Uint8Array(4 - (this.size % 4)));
    for (let i = items.length - 1; i >= 0; i--) this.push(FlatBufferBuilder.scalar('u32', this.size + 4 - items[i].dist));
    return this.prepend(FlatBufferBuilder.scalar('u32', items.length), 4);
  }

  table(fields: Field[]): Ref {
    // Table body: soffset to the vtable, then the fields, largest first so each is aligned.
    const sized = fields.map((f) => ({ f, size: 'ref' in f ? 4 : SIZE[f.type] })).sort((a, b) => b.size - a.size);
    const offsets = new Map<number, number>();
    let len = 4;
    for (const { f, size } of sized) {
      len = Math.ceil(len / size) * size;
      offsets.set(f.id, len);
      len += size;
    }
    len = Math.ceil(len / 8) * 8;
    const body = new Uint8Array(len);
    // Align the table start to 8 from the end, and know its distance before writing refs.
    const pad = (8 - ((this.size + len) % 8)) % 8;
    const tableDist = this.size + pad + len;
    for (const { f } of sized) {
      const at = offsets.get(f.id)!;
      body.set('ref' in f ? FlatBufferBuilder.scalar('u32', tableDist - at - f.ref.dist) : FlatBufferBuilder.scalar(f.type, f.value), at);
    }
    const maxId = Math.max(-1, ...fields.map((f) => f.id));
    const vt = new Uint8Array(4 + 2 * (maxId + 1));
    const vv = new DataView(vt.buffer);
    vv.setUint16(0, vt.length, true);
    vv.setUint16(2, len, true);
    for (const [id, at] of offsets) vv.setUint16(4 + 2 * id, at, true);
    new DataView(body.buffer).setInt32(0, vt.length, true); // the vtable sits right before the table
    const ref = this.prepend(body, 8);
    if (ref.dist !== tableDist) throw new Error('flatbuffer builder: table misplaced');
    this.push(vt);
    return ref;
  }

  /** The finished buffer: root offset, file identifier, padding, objects. */
  finish(root: Ref, identifier: string): Uint8Array {
    const head = 8;
    const pad = (8 - ((head + this.size) % 8)) % 8;
    const total = head + pad + this.size;
    const out = new Uint8Array(total);
    new DataView(out.buffer).setUint32(0, total - root.dist, true);
    out.set(new TextEncoder().encode(identifier).subarray(0, 4), 4);
    let at = total;
    for (const c of this.chunks) {
      at -= c.length;
      out.set(c, at);
    }
    return out;
  }
}
