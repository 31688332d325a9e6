import { decodeFirst, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ITEMS, type DecodeOptions } from './decode.js'
import { IncompleteError, MsgpackError } from './errors.js'

/** Options of a {@link StreamDecoder}. */
export interface StreamDecoderOptions extends DecodeOptions {
  /** Largest single value, in bytes, the stream may hold before it is refused (default 64 MiB). */
  maxValueBytes?: number
}

/** Size of a msgpack header by its first byte: [header bytes, payload length bytes, kind]. */
type Shape = { head: number; lenBytes: 0 | 1 | 2 | 4; kind: 'scalar' | 'payload' | 'ext' | 'array' | 'map'; fixed?: number }

function shapeOfTag(tag: number): Shape | undefined {
  if (tag < 0x80 || tag >= 0xe0) return { head: 1, lenBytes: 0, kind: 'scalar' }
  if (tag <= 0x8f) return { head: 1, lenBytes: 0, kind: 'map', fixed: tag & 0x0f }
  if (tag <= 0x9f) return { head: 1, lenBytes: 0, kind: 'array', fixed: tag & 0x0f }
  if (tag <= 0xbf) return { head: 1, lenBytes: 0, kind: 'payload', fixed: tag & 0x1f }
  switch (tag) {
    case 0xc0: case 0xc2: case 0xc3: return { head: 1, lenBytes: 0, kind: 'scalar' }
    case 0xc4: case 0xd9: return { head: 2, lenBytes: 1, kind: 'payload' }
    case 0xc5: case 0xda: return { head: 3, lenBytes: 2, kind: 'payload' }
    case 0xc6: case 0xdb: return { head: 5, lenBytes: 4, kind: 'payload' }
    case 0xc7: return { head: 2, lenBytes: 1, kind: 'ext' }
    case 0xc8: return { head: 3, lenBytes: 2, kind: 'ext' }
    case 0xc9: return { head: 5, lenBytes: 4, kind: 'ext' }
    case 0xca: return { head: 5, lenBytes: 0, kind: 'scalar' }
    case 0xcb: return { head: 9, lenBytes: 0, kind: 'scalar' }
    case 0xcc: case 0xd0: return { head: 2, lenBytes: 0, kind: 'scalar' }
    case 0xcd: case 0xd1: return { head: 3, lenBytes: 0, kind: 'scalar' }
    case 0xce: case 0xd2: return { head: 5, lenBytes: 0, kind: 'scalar' }
    case 0xcf: case 0xd3: return { head: 9, lenBytes: 0, kind: 'scalar' }
    case 0xd4: return { head: 3, lenBytes: 0, kind: 'scalar' }
    case 0xd5: return { head: 4, lenBytes: 0, kind: 'scalar' }
    case 0xd6: return { head: 6, lenBytes: 0, kind: 'scalar' }
    case 0xd7: return { head: 10, lenBytes: 0, kind: 'scalar' }
    case 0xd8: return { head: 18, lenBytes: 0, kind: 'scalar' }
    case 0xdc: return { head: 3, lenBytes: 2, kind: 'array' }
    case 0xdd: return { head: 5, lenBytes: 4, kind: 'array' }
    case 0xde: return { head: 3, lenBytes: 2, kind: 'map' }
    case 0xdf: return { head: 5, lenBytes: 4, kind: 'map' }
    default: return undefined // 0xc1 is never used
  }
}

const EMPTY = Buffer.alloc(0)

/** Every tag's shape, worked out once: the scan looks at every header of every value. */
const SHAPES: ReadonlyArray<Shape | undefined> = Array.from({ length: 256 }, (_, tag) => shapeOfTag(tag))

/**
 * Splits a byte stream of back-to-back msgpack values (net/rpc, Raft's transport) into values,
 * and serves the single bytes and raw byte runs such protocols put between them.
 *
 * The stream has no length prefix, so the decoder finds where a value ends by scanning its
 * msgpack headers as bytes arrive, without decoding or allocating anything and without going
 * over bytes twice. Only when the whole value is there, and its size is within
 * `maxValueBytes`, is it decoded, once. A value whose headers already promise more than the
 * limit, nest too deep or declare too many entries is refused as soon as that header arrives, so
 * a peer cannot make us buffer without bound.
 */
export class StreamDecoder {
  private chunks: Buffer[] = []
  private length = 0
  // The scan of the value being received: how far into the buffered bytes it got, and how many
  // items each open array or map still holds.
  private scanPos = 0
  private readonly open: number[] = []
  private scanning = false
  /** The scan reached the end of the value's headers; only payload bytes are missing. */
  private lastPayload = false
  private readonly maxDepth: number
  private readonly maxItems: number
  readonly maxValueBytes: number

  constructor(private readonly options: StreamDecoderOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? 64 * 1024 * 1024
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH
    this.maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS
  }

  /** Bytes received and not yet consumed. */
  get bufferedBytes(): number {
    return this.length
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    this.length += chunk.length
  }

  /** The next byte, or undefined when none is buffered. */
  readByte(): number | undefined {
    if (this.length === 0) return undefined
    const first = this.chunks[0]!
    const b = first[0]!
    this.cacheIndex = 0
    this.cacheStart = 0
    if (first.length === 1) this.chunks.shift()
    else this.chunks[0] = first.subarray(1)
    this.length -= 1
    return b
  }

  /**
   * The next complete value (read with `decodeOptions` over the decoder's own when given), or
   * undefined when more bytes are needed. Throws MSGPACK_TOO_LARGE
   * or MSGPACK_TOO_DEEP for a value beyond the limits, MSGPACK_MALFORMED for bytes that are not
   * msgpack.
   */
  next(decodeOptions?: DecodeOptions): { value: unknown } | undefined {
    // How this value reads (raw strings, bytesKeys) may differ per value; the limits do not.
    const options = decodeOptions === undefined ? this.options : this.merged(decodeOptions)
    if (!this.scanning && this.chunks.length === 1) {
      const whole = this.decodeWhole(this.chunks[0]!, options)
      if (whole !== undefined) return whole
    }
    const end = this.scan()
    if (end === undefined) return undefined
    const buf = this.flatten()
    // The scan found where the value ends; the decoder reads it in place and must end there too.
    const { value, end: decodedEnd } = decodeFirst(buf, 0, options)
    if (decodedEnd !== end) throw new MsgpackError('MSGPACK_MALFORMED', 'msgpack value shorter than its headers say')
    this.consume(end)
    return { value }
  }
  // Most values arrive whole in one chunk: decoding them at once spares the scan. The decoder
  // allocates nothing for bytes that are not there, and enforces the same depth and item limits;
  // a value cut short is left to the scan, which follows it as the rest arrives.
  private decodeWhole(buf: Buffer, options: DecodeOptions): { value: unknown } | undefined {
    let decoded: { value: unknown; end: number }
    try {
      decoded = decodeFirst(buf, 0, options)
    } catch (error) {
      if (error instanceof IncompleteError) return undefined
      throw error
    }
    if (decoded.end > this.maxValueBytes) throw this.tooLarge()
    this.consume(decoded.end)
    return { value: decoded.value }
  }

  private tooLarge(): MsgpackError {
    return new MsgpackError('MSGPACK_TOO_LARGE', `msgpack value needs more than ${this.maxValueBytes} bytes`)
  }

  // The decoder's options with a value's own on top, always in one object shape (a spread of
  // objects of varying shapes makes every read of the options slow).
  private merged(own: DecodeOptions): DecodeOptions {
    const base = this.options
    return {
      raw: own.raw ?? base.raw,
      bytesKeys: own.bytesKeys ?? base.bytesKeys,
      maxDepth: own.maxDepth ?? base.maxDepth,
      maxItems: own.maxItems ?? base.maxItems,
      ext: own.ext ?? base.ext,
      mapsAsMaps: own.mapsAsMaps ?? base.mapsAsMaps,
    }
  }

  /** Where the value at the front ends, once all of it is buffered; undefined until then. */
  private scan(): number | undefined {
    if (!this.scanning) {
      this.scanning = true
      this.scanPos = 0
      this.open.length = 0
      this.lastPayload = false
    }
    if (this.lastPayload) return this.finish()
    for (;;) {
      if (this.scanPos > this.maxValueBytes) throw this.tooLarge()
      if (this.scanPos >= this.length) return undefined
      const tag = this.byteAt(this.scanPos)
      const shape = SHAPES[tag]
      if (shape === undefined) throw new MsgpackError('MSGPACK_MALFORMED', `byte 0x${tag.toString(16)} starts no msgpack value`)
      if (this.scanPos + shape.head > this.length) return undefined
      let n = shape.fixed ?? 0
      if (shape.lenBytes !== 0) n = this.uintAt(this.scanPos + 1, shape.lenBytes)
      switch (shape.kind) {
        case 'scalar':
          this.scanPos += shape.head
          break
        case 'payload':
          this.scanPos += shape.head + n
          break
        case 'ext':
          this.scanPos += shape.head + 1 + n
          break
        case 'array':
        case 'map': {
          if (n > this.maxItems) throw new MsgpackError('MSGPACK_TOO_LARGE', `msgpack container of ${n} entries exceeds the limit of ${this.maxItems}`)
          this.scanPos += shape.head
          const items = shape.kind === 'map' ? n * 2 : n
          if (items > 0) {
            if (this.open.length >= this.maxDepth) throw new MsgpackError('MSGPACK_TOO_DEEP', `msgpack nests deeper than ${this.maxDepth}`)
            this.open.push(items)
            continue
          }
        }
      }
      if (this.scanPos > this.maxValueBytes) throw this.tooLarge()
      // One item is complete: close every container it completes.
      for (;;) {
        if (this.open.length === 0) {
          this.lastPayload = true
          return this.finish()
        }
        const top = this.open.length - 1
        this.open[top]! -= 1
        if (this.open[top]! > 0) break
        this.open.pop()
      }
    }
  }

  /** Every header is read: the value ends at scanPos once its last payload has arrived. */
  private finish(): number | undefined {
    if (this.scanPos > this.length) return undefined
    this.scanning = false
    this.lastPayload = false
    return this.scanPos
  }

  // The scan moves forward only, so the chunk it read last is where the next read starts.
  private cacheIndex = 0
  private cacheStart = 0

  private byteAt(pos: number): number {
    if (pos < this.cacheStart || this.cacheIndex >= this.chunks.length) {
      this.cacheIndex = 0
      this.cacheStart = 0
    }
    while (this.cacheIndex < this.chunks.length) {
      const c = this.chunks[this.cacheIndex]!
      if (pos < this.cacheStart + c.length) return c[pos - this.cacheStart]!
      this.cacheStart += c.length
      this.cacheIndex++
    }
    throw new RangeError('read beyond the buffered bytes')
  }

  private uintAt(pos: number, size: 1 | 2 | 4): number {
    let v = 0
    for (let i = 0; i < size; i++) v = v * 256 + this.byteAt(pos + i)
    return v
  }

  /** Removes and returns up to `n` buffered bytes. */
  take(n: number): Buffer {
    if (this.length === 0 || n <= 0) return Buffer.alloc(0)
    this.cacheIndex = 0
    this.cacheStart = 0
    const first = this.chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.length -= n
      return out
    }
    const buf = this.flatten()
    const count = Math.min(n, buf.length)
    const out = buf.subarray(0, count)
    this.consume(count)
    return out
  }

  private flatten(): Buffer {
    this.cacheIndex = 0
    this.cacheStart = 0
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private consume(n: number): void {
    const buf = this.flatten()
    const rest = n === buf.length ? EMPTY : buf.subarray(n)
    this.chunks.length = 0
    if (rest.length > 0) this.chunks.push(rest)
    this.length = rest.length
  }
}
