/**
 * A small msgpack writer that produces exactly what hashicorp/go-msgpack 0.5.5 writes for
 * hashicorp/raft's structs: maps with the Go field names sorted byte-wise, integers in their
 * smallest form, byte slices as old-style raw strings (fixstr, str16, str32; never str8 or bin)
 * and `nil` for empty slices. It writes straight into one growing buffer because AppendEntries
 * is the hot path of replication.
 */
export class WireWriter {
  private buf: Buffer
  private pos = 0

  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  /** The bytes written so far (a view of the writer's buffer: the writer is not reused after). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  byte(b: number): void {
    this.reserve(1)
    this.buf[this.pos++] = b
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n)
    else {
      this.reserve(3)
      this.buf[this.pos++] = 0xde
      this.buf.writeUInt16BE(n, this.pos)
      this.pos += 2
    }
  }

  arrayHeader(n: number): void {
    this.reserve(5)
    if (n < 16) this.buf[this.pos++] = 0x90 | n
    else if (n < 0x10000) {
      this.buf[this.pos++] = 0xdc
      this.buf.writeUInt16BE(n, this.pos)
      this.pos += 2
    } else {
      this.buf[this.pos++] = 0xdd
      this.buf.writeUInt32BE(n, this.pos)
      this.pos += 4
    }
  }

  /** Writes pre-encoded bytes (a map key, an embedded msgpack value). */
  raw(b: Uint8Array): void {
    this.reserve(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** A non-negative integer up to 2^53-1 in its smallest msgpack form, as Go writes uint64. */
  uint(v: number): void {
    this.reserve(9)
    const buf = this.buf
    if (v < 0x80) buf[this.pos++] = v
    else if (v < 0x100) {
      buf[this.pos++] = 0xcc
      buf[this.pos++] = v
    } else if (v < 0x10000) {
      buf[this.pos++] = 0xcd
      buf.writeUInt16BE(v, this.pos)
      this.pos += 2
    } else if (v < 0x100000000) {
      buf[this.pos++] = 0xce
      buf.writeUInt32BE(v, this.pos)
      this.pos += 4
    } else {
      buf[this.pos++] = 0xcf
      buf.writeBigUInt64BE(BigInt(v), this.pos)
      this.pos += 8
    }
  }

  /** A signed integer (Go int64/int); non-negative values use the unsigned forms, as Go does. */
  int(v: number): void {
    if (v >= 0) return this.uint(v)
    this.reserve(9)
    const buf = this.buf
    if (v >= -32) buf[this.pos++] = v & 0xff
    else if (v >= -0x80) {
      buf[this.pos++] = 0xd0
      buf.writeInt8(v, this.pos++)
    } else if (v >= -0x8000) {
      buf[this.pos++] = 0xd1
      buf.writeInt16BE(v, this.pos)
      this.pos += 2
    } else if (v >= -0x80000000) {
      buf[this.pos++] = 0xd2
      buf.writeInt32BE(v, this.pos)
      this.pos += 4
    } else {
      buf[this.pos++] = 0xd3
      buf.writeBigInt64BE(BigInt(v), this.pos)
      this.pos += 8
    }
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2)
  }

  nil(): void {
    this.byte(0xc0)
  }

  /** A Go `[]byte`: `nil` when empty or absent, otherwise a raw string. */
  bytesOrNil(b: Uint8Array | null | undefined): void {
    if (b === null || b === undefined || b.length === 0) return this.nil()
    this.rawString(b)
  }

  /** A Go `string` (always written, `""` as `a0`). */
  string(s: string): void {
    this.rawString(Buffer.from(s, 'utf8'))
  }

  private rawString(b: Uint8Array): void {
    const n = b.length
    this.reserve(5 + n)
    const buf = this.buf
    if (n < 32) buf[this.pos++] = 0xa0 | n
    else if (n < 0x10000) {
      buf[this.pos++] = 0xda
      buf.writeUInt16BE(n, this.pos)
      this.pos += 2
    } else {
      buf[this.pos++] = 0xdb
      buf.writeUInt32BE(n, this.pos)
      this.pos += 4
    }
    buf.set(b, this.pos)
    this.pos += n
  }
}

const keyCache = new Map<string, Buffer>()

/** The msgpack encoding of a map key (a fixstr for every raft field name), cached. */
export function key(name: string): Buffer {
  let k = keyCache.get(name)
  if (k === undefined) {
    const text = Buffer.from(name, 'utf8')
    k = Buffer.concat([Buffer.from([0xa0 | text.length]), text])
    keyCache.set(name, k)
  }
  return k
}
