/**
 * Reassembles what arrives on a raft connection into the pieces of its protocol: single bytes
 * (the RPC type), whole msgpack values (requests, error strings, responses) and raw byte runs
 * (snapshot data). The framing is @nomadic/msgpack's StreamDecoder, which finds where a value
 * ends by scanning its headers and refuses one beyond the limits before it is buffered.
 */
import { MsgpackError, StreamDecoder, type DecodeOptions } from '@nomadic/msgpack'
import { RaftError } from '../errors.js'

/** The peer sent more than the reader accepts for one value. */
export class FrameTooLargeError extends RaftError {
  constructor(message: string) {
    super('RAFT_FRAME_TOO_LARGE', message)
  }
}

/** Splits one connection's bytes into type bytes, msgpack values and raw runs. */
export class FrameReader extends StreamDecoder {
  constructor(decodeOptions: DecodeOptions, maxValueBytes: number) {
    super({ ...decodeOptions, maxValueBytes })
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.bufferedBytes
  }

  /**
   * The next complete msgpack value, or undefined when more bytes are needed. Throws
   * {@link FrameTooLargeError} for a value beyond the limits, or the decoder's error on
   * malformed input.
   */
  readValue(): { value: unknown } | undefined {
    try {
      return this.next()
    } catch (err) {
      if (err instanceof MsgpackError && (err.code === 'MSGPACK_TOO_LARGE' || err.code === 'MSGPACK_TOO_DEEP')) {
        throw new FrameTooLargeError(`raft message refused: ${err.message}`)
      }
      throw err
    }
  }
}
