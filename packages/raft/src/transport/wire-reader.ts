/**
 * Reassembles what arrives on a raft connection into the pieces of its protocol: single bytes
 * (the RPC type), whole msgpack values (requests, error strings, responses) and raw byte runs
 * (snapshot data). The protocol has no length prefix, so a value is complete only when it
 * decodes; to keep that linear, the reader remembers how many bytes the last attempt lacked and
 * does not try again before they are there. A value that would need more than `maxValueBytes`
 * is refused before anything is allocated for it.
 */
import { RaftError } from '../errors.js'
import { IncompleteError, decodeFirst, type DecodeOptions } from '@nomadic/msgpack'

/** The peer sent more than the reader accepts for one value. */
export class FrameTooLargeError extends RaftError {
  constructor(message: string) {
    super('RAFT_FRAME_TOO_LARGE', message)
  }
}

export class FrameReader {
  private chunks: Buffer[] = []
  private length = 0
  /** Total buffered length the pending value needs at least; 0 when unknown. */
  private wanted = 0

  constructor(
    private readonly decodeOptions: DecodeOptions,
    readonly maxValueBytes: number,
  ) {}

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.length
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  /** The next byte, or undefined when none is buffered. */
  readByte(): number | undefined {
    if (this.length === 0) return undefined
    const first = this.chunks[0]!
    const b = first[0]!
    if (first.length === 1) this.chunks.shift()
    else this.chunks[0] = first.subarray(1)
    this.length -= 1
    return b
  }

  /**
   * The next complete msgpack value, or undefined when more bytes are needed. Throws
   * {@link FrameTooLargeError} or the decoder's error on malformed input.
   */
  readValue(): { value: unknown } | undefined {
    if (this.length === 0 || this.length < this.wanted) return undefined
    const buf = this.flatten()
    try {
      const { value, end } = decodeFirst(buf, 0, this.decodeOptions)
      this.consume(end)
      this.wanted = 0
      return { value }
    } catch (err) {
      if (!(err instanceof IncompleteError)) throw err
      this.wanted = this.length + err.needed
      if (this.wanted > this.maxValueBytes) {
        throw new FrameTooLargeError(`raft message needs more than ${this.maxValueBytes} bytes`)
      }
      return undefined
    }
  }

  /** Removes and returns up to `n` buffered bytes. */
  take(n: number): Buffer {
    if (this.length === 0 || n <= 0) return Buffer.alloc(0)
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
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }

  private consume(n: number): void {
    const buf = this.flatten()
    const rest = buf.subarray(n)
    this.chunks = rest.length > 0 ? [rest] : []
    this.length = rest.length
  }
}
