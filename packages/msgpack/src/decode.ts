import { IncompleteError, MsgpackError } from './errors.js'
import { Ext } from './types.js'

/** How values are read. Every length is checked against the bytes present before it allocates. */
export interface DecodeOptions {
  /**
   * What raw strings (and `str` of the new spec) become: `'string'` (UTF-8 text, the default, as
   * Go's `RawToString` does) or `'bytes'` (a Buffer). `bin` values are always Buffers.
   */
  raw?: 'string' | 'bytes'
  /**
   * Map keys whose raw-string values (or arrays of them) decode as Buffers whatever `raw` says:
   * Go `[]byte` fields such as `Data` or `Meta` written in the old spec.
   */
  bytesKeys?: ReadonlySet<string>
  /** Deepest nesting accepted (default 100). */
  maxDepth?: number
  /** Largest array or map length accepted (default 16 Mi entries). */
  maxItems?: number
  /** Turns ext values into something else; by default they decode as {@link Ext}. */
  ext?: (type: number, data: Buffer) => unknown
  /** Decode maps as `Map` instead of plain objects (keeps non-string keys as they are). */
  mapsAsMaps?: boolean
}

/** The result of {@link decodeFirst}: the value and the offset just after it. */
export interface Decoded {
  value: unknown
  end: number
}

/** Decodes exactly one value that fills `input`; trailing bytes are an error. */
export function decode(input: Uint8Array, options: DecodeOptions = {}): unknown {
  const { value, end } = decodeFirst(input, 0, options)
  if (end !== input.length) {
    throw new MsgpackError('MSGPACK_TRAILING_BYTES', `msgpack value ends at ${end} but input has ${input.length} bytes`, end)
  }
  return value
}

/**
 * Decodes the value that starts at `offset`. Throws {@link IncompleteError} when the input ends
 * inside the value (on a stream: wait for more bytes) and {@link MsgpackError} when it is malformed.
 */
export function decodeFirst(input: Uint8Array, offset = 0, options: DecodeOptions = {}): Decoded {
  const reader = new Reader(input, offset, options)
  const value = reader.read(0, false)
  return { value, end: reader.pos }
}

const textDecoder = new TextDecoder('utf-8')

/** Limits when the options name none (the stream decoder's defaults too). */
export const DEFAULT_MAX_DEPTH = 100
export const DEFAULT_MAX_ITEMS = 16 * 1024 * 1024

// Map keys repeat from message to message (`ServiceMethod`, `Seq`, field names). Each distinct
// short ASCII key is decoded once and the same string handed out after, which also spares the
// engine from looking up a fresh string each time it becomes a property name.
const KEY_CACHE_SLOTS = 4096
const KEY_CACHE_MAX_BYTES = 32
const keyCacheBytes: Array<Buffer | undefined> = new Array<Buffer | undefined>(KEY_CACHE_SLOTS).fill(undefined)
const keyCacheStrings: string[] = new Array<string>(KEY_CACHE_SLOTS).fill('')

class Reader {
  readonly buf: Buffer
  pos: number
  private readonly rawBytes: boolean
  private readonly bytesKeys: ReadonlySet<string> | undefined
  private readonly maxDepth: number
  private readonly maxItems: number
  private readonly extFn: ((type: number, data: Buffer) => unknown) | undefined
  private readonly mapsAsMaps: boolean

  constructor(input: Uint8Array, offset: number, options: DecodeOptions) {
    this.buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    this.pos = offset
    this.rawBytes = options.raw === 'bytes'
    this.bytesKeys = options.bytesKeys
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
    this.maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS
    this.extFn = options.ext
    this.mapsAsMaps = options.mapsAsMaps === true
  }

  private need(n: number): void {
    const have = this.buf.length - this.pos
    if (have < n) throw new IncompleteError(this.pos, n - have)
  }

  private items(n: number, perItem: number): number {
    if (n > this.maxItems) {
      throw new MsgpackError('MSGPACK_TOO_LARGE', `msgpack container of ${n} entries exceeds the limit of ${this.maxItems}`, this.pos)
    }
    // Every entry takes at least one byte, so a count beyond the bytes present cannot be right
    // yet: ask for more before allocating anything.
    this.need(n * perItem)
    return n
  }

  read(depth: number, asBytes: boolean): unknown {
    if (depth > this.maxDepth) throw new MsgpackError('MSGPACK_TOO_DEEP', `msgpack nests deeper than ${this.maxDepth}`, this.pos)
    this.need(1)
    const buf = this.buf
    const tag = buf[this.pos++]!
    if (tag < 0x80) return tag
    if (tag >= 0xe0) return tag - 0x100
    if (tag >= 0xa0 && tag <= 0xbf) return this.str(tag & 0x1f, asBytes)
    if (tag >= 0x90 && tag <= 0x9f) return this.array(tag & 0x0f, depth, asBytes)
    if (tag >= 0x80 && tag <= 0x8f) return this.map(tag & 0x0f, depth)
    switch (tag) {
      case 0xc0: return null
      case 0xc2: return false
      case 0xc3: return true
      case 0xc4: return this.bin(this.len(1))
      case 0xc5: return this.bin(this.len(2))
      case 0xc6: return this.bin(this.len(4))
      case 0xc7: return this.extension(this.len(1))
      case 0xc8: return this.extension(this.len(2))
      case 0xc9: return this.extension(this.len(4))
      case 0xca: { this.need(4); const v = buf.readFloatBE(this.pos); this.pos += 4; return v }
      case 0xcb: { this.need(8); const v = buf.readDoubleBE(this.pos); this.pos += 8; return v }
      case 0xcc: return this.len(1)
      case 0xcd: return this.len(2)
      case 0xce: return this.len(4)
      case 0xcf: { this.need(8); const v = buf.readBigUInt64BE(this.pos); this.pos += 8; return toNumber(v) }
      case 0xd0: { this.need(1); const v = buf.readInt8(this.pos); this.pos += 1; return v }
      case 0xd1: { this.need(2); const v = buf.readInt16BE(this.pos); this.pos += 2; return v }
      case 0xd2: { this.need(4); const v = buf.readInt32BE(this.pos); this.pos += 4; return v }
      case 0xd3: { this.need(8); const v = buf.readBigInt64BE(this.pos); this.pos += 8; return toNumber(v) }
      case 0xd4: return this.extension(1)
      case 0xd5: return this.extension(2)
      case 0xd6: return this.extension(4)
      case 0xd7: return this.extension(8)
      case 0xd8: return this.extension(16)
      case 0xd9: return this.str(this.len(1), asBytes)
      case 0xda: return this.str(this.len(2), asBytes)
      case 0xdb: return this.str(this.len(4), asBytes)
      case 0xdc: return this.array(this.len(2), depth, asBytes)
      case 0xdd: return this.array(this.len(4), depth, asBytes)
      case 0xde: return this.map(this.len(2), depth)
      case 0xdf: return this.map(this.len(4), depth)
      default:
        throw new MsgpackError('MSGPACK_MALFORMED', `byte 0x${tag.toString(16)} at offset ${this.pos - 1} starts no msgpack value`, this.pos - 1)
    }
  }

  private len(size: 1 | 2 | 4): number {
    this.need(size)
    const buf = this.buf
    const p = this.pos
    this.pos += size
    if (size === 1) return buf[p]!
    if (size === 2) return buf.readUInt16BE(p)
    return buf.readUInt32BE(p)
  }

  private str(n: number, asBytes: boolean): string | Buffer {
    this.need(n)
    const start = this.pos
    this.pos += n
    if (asBytes || this.rawBytes) return this.copyOut(start, start + n)
    if (n < 16) {
      let s = ''
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i]!
        if (c >= 0x80) return textDecoder.decode(this.buf.subarray(start, start + n))
        s += String.fromCharCode(c)
      }
      return s
    }
    return this.buf.toString('utf8', start, start + n)
  }

  private bin(n: number): Buffer {
    this.need(n)
    const start = this.pos
    this.pos += n
    return this.copyOut(start, start + n)
  }

  /** A copy of the input's bytes [start, end): decoded values never hold on to the input. */
  private copyOut(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start)
    this.buf.copy(out, 0, start, end)
    return out
  }

  private extension(n: number): unknown {
    this.need(1 + n)
    const type = this.buf.readInt8(this.pos)
    const data = this.copyOut(this.pos + 1, this.pos + 1 + n)
    this.pos += 1 + n
    return this.extFn ? this.extFn(type, data) : new Ext(type, data)
  }

  private array(n: number, depth: number, asBytes: boolean): unknown[] {
    this.items(n, 1)
    const out = new Array<unknown>(n)
    for (let i = 0; i < n; i++) out[i] = this.read(depth + 1, asBytes)
    return out
  }

  /** Reads a map key that is a short ASCII string through the key cache; undefined (nothing read) for any other key. */
  private cachedKey(): string | undefined {
    const buf = this.buf
    const pos = this.pos
    const tag = buf[pos]
    let start: number
    let n: number
    if (tag !== undefined && tag >= 0xa0 && tag <= 0xbf) {
      start = pos + 1
      n = tag & 0x1f
    } else if (tag === 0xd9 && pos + 1 < buf.length) {
      start = pos + 2
      n = buf[pos + 1]!
    } else return undefined
    const end = start + n
    if (n > KEY_CACHE_MAX_BYTES || end > buf.length) return undefined
    let hash = n
    for (let i = start; i < end; i++) {
      const c = buf[i]!
      if (c >= 0x80) return undefined
      hash = (Math.imul(hash, 31) + c) | 0
    }
    const slot = (hash ^ (hash >>> 12)) & (KEY_CACHE_SLOTS - 1)
    const cached = keyCacheBytes[slot]
    this.pos = end
    if (cached !== undefined && cached.length === n && sameBytes(cached, buf, start)) return keyCacheStrings[slot]!
    const key = buf.toString('latin1', start, end)
    keyCacheBytes[slot] = Buffer.from(buf.subarray(start, end))
    keyCacheStrings[slot] = key
    return key
  }

  private map(n: number, depth: number): unknown {
    this.items(n, 2)
    if (this.mapsAsMaps) {
      const out = new Map<unknown, unknown>()
      for (let i = 0; i < n; i++) {
        const k = this.read(depth + 1, false)
        out.set(k, this.read(depth + 1, false))
      }
      return out
    }
    const out: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      let key = depth < this.maxDepth ? this.cachedKey() : undefined
      if (key === undefined) {
        const k = this.read(depth + 1, false)
        key = typeof k === 'string' ? k : k instanceof Uint8Array ? Buffer.from(k).toString('utf8') : String(k)
      }
      const asBytes = this.bytesKeys !== undefined && this.bytesKeys.has(key)
      const v = this.read(depth + 1, asBytes)
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
      else out[key] = v
    }
    return out
  }
}

/** Whether `buf` holds `key`'s bytes from `at` on. */
function sameBytes(key: Buffer, buf: Buffer, at: number): boolean {
  for (let i = 0; i < key.length; i++) if (key[i] !== buf[at + i]) return false
  return true
}

function toNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v
}
