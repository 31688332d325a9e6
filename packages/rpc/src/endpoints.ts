import type { Duplex } from 'node:stream'
import type { PeerCertificate } from 'node:tls'
import type { DecodeOptions } from '@nomadic/msgpack'
import type { Session } from '@nomadic/yamux'
import { netRpcMessages, RemoteError, UNKNOWN_RPC_METHOD } from './errors.js'

/** What a handler knows about the connection a call came in on (Nomad's `RPCContext`). */
export interface RpcContext {
  /** The peer's address (`ip:port`), or `local` for in-process calls. */
  remoteAddress: string
  /** True when the call came over TLS. */
  tls: boolean
  /** The peer's verified certificate, when TLS. */
  peerCertificate?: PeerCertificate
  /** The yamux session the call came in on (0x03/0x06), for reverse RPC towards clients. */
  session?: Session
}

/**
 * A net/rpc method: takes the decoded args, returns the reply (or a promise of it). `undefined`
 * is sent as an empty map (Go's `struct{}`); a thrown error is sent as its message.
 */
export type RpcHandler = (args: unknown, context: RpcContext) => unknown

/** Options of one registered method. */
export interface EndpointOptions {
  /** How the args are decoded (`bytesKeys` for `[]byte` fields, for instance). */
  decode?: DecodeOptions
}

interface Endpoint {
  handler: RpcHandler
  decode: DecodeOptions | undefined
}

/** The in-process context of {@link EndpointRegistry.call}. */
export const localContext: RpcContext = { remoteAddress: 'local', tls: false }

/**
 * The server's table of net/rpc methods by `Service.Method` name. The same table serves remote
 * calls and in-process calls ({@link EndpointRegistry.call}), which skip sockets and encoding.
 *
 * @example
 * const endpoints = new EndpointRegistry()
 * endpoints.register('Status.Ping', () => ({}))
 */
export class EndpointRegistry {
  private readonly methods = new Map<string, Endpoint>()
  private readonly services = new Set<string>()

  /** Adds (or replaces) a method. The name must be `Service.Method`. */
  register(method: string, handler: RpcHandler, options: EndpointOptions = {}): this {
    const dot = method.lastIndexOf('.')
    if (dot <= 0 || dot === method.length - 1) throw new RangeError(`method name must be Service.Method: ${JSON.stringify(method)}`)
    this.methods.set(method, { handler, decode: options.decode })
    this.services.add(method.slice(0, dot))
    return this
  }

  /** True when `method` is registered. */
  has(method: string): boolean {
    return this.methods.has(method)
  }

  /** How the args of `method` are decoded. */
  decodeOptions(method: string): DecodeOptions | undefined {
    return this.methods.get(method)?.decode
  }

  /**
   * Runs a method. Unknown names fail with net/rpc's texts (`rpc: can't find service X.Y`);
   * a handler's failure becomes a {@link RemoteError} carrying its message, as it would remotely.
   */
  async call(method: string, args: unknown, context: RpcContext = localContext): Promise<unknown> {
    const endpoint = this.methods.get(method)
    if (endpoint === undefined) throw new RemoteError(this.lookupError(method))
    try {
      return await endpoint.handler(args, context)
    } catch (error) {
      throw error instanceof RemoteError ? error : new RemoteError(errorText(error))
    }
  }

  /** net/rpc's text for a method that is not registered. */
  lookupError(method: string): string {
    const dot = method.lastIndexOf('.')
    if (dot < 0) return netRpcMessages.illFormed(method)
    return this.services.has(method.slice(0, dot)) ? netRpcMessages.noMethod(method) : netRpcMessages.noService(method)
  }
}

/** A streaming RPC handler: owns the raw duplex after the ack, and closes it when done. */
export type StreamingHandler = (stream: Duplex, context: RpcContext) => void

/** Nomad's `StreamingRpcRegistry`. */
export class StreamingRegistry {
  private readonly handlers = new Map<string, StreamingHandler>()

  register(method: string, handler: StreamingHandler): this {
    this.handlers.set(method, handler)
    return this
  }

  /** The handler, or Nomad's error text `Unknown rpc method: "X"`. */
  get(method: string): StreamingHandler | string {
    return this.handlers.get(method) ?? `${UNKNOWN_RPC_METHOD}: ${JSON.stringify(method)}`
  }
}

/** The text sent for a failed call. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
