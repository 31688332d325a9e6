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

/**
 * net/rpc over msgpack on one stream (a socket after byte 0x01, or a yamux stream): one call at
 * a time, as Nomad's `CallWithCodec` does; calls made while one runs wait their turn.
 */
export class RpcStreamClient {
  private readonly reader: MessageReader
  private tail: Promise<unknown> = Promise.resolve()
  private busy = 0
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
    // Idle: start at once. Busy: queue behind the calls already waiting.
    const run = this.busy === 0 ? this.callNow(method, args, options) : this.tail.then(() => this.callNow(method, args, options))
    this.busy++
    const settled = run.then(
      () => {
        this.busy--
      },
      () => {
        this.busy--
      },
    )
    this.tail = settled
    return run
  }

  /** Closes the stream (FIN). */
  close(): void {
    this.stream.end()
  }

  private async callNow(method: string, args: unknown, options: CallOptions): Promise<unknown> {
    if (this.broken !== undefined) throw this.broken
    const { signal } = options
    signal?.throwIfAborted()
    nextSeq = nextSeq >= Number.MAX_SAFE_INTEGER ? 1 : nextSeq + 1
    const seq = nextSeq
    this.stream.write(encodePair({ ServiceMethod: method, Seq: seq }, args ?? {}))
    const onAbort = (): void => {
      this.broken ??= new RpcError('RPC_ABORTED', 'call aborted', { cause: signal?.reason })
      this.stream.destroy()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const header = await this.reader.read({ maxDepth: 4 })
      if (header === EOF) throw this.fail(new RpcError('RPC_CONNECTION_CLOSED', 'EOF'))
      const response = asRecord(header, 'response header')
      const error = response['Error']
      if (typeof error === 'string' && error !== '') {
        const body = await this.reader.read()
        if (body === EOF) throw this.fail(new RpcError('RPC_CONNECTION_CLOSED', 'EOF'))
        throw new RemoteError(error)
      }
      const reply = await this.reader.read(options.decode)
      if (reply === EOF) throw this.fail(new RpcError('RPC_CONNECTION_CLOSED', 'EOF'))
      if (Number(response['Seq']) !== seq) {
        throw this.fail(new RpcError('RPC_MALFORMED', `response for sequence ${String(response['Seq'])}, expected ${seq}`))
      }
      return reply
    } catch (error) {
      if (signal?.aborted) throw new RpcError('RPC_ABORTED', 'call aborted', { cause: signal.reason })
      if (!(error instanceof RemoteError)) this.fail(error as Error)
      throw error
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private fail(error: Error): Error {
    this.broken ??= error
    if (!this.stream.destroyed) this.stream.destroy()
    return error
  }
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
