import type { Duplex } from 'node:stream'
import type { Session } from '@nomadic/yamux'
import { systemClock, type Clock } from '@nomadic/runtime'
import { RpcStreamClient, startStreaming, type CallOptions } from './client.js'
import { RpcType } from './constants.js'
import type { RpcContext } from './endpoints.js'
import { readFirstByte } from './first-byte.js'
import { serveRpcStream, serveStreaming, type ServeOptions } from './serve.js'

/**
 * Serves the streams the peer opens in `session` until it ends. With `perStreamByte` (a 0x06
 * session) each stream starts with 0x01 (net/rpc) or 0x05 (streaming RPC) and any other byte
 * ends the session, as in Nomad; without it (0x03) every stream is net/rpc. The server uses
 * this for incoming sessions; a Nomad client runs it on the session it dialed to answer the
 * server's reverse calls.
 */
export async function serveSession(
  session: Session,
  context: RpcContext,
  options: ServeOptions & { perStreamByte: boolean; clock?: Clock },
): Promise<void> {
  const sessionContext: RpcContext = { ...context, session }
  const clock = options.clock ?? systemClock
  for await (const stream of session) {
    stream.on('error', () => {})
    if (options.perStreamByte) void serveTypedStream(stream, session, sessionContext, options, clock)
    else void serveRpcStream(stream, sessionContext, options)
  }
}

// Each stream names its own protocol; waiting for one never holds up the others.
async function serveTypedStream(stream: Duplex, session: Session, context: RpcContext, options: ServeOptions, clock: Clock): Promise<void> {
  const first = await readFirstByte(stream, clock, 0)
  if (first === RpcType.Nomad) return serveRpcStream(stream, context, options)
  if (first === RpcType.Streaming) return serveStreaming(stream, context, options)
  if (first === 'closed' || first === 'timeout') {
    stream.destroy()
    return
  }
  options.logger.error('multiplex_v2 unrecognized first RPC byte', { byte: first, remote_addr: context.remoteAddress })
  session.close()
}

/**
 * One net/rpc call on a new stream of `session` (Nomad's `NodeRpc`: the server calling a client
 * over the session the client opened). The stream is closed afterwards.
 */
export async function sessionRpc(session: Session, method: string, args: unknown, options: CallOptions = {}): Promise<unknown> {
  const stream = await session.open(options.signal)
  stream.write(Buffer.from([RpcType.Nomad]))
  const client = new RpcStreamClient(stream)
  try {
    return await client.call(method, args, options)
  } finally {
    client.close()
  }
}

/** A streaming RPC on a new stream of `session` (Nomad's `NodeStreamingRpc`). */
export async function sessionStreamingRpc(session: Session, method: string, signal?: AbortSignal): Promise<Duplex> {
  const stream = await session.open(signal)
  stream.write(Buffer.from([RpcType.Streaming]))
  return startStreaming(stream, method)
}
