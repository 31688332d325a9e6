import type { Duplex } from 'node:stream'
import { encode, type DecodeOptions } from '@nomadic/msgpack'
import { asRecord, encodePair, EOF, MessageReader, readValue } from './codec.js'
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

const HEADER_DECODE: DecodeOptions = { maxDepth: 4 }

/** A call waiting for its turn on the stream. */
interface QueuedCall {
  method: string
  args: unknown
  options: CallOptions
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * net/rpc over msgpack on one stream (a socket after byte 0x01, or a yamux stream): one call at
 * a time, as Nomad's `CallWithCodec` does; calls made while one runs wait their turn.
 */
export class RpcStreamClient {
  private readonly reader: MessageReader
  private readonly waiting: QueuedCall[] = []
  private busy = false
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
      const call: QueuedCall = { method, args, options, resolve, reject }
      // Idle: start at once. Busy: queue behind the calls already waiting.
      if (this.busy) this.waiting.push(call)
      else this.run(call)
    })
  }

  /** Closes the stream (FIN). */
  close(): void {
    this.stream.end()
  }

  // One call: write the request, read the reply pair, settle, then start the next waiting call.
  // Plain callbacks rather than an async function: this is the hot path of every RPC.
  private run(call: QueuedCall): void {
    this.busy = true
    const { signal, decode } = call.options
    const aborted = (): RpcError => new RpcError('RPC_ABORTED', 'call aborted', { cause: signal?.reason })
    const done = (error: unknown, value?: unknown): void => {
      signal?.removeEventListener('abort', onAbort)
      if (error === undefined) call.resolve(value)
      else call.reject(error)
      const next = this.waiting.shift()
      if (next !== undefined) this.run(next)
      else this.busy = false
    }
    const onAbort = (): void => {
      this.broken ??= aborted()
      this.stream.destroy()
    }
    if (this.broken !== undefined) return done(this.broken)
    if (signal?.aborted) return done(signal.reason)
    nextSeq = nextSeq >= Number.MAX_SAFE_INTEGER ? 1 : nextSeq + 1
    const seq = nextSeq
    let header: Record<string, unknown> | undefined
    // The body of an error reply is an empty map, read with the default options.
    const bodyOptions = (raw: unknown): DecodeOptions | undefined => {
      header = asRecord(raw, 'response header')
      return isErrorText(header['Error']) ? undefined : decode
    }
    this.stream.write(encodePair({ ServiceMethod: call.method, Seq: seq }, call.args ?? {}))
    signal?.addEventListener('abort', onAbort, { once: true })
    this.reader.readPair(HEADER_DECODE, bodyOptions).then(
      (pair) => {
        if (pair === EOF) return done(signal?.aborted ? aborted() : this.fail(new RpcError('RPC_CONNECTION_CLOSED', 'EOF')))
        const error = header!['Error']
        if (isErrorText(error)) return done(new RemoteError(error))
        if (Number(header!['Seq']) !== seq) {
          return done(this.fail(new RpcError('RPC_MALFORMED', `response for sequence ${String(header!['Seq'])}, expected ${seq}`)))
        }
        done(undefined, pair[1])
      },
      (error: Error) => {
        done(signal?.aborted ? aborted() : this.fail(error))
      },
    )
  }

  private fail(error: Error): Error {
    this.broken ??= error
    if (!this.stream.destroyed) this.stream.destroy()
    return error
  }
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
    ack = await readValue(stream, { maxDepth: 4 }, maxMessageBytes)
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
