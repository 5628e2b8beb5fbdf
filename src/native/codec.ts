// The byte layout of batches crossing into the Rust core; mirrors native/binding/src/codec.rs.
// One Buffer in and one Buffer out per SQS call.

export class Writer {
  private buf: Buffer;
  private at = 0;
  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.at);
    this.at += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.buf.writeInt32LE(v, this.at);
    this.at += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /**
   * u32 length, then UTF-8 bytes. A lone surrogate has no UTF-8 form and is written as U+FFFD,
   * so every string stored through here is checked first by what AWS allows in it: bodies and
   * message attribute values by the body's character rule (validate.ts `hasInvalidChars`),
   * group and deduplication ids as ASCII; receipt handles are only looked up.
   */
  str(s: string): void {
    const max = s.length * 3;
    this.room(4 + max);
    const n = this.buf.write(s, this.at + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.at);
    this.at += 4 + n;
  }
  blob(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

export class Reader {
  at = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.at++]!;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }
  str(): string {
    const n = this.u32();
    const s = n === 0 ? '' : this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  blob(): Buffer {
    const n = this.u32();
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
}

/** Encodes a list of strings as one buffer (receipt handles). */
export function stringList(items: readonly string[]): Buffer {
  const w = new Writer(16 + items.length * 48);
  w.u32(items.length);
  for (const s of items) w.str(s);
  return w.finish();
}
