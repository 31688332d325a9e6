import { decodeFirst, type DecodeOptions } from './decode.js'
import { IncompleteError, MsgpackError } from './errors.js'

/** Options of a {@link StreamDecoder}. */
export interface StreamDecoderOptions extends DecodeOptions {
  /** Largest single value, in bytes, the stream may hold before it is refused (default 64 MiB). */
  maxValueBytes?: number
}

/**
 * Splits a byte stream of back-to-back msgpack values (net/rpc, Raft's transport) into values.
 * Push chunks as they arrive and pull values until {@link StreamDecoder.next} says none is
 * complete. A value growing past `maxValueBytes` is an error, so a peer cannot make us buffer
 * without bound.
 */
export class StreamDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly maxValueBytes: number

  constructor(private readonly options: StreamDecoderOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? 64 * 1024 * 1024
  }

  /** Bytes received and not yet consumed. */
  get bufferedBytes(): number {
    return this.buffered
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    this.buffered += chunk.length
  }

  /** The next complete value, or `undefined` when more bytes are needed. */
  next(): { value: unknown } | undefined {
    if (this.buffered === 0) return undefined
    const buf = this.flatten()
    try {
      const { value, end } = decodeFirst(buf, 0, this.options)
      this.consume(end)
      return { value }
    } catch (err) {
      if (err instanceof IncompleteError) {
        if (this.buffered + err.needed > this.maxValueBytes) {
          throw new MsgpackError('MSGPACK_TOO_LARGE', `msgpack value needs more than ${this.maxValueBytes} bytes`, 0)
        }
        return undefined
      }
      throw err
    }
  }

  /** Removes and returns up to `n` raw bytes (for data that follows a msgpack header). */
  take(n: number): Buffer {
    const buf = this.flatten()
    const count = Math.min(n, buf.length)
    const out = buf.subarray(0, count)
    this.consume(count)
    return out
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private consume(n: number): void {
    const buf = this.flatten()
    const rest = buf.subarray(n)
    this.chunks = rest.length > 0 ? [rest] : []
    this.buffered = rest.length
  }
}
