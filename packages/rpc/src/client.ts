import type { Duplex } from 'node:stream'
import { encode, type DecodeOptions } from '@nomadic/msgpack'
import { asRecord, encodePair, EOF, HEADER_DECODE, MessageReader, readValue } from './codec.js'
import { DEFAULT_MAX_MESSAGE_BYTES } from './constants.js'
import { RemoteError, RpcError } from './errors.js'

/** Options of one call. */
export interface CallOptions {
  /** Aborting fails the call and destroys the stream (its protocol state is unknown then). */
  signal?: AbortSignal
  /** How the reply is decoded (`bytesKeys` for `[]byte` fields). */
  decode?: DecodeOptions
}

// Sequence numbers are process-wide, as net-rpc-msgpackrpc's CallWithCodec does.
let nextSeq = 0

/** A call, waiting for its turn on the stream or running. */
interface Call {
  method: string
  args: unknown
  options: CallOptions
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  seq: number
  onAbort: (() => void) | undefined
}

/**
 * net/rpc over msgpack on one stream (a socket after byte 0x01, or a yamux stream): one call at
 * a time, as Nomad's `CallWithCodec` does; calls made while one runs wait their turn.
 */
export class RpcStreamClient {
  private readonly reader: MessageReader
  private readonly waiting: Call[] = []
  // The call whose reply is awaited. One call at a time, so its state lives here and the
  // callbacks below are made once per client, not once per call: this is every RPC's hot path.
  private active: Call | undefined
  private broken: Error | undefined

  constructor(
    readonly stream: Duplex,
    maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    this.reader = new MessageReader(stream, maxMessageBytes)
    stream.on('error', (error: Error) => {
      this.broken ??= error
    })
  }

  /** False once the stream failed or closed; such a client is not reused. */
  get usable(): boolean {
    return this.broken === undefined && !this.stream.destroyed && !this.stream.writableEnded
  }

  /** Calls `method`; rejects with {@link RemoteError} carrying the server's text when it fails. */
  call(method: string, args: unknown, options: CallOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call: Call = { method, args, options, resolve, reject, seq: 0, onAbort: undefined }
      // Idle: start at once. Busy: queue behind the calls already waiting.
      this.waiting.push(call)
      if (this.active === undefined) this.startNext()
    })
  }

  /** Closes the stream (FIN). */
  close(): void {
    this.stream.end()
  }

  // Starts the first waiting call that can go out; those refused at once fail in this loop.
  private startNext(): void {
    for (let next = this.waiting.shift(); next !== undefined; next = this.waiting.shift()) {
      if (this.run(next)) return
    }
  }

  // One call: write the request and read the reply pair (`settle` ends it). False when refused.
  private run(call: Call): boolean {
    const { signal } = call.options
    if (this.broken !== undefined) {
      call.reject(this.broken)
      return false
    }
    if (signal?.aborted) {
      call.reject(signal.reason)
      return false
    }
    this.active = call
    nextSeq = nextSeq >= Number.MAX_SAFE_INTEGER ? 1 : nextSeq + 1
    call.seq = nextSeq
    this.stream.write(encodePair({ ServiceMethod: call.method, Seq: call.seq }, call.args ?? {}))
    if (signal !== undefined) {
      call.onAbort = () => {
        this.broken ??= abortError(signal)
        this.stream.destroy()
      }
      signal.addEventListener('abort', call.onAbort, { once: true })
    }
    this.reader.readPair(HEADER_DECODE, this.bodyOptions).then(this.onReply, this.onReadError)
    return true
  }

  // The body of an error reply is an empty map, read with the default options.
  private readonly bodyOptions = (raw: unknown): DecodeOptions | undefined => {
    return isErrorText(asRecord(raw, 'response header')['Error']) ? undefined : this.active!.options.decode
  }

  private readonly onReply = (pair: [unknown, unknown] | typeof EOF): void => {
    const call = this.active!
    if (pair === EOF) {
      const signal = call.options.signal
      return this.settle(signal?.aborted ? abortError(signal) : this.fail(new RpcError('RPC_CONNECTION_CLOSED', 'EOF')))
    }
    const header = pair[0] as Record<string, unknown>
    const error = header['Error']
    if (isErrorText(error)) return this.settle(new RemoteError(error))
    if (Number(header['Seq']) !== call.seq) {
      return this.settle(this.fail(new RpcError('RPC_MALFORMED', `response for sequence ${String(header['Seq'])}, expected ${call.seq}`)))
    }
    this.settle(undefined, pair[1])
  }

  private readonly onReadError = (error: Error): void => {
    const signal = this.active!.options.signal
    this.settle(signal?.aborted ? abortError(signal) : this.fail(error))
  }

  private settle(error: unknown, value?: unknown): void {
    const call = this.active!
    if (call.onAbort !== undefined) call.options.signal!.removeEventListener('abort', call.onAbort)
    if (error === undefined) call.resolve(value)
    else call.reject(error)
    this.active = undefined
    this.startNext()
  }

  private fail(error: Error): Error {
    this.broken ??= error
    if (!this.stream.destroyed) this.stream.destroy()
    return error
  }
}

function abortError(signal: AbortSignal): RpcError {
  return new RpcError('RPC_ABORTED', 'call aborted', { cause: signal.reason })
}

function isErrorText(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

/**
 * Opens a streaming RPC on `stream` (after its type byte 0x05 was written): sends `{Method}`,
 * waits for `{Error}`, and returns the stream for raw use, or rejects with the server's text.
 */
export async function startStreaming(stream: Duplex, method: string, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Promise<Duplex> {
  stream.write(encode({ Method: method }))
  let ack: unknown
  try {
    ack = await readValue(stream, HEADER_DECODE, maxMessageBytes)
  } catch (error) {
    stream.destroy()
    throw error
  }
  if (ack === EOF) {
    stream.destroy()
    throw new RpcError('RPC_CONNECTION_CLOSED', 'EOF')
  }
  const error = asRecord(ack, 'streaming RPC ack')['Error']
  if (typeof error === 'string' && error !== '') {
    stream.destroy()
    throw new RpcError('RPC_STREAMING_REFUSED', error)
  }
  return stream
}
