import type { Duplex } from 'node:stream'
import { encode } from '@nomadic/msgpack'
import type { Logger, Metrics } from '@nomadic/runtime'
import { asRecord, encodePair, EOF, HEADER_DECODE, MessageReader, readValue } from './codec.js'
import { errorText, type EndpointRegistry, type RpcContext, type StreamingRegistry } from './endpoints.js'
import { RpcError } from './errors.js'

/** What serving a stream needs. */
export interface ServeOptions {
  endpoints: EndpointRegistry
  streaming: StreamingRegistry
  logger: Logger
  maxMessageBytes: number
  /** Counts `nomad.rpc.request`, `nomad.rpc.request_error`, `nomad.streaming_rpc.request(_error)`. */
  metrics?: Metrics
}

/**
 * Serves net/rpc requests on one stream, one at a time (Nomad's `handleNomadConn` with
 * `ServeRequest`): read `{ServiceMethod, Seq}` and the args, run the method, write
 * `{ServiceMethod, Seq, Error}` and the reply (an empty map when there is an error). Malformed
 * input ends this stream only. Resolves when the stream is done.
 */
export async function serveRpcStream(stream: Duplex, context: RpcContext, options: ServeOptions): Promise<void> {
  const reader = new MessageReader(stream, options.maxMessageBytes)
  stream.on('error', () => {})
  try {
    for (;;) {
      let method = ''
      let seq: unknown = 0
      let known = false
      // The header says how the args read (the method's bytesKeys); both are decoded in one go.
      const pair = await reader.readPair(HEADER_DECODE, (rawHeader) => {
        const header = asRecord(rawHeader, 'request header')
        const name = header['ServiceMethod']
        seq = header['Seq'] ?? 0
        if (typeof name !== 'string' || (typeof seq !== 'number' && typeof seq !== 'bigint')) {
          throw new RpcError('RPC_MALFORMED', 'request header lacks ServiceMethod or Seq')
        }
        method = name
        known = options.endpoints.has(method)
        return known ? options.endpoints.decodeOptions(method) : undefined
      })
      if (pair === EOF) break
      const args = pair[1]
      let reply: unknown
      let error = ''
      if (!known) {
        error = options.endpoints.lookupError(method)
      } else {
        try {
          reply = await options.endpoints.call(method, args, context)
        } catch (err) {
          error = errorText(err)
        }
      }
      if (stream.destroyed || stream.writableEnded) break
      let frame: Buffer
      try {
        frame = encodePair({ ServiceMethod: method, Seq: seq, Error: error }, error !== '' || reply === undefined ? {} : reply)
      } catch (err) {
        // A reply that cannot be encoded is the handler's fault: say so instead of dropping the call.
        frame = encodePair({ ServiceMethod: method, Seq: seq, Error: `rpc: cannot encode reply: ${errorText(err)}` }, {})
      }
      stream.write(frame)
      options.metrics?.counter('nomad.rpc.request')
    }
    stream.end()
  } catch (error) {
    if (!isClosedError(error)) {
      options.logger.warn('RPC error', { error: errorText(error), remote: context.remoteAddress })
      options.metrics?.counter('nomad.rpc.request_error')
    }
    stream.destroy()
  }
}

/**
 * Serves one streaming RPC (Nomad's `handleStreamingConn`): read `{Method}`, answer `{Error}`,
 * then hand the raw stream to the method's handler.
 */
export async function serveStreaming(stream: Duplex, context: RpcContext, options: ServeOptions): Promise<void> {
  stream.on('error', () => {})
  let method: unknown
  try {
    const header = await readValue(stream, HEADER_DECODE, options.maxMessageBytes)
    if (header === EOF) {
      stream.destroy()
      return
    }
    method = asRecord(header, 'streaming RPC header')['Method']
  } catch (error) {
    if (!isClosedError(error)) {
      options.logger.warn('streaming RPC error', { error: errorText(error), remote: context.remoteAddress })
      options.metrics?.counter('nomad.streaming_rpc.request_error')
    }
    stream.destroy()
    return
  }
  const handler = options.streaming.get(typeof method === 'string' ? method : String(method))
  if (typeof handler === 'string') {
    options.logger.warn('streaming RPC error', { error: handler, remote: context.remoteAddress })
    options.metrics?.counter('nomad.streaming_rpc.request_error')
    stream.end(encode({ Error: handler }))
    return
  }
  stream.write(encode({ Error: '' }))
  options.metrics?.counter('nomad.streaming_rpc.request')
  handler(stream, context)
}

function isClosedError(error: unknown): boolean {
  if (error instanceof RpcError) return error.code === 'RPC_CONNECTION_CLOSED'
  const text = errorText(error)
  return text.includes('closed') || text.includes('EOF') || text.includes('ECONNRESET') || text.includes('shutdown') || text.includes('reset')
}
