import { MsgpackError } from './errors.js'
import { Ext, Float32, RawMsgpack } from './types.js'

/** How values are written. The defaults produce what hashicorp/go-msgpack writes. */
export interface EncodeOptions {
  /**
   * Write byte arrays as msgpack `bin` and allow `str8`, as the msgpack spec of 2013 does.
   * Off by default: Go's hashicorp libraries write byte slices as raw strings and never `str8`.
   */
  newSpec?: boolean
}

const MAX_DEPTH = 512

/** Encodes one value. See the package README for the mapping of JavaScript types. */
export function encode(value: unknown, options: EncodeOptions = {}): Buffer {
  const writer = new MsgpackWriter(256, options)
  writer.value(value)
  return writer.finish()
}

/**
 * Writes msgpack into one growing buffer, value by value or piece by piece (map and array headers,
 * integers, strings, raw bytes): for hot paths that know their message's shape and want to skip
 * building an object first (Raft's AppendEntries).
 */
export class MsgpackWriter {
  private buf: Buffer
  private pos = 0
  private readonly newSpec: boolean

  constructor(initialSize = 256, options: EncodeOptions = {}) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize))
    this.newSpec = options.newSpec === true
  }

  /** The bytes written so far (a view of the writer's buffer). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  /** Any value, as {@link encode} writes it. */
  value(value: unknown): void {
    this.write(value, 0)
  }

  /** An integer in its smallest form (non-negative ones in the unsigned forms, as Go writes). */
  int(v: number | bigint): void {
    if (typeof v === 'bigint') this.bigint(v)
    else this.integer(v)
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2)
  }

  nil(): void {
    this.byte(0xc0)
  }

  /** Bytes that are already msgpack, as they are. */
  raw(b: Uint8Array): void {
    this.reserve(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
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

  private u8(tag: number, v: number): void {
    this.reserve(2)
    this.buf[this.pos++] = tag
    this.buf[this.pos++] = v
  }

  private u16(tag: number, v: number): void {
    this.reserve(3)
    this.buf[this.pos++] = tag
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
  }

  private u32(tag: number, v: number): void {
    this.reserve(5)
    this.buf[this.pos++] = tag
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
  }

  private write(value: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new MsgpackError('MSGPACK_UNENCODABLE', 'value nests too deeply (a cycle?)')
    switch (typeof value) {
      case 'string':
        return this.string(value)
      case 'number':
        return Number.isInteger(value) && !Object.is(value, -0) ? this.integer(value) : this.float64(value)
      case 'boolean':
        return this.byte(value ? 0xc3 : 0xc2)
      case 'bigint':
        return this.bigint(value)
      case 'undefined':
        return this.byte(0xc0)
      case 'object':
        break
      default:
        throw new MsgpackError('MSGPACK_UNENCODABLE', `cannot encode a ${typeof value}`)
    }
    if (value === null) return this.byte(0xc0)
    if (value instanceof Uint8Array) return this.bytes(value)
    if (Array.isArray(value)) {
      this.arrayHeader(value.length)
      for (const item of value) this.write(item, depth + 1)
      return
    }
    if (value instanceof Map) {
      this.mapHeader(value.size)
      for (const [k, v] of value) {
        this.write(k, depth + 1)
        this.write(v, depth + 1)
      }
      return
    }
    if (value instanceof Ext) return this.ext(value)
    if (value instanceof RawMsgpack) return this.raw(value.bytes)
    if (value instanceof Float32) return this.float32(value.value)
    if (value instanceof Date) return this.integer(value.getTime())
    this.object(value as Record<string, unknown>, depth)
  }

  private object(value: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(value)
    let count = 0
    for (const k of keys) if (value[k] !== undefined) count++
    this.mapHeader(count)
    for (const k of keys) {
      const v = value[k]
      if (v === undefined) continue
      this.string(k)
      this.write(v, depth + 1)
    }
  }

  private integer(v: number): void {
    if (v >= 0) {
      if (v < 0x80) return this.byte(v)
      if (v < 0x100) return this.u8(0xcc, v)
      if (v < 0x10000) return this.u16(0xcd, v)
      if (v < 0x100000000) return this.u32(0xce, v)
      if (v <= Number.MAX_SAFE_INTEGER) return this.bigint(BigInt(v))
      return this.float64(v)
    }
    if (v >= -32) return this.byte(v & 0xff)
    if (v >= -0x80) return this.u8(0xd0, v & 0xff)
    if (v >= -0x8000) {
      this.reserve(3)
      this.buf[this.pos++] = 0xd1
      this.buf.writeInt16BE(v, this.pos)
      this.pos += 2
      return
    }
    if (v >= -0x80000000) {
      this.reserve(5)
      this.buf[this.pos++] = 0xd2
      this.buf.writeInt32BE(v, this.pos)
      this.pos += 4
      return
    }
    if (v >= Number.MIN_SAFE_INTEGER) return this.bigint(BigInt(v))
    return this.float64(v)
  }

  private bigint(v: bigint): void {
    this.reserve(9)
    if (v >= 0n) {
      if (v > 0xffffffffffffffffn) throw new MsgpackError('MSGPACK_UNENCODABLE', `integer ${v} does not fit in 64 bits`)
      if (v <= 0xffffffffn) return this.integer(Number(v))
      this.buf[this.pos++] = 0xcf
      this.buf.writeBigUInt64BE(v, this.pos)
    } else {
      if (v < -0x8000000000000000n) throw new MsgpackError('MSGPACK_UNENCODABLE', `integer ${v} does not fit in 64 bits`)
      if (v >= -0x80000000n) return this.integer(Number(v))
      this.buf[this.pos++] = 0xd3
      this.buf.writeBigInt64BE(v, this.pos)
    }
    this.pos += 8
  }

  private float64(v: number): void {
    this.reserve(9)
    this.buf[this.pos++] = 0xcb
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }

  private float32(v: number): void {
    this.reserve(5)
    this.buf[this.pos++] = 0xca
    this.buf.writeFloatBE(v, this.pos)
    this.pos += 4
  }

  /** A string (a raw string unless `newSpec`). */
  string(s: string): void {
    // ASCII fast path: most keys and values are short and ASCII.
    const n = s.length
    if (n < 32) {
      this.reserve(1 + n * 3)
      const start = this.pos
      let ascii = true
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          ascii = false
          break
        }
        this.buf[start + 1 + i] = c
      }
      if (ascii) {
        this.buf[start] = 0xa0 | n
        this.pos = start + 1 + n
        return
      }
    }
    const length = Buffer.byteLength(s, 'utf8')
    this.strHeader(length)
    this.reserve(length)
    this.buf.write(s, this.pos, length, 'utf8')
    this.pos += length
  }

  private strHeader(length: number): void {
    if (length < 32) this.byte(0xa0 | length)
    else if (length < 0x100 && this.newSpec) this.u8(0xd9, length)
    else if (length < 0x10000) this.u16(0xda, length)
    else this.u32(0xdb, length)
  }

  /** A byte array: a raw string as Go's hashicorp libraries write []byte (`bin` with `newSpec`). */
  bytes(b: Uint8Array): void {
    if (this.newSpec) {
      if (b.length < 0x100) this.u8(0xc4, b.length)
      else if (b.length < 0x10000) this.u16(0xc5, b.length)
      else this.u32(0xc6, b.length)
    } else {
      this.strHeader(b.length)
    }
    this.raw(b)
  }

  arrayHeader(n: number): void {
    if (n < 16) this.byte(0x90 | n)
    else if (n < 0x10000) this.u16(0xdc, n)
    else this.u32(0xdd, n)
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n)
    else if (n < 0x10000) this.u16(0xde, n)
    else this.u32(0xdf, n)
  }

  private ext(e: Ext): void {
    const n = e.data.length
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }
    const tag = fixed[n]
    if (tag !== undefined) this.byte(tag)
    else if (n < 0x100) this.u8(0xc7, n)
    else if (n < 0x10000) this.u16(0xc8, n)
    else this.u32(0xc9, n)
    this.byte(e.type & 0xff)
    this.raw(e.data)
  }
}
