import type { Duplex } from 'node:stream'
import { MsgpackError, MsgpackWriter, StreamDecoder, type DecodeOptions } from '@nomadic/msgpack'
import { DEFAULT_MAX_MESSAGE_BYTES } from './constants.js'
import { RpcError } from './errors.js'

/** Bytes a reader takes in ahead of the values asked for before it pauses the stream. */
const READ_AHEAD_BYTES = 256 * 1024

/** How net/rpc headers read: small maps, never deep. */
export const HEADER_DECODE: DecodeOptions = { maxDepth: 4 }

/** Returned by {@link MessageReader.read} when the stream ended cleanly between messages. */
export const EOF: unique symbol = Symbol('EOF')

interface PendingRead {
  /** How the first (or only) value reads. */
  options: DecodeOptions | undefined
  /** For a pair: how the second value reads, chosen from the first. */
  second: ((first: unknown) => DecodeOptions | undefined) | undefined
  /** The first value of a pair, once decoded. */
  first: { value: unknown; options: DecodeOptions | undefined } | undefined
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/**
 * Reads back-to-back msgpack values from a byte stream (net/rpc's framing: no length prefix).
 * A value is decoded only once enough bytes are present, and a value growing past `maxBytes` is
 * an error before it is buffered further, so a peer cannot make us hold unbounded memory.
 * Decoding follows Nomad's handle: raw strings become strings unless the key is in `bytesKeys`.
 */
export class MessageReader {
  private readonly decoder: StreamDecoder
  private pending: PendingRead | undefined
  private ended = false
  private failure: Error | undefined

  constructor(
    private readonly stream: Duplex,
    maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    this.decoder = new StreamDecoder({ maxValueBytes: maxBytes })
    stream.on('data', this.onData)
    stream.on('end', this.onEnd)
    stream.on('close', this.onClose)
    stream.on('error', this.onError)
    stream.resume()
  }

  /** The next value, or {@link EOF} when the stream ended cleanly before one started. */
  read(options?: DecodeOptions): Promise<unknown> {
    return this.start(options, undefined)
  }

  /**
   * The next two values (a net/rpc header and its body) as `[first, second]`, decoded in one go
   * as soon as both are here; `second` picks how the body reads from the header. {@link EOF}
   * when the stream ended cleanly before the first began; an end between them is an error.
   */
  readPair(options: DecodeOptions | undefined, second: (first: unknown) => DecodeOptions | undefined): Promise<[unknown, unknown] | typeof EOF> {
    return this.start(options, second) as Promise<[unknown, unknown] | typeof EOF>
  }

  private start(options: DecodeOptions | undefined, second: PendingRead['second']): Promise<unknown> {
    if (this.pending !== undefined) return Promise.reject(new Error('MessageReader: one read at a time'))
    return new Promise((resolve, reject) => {
      this.pending = { options, second, first: undefined, resolve, reject }
      this.tryDecode()
    })
  }

  private readonly onData = (chunk: Buffer): void => {
    this.decoder.push(chunk)
    if (this.pending === undefined && this.decoder.bufferedBytes > READ_AHEAD_BYTES) {
      // The peer runs ahead while we are busy with a request: stop reading (yamux then keeps
      // its window closed) until the next read.
      this.stream.pause()
    }
    this.tryDecode()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.tryDecode()
  }

  private readonly onClose = (): void => {
    this.ended = true
    this.tryDecode()
  }

  private readonly onError = (error: Error): void => {
    this.failure ??= error
    this.tryDecode()
  }

  private tryDecode(): void {
    const pending = this.pending
    if (pending === undefined) return
    let got: { value: unknown } | undefined
    try {
      if (pending.second === undefined) got = nextValue(this.decoder, pending.options)
      else {
        if (pending.first === undefined) {
          const head = nextValue(this.decoder, pending.options)
          if (head !== undefined) pending.first = { value: head.value, options: pending.second(head.value) }
        }
        const body = pending.first === undefined ? undefined : nextValue(this.decoder, pending.first.options)
        if (body !== undefined) got = { value: [pending.first!.value, body.value] }
      }
    } catch (error) {
      this.pending = undefined
      pending.reject(error as Error)
      return
    }
    if (got !== undefined) {
      this.pending = undefined
      if (this.stream.isPaused()) this.stream.resume()
      pending.resolve(got.value)
      return
    }
    if (this.failure !== undefined) {
      this.pending = undefined
      pending.reject(this.failure)
    } else if (this.ended) {
      this.pending = undefined
      if (this.decoder.bufferedBytes === 0 && pending.first === undefined) pending.resolve(EOF)
      else pending.reject(new RpcError('RPC_CONNECTION_CLOSED', 'unexpected EOF'))
    }
  }
}

/**
 * Reads exactly one msgpack value and leaves every byte after it in the stream — even when the
 * stream has already seen its end — so the next owner (a streaming RPC handler) continues
 * exactly where the value stopped. Resolves {@link EOF} when the stream ends first.
 */
export function readValue(stream: Duplex, options: DecodeOptions = {}, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const decoder = new StreamDecoder({ maxValueBytes: maxBytes })
    const finish = (): void => {
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('close', onEnd)
      stream.off('error', onError)
      releaseFlow(stream)
    }
    const onReadable = (): void => {
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) decoder.push(chunk)
      let got: { value: unknown } | undefined
      try {
        got = nextValue(decoder, options)
      } catch (error) {
        finish()
        reject(error)
        return
      }
      if (got === undefined) return
      // Give back the rest before this handler returns: the stream cannot signal its end while it holds data.
      const rest = decoder.take(decoder.bufferedBytes)
      if (rest.length > 0) stream.unshift(rest)
      finish()
      resolve(got.value)
    }
    const onEnd = (): void => {
      finish()
      if (decoder.bufferedBytes === 0) resolve(EOF)
      else reject(new RpcError('RPC_CONNECTION_CLOSED', 'unexpected EOF'))
    }
    const onError = (error: Error): void => {
      finish()
      reject(error)
    }
    stream.on('readable', onReadable)
    stream.once('end', onEnd)
    stream.once('close', onEnd)
    stream.once('error', onError)
  })
}

// The next whole value, or undefined while more bytes are needed; failures as Nomad's RPC errors.
function nextValue(decoder: StreamDecoder, options: DecodeOptions | undefined): { value: unknown } | undefined {
  try {
    return decoder.next(options)
  } catch (error) {
    const tooLarge = error instanceof MsgpackError && (error.code === 'MSGPACK_TOO_LARGE' || error.code === 'MSGPACK_TOO_DEEP')
    throw tooLarge
      ? new RpcError('RPC_MESSAGE_TOO_LARGE', `msgpack message refused: ${(error as Error).message}`, { cause: error })
      : new RpcError('RPC_MALFORMED', `malformed msgpack message: ${(error as Error).message}`, { cause: error })
  }
}

/**
 * Leaves a paused stream neither flowing nor explicitly paused: data waits in its buffer, and
 * the next owner's `data` listener, `pipe` or async iteration starts the flow as usual.
 */
export function releaseFlow(stream: Duplex): void {
  ;(stream as { readableFlowing: boolean | null }).readableFlowing = null
}

/** Encodes two values back to back (a net/rpc header and its body) in one buffer. */
export function encodePair(header: unknown, body: unknown): Buffer {
  const writer = new MsgpackWriter(512)
  writer.value(header)
  writer.value(body)
  return writer.finish()
}

/** Treats a decoded value as a map; anything else is malformed. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new RpcError('RPC_MALFORMED', `${what} is not a map`)
  }
  return value as Record<string, unknown>
}
