/**
 * NetworkTransport: hashicorp/raft 1.1.2's network transport over any {@link StreamLayer}, on
 * the wire byte for byte as the Go one (see `wire.ts`), so TypeScript and Go servers form one
 * cluster.
 */
import type { Duplex } from 'node:stream'
import type { Readable } from 'node:stream'
import { noopLogger, systemClock, type Clock, type Logger } from '@nomadic/runtime'
import { PipelineShutdownError, RemoteError, TransportShutdownError, UnreachableError } from '../errors.js'
import {
  RPCType,
  type AppendEntriesRequest,
  type AppendEntriesResponse,
  type AppendPipeline,
  type InstallSnapshotRequest,
  type InstallSnapshotResponse,
  type RequestPreVoteRequest,
  type RequestPreVoteResponse,
  type RequestVoteRequest,
  type RequestVoteResponse,
  type RPCHandler,
  type ServerAddress,
  type ServerID,
  type TimeoutNowRequest,
  type TimeoutNowResponse,
  type Transport,
} from '../types.js'
import { PeerConnection } from './net-conn.js'
import { InboundConnection, type InboundHost } from './net-inbound.js'
import type { StreamLayer } from './net-stream.js'
import { encodeRequest } from './wire.js'

export type { StreamLayer } from './net-stream.js'

/** hashicorp's defaults: Nomad uses a pool of 3 and a 10 s timeout. */
export const DEFAULT_MAX_POOL = 3
export const DEFAULT_TIMEOUT_MS = 10_000
/** InstallSnapshot's deadline grows by one timeout per this many bytes (hashicorp's TimeoutScale). */
export const TIMEOUT_SCALE = 256 * 1024
/** Pipelined AppendEntries in flight at most (hashicorp 1.1.2's rpcMaxPipeline). */
export const MAX_PIPELINE = 128
/** Largest single message accepted from the network (default). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

/** Options of {@link NetworkTransport}. */
export interface NetworkTransportOptions {
  stream: StreamLayer
  /** Idle connections kept per peer (default 3). */
  maxPool?: number
  /** I/O timeout of every dial and RPC, in ms (default 10 s; 0 = none). */
  timeoutMs?: number
  /** Largest message accepted from a peer; a larger one closes that connection (default 64 MiB). */
  maxMessageBytes?: number
  /** Maps a server ID to the address to dial, overriding the one raft passes. */
  serverAddressProvider?: (id: ServerID) => ServerAddress | undefined
  clock?: Clock
  logger?: Logger
}

/**
 * Raft's transport over a stream layer: a pool of connections per peer, one request at a time
 * on each (except pipelines), an I/O timeout on everything, AppendEntries pipelines, and
 * InstallSnapshot with the data streamed after the request.
 *
 * @example
 * const transport = new NetworkTransport({ stream: await TcpStreamLayer.listen('127.0.0.1:7001') })
 */
export class NetworkTransport implements Transport, InboundHost {
  readonly logger: Logger
  readonly maxMessageBytes: number
  private readonly stream: StreamLayer
  private readonly maxPool: number
  private readonly timeoutMs: number
  private readonly clock: Clock
  private readonly addressProvider: ((id: ServerID) => ServerAddress | undefined) | undefined
  private readonly pool = new Map<ServerAddress, PeerConnection[]>()
  private readonly outbound = new Set<PeerConnection>()
  private readonly inbound = new Set<InboundConnection>()
  private consumerFn: RPCHandler | undefined
  private heartbeatFn: RPCHandler | undefined
  private shutdown = false

  constructor(options: NetworkTransportOptions) {
    this.stream = options.stream
    this.maxPool = options.maxPool ?? DEFAULT_MAX_POOL
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? noopLogger
    this.addressProvider = options.serverAddressProvider
    if (!Number.isInteger(this.maxPool) || this.maxPool < 0) throw new RangeError('maxPool must be a non-negative integer')
    if (!(this.timeoutMs >= 0)) throw new RangeError('timeoutMs must be >= 0')
    this.stream.accept((conn) => this.handleConnection(conn))
  }

  /**
   * Serves raft requests arriving on `connection`. The stream layer calls this for accepted
   * connections; a multiplexer (Nomad's RPC port after mode byte 0x02) may call it directly.
   */
  handleConnection(connection: Duplex): void {
    if (this.shutdown) {
      connection.destroy()
      return
    }
    const conn = new InboundConnection(connection, this, (c) => this.inbound.delete(c))
    this.inbound.add(conn)
  }

  consumer(): RPCHandler | undefined {
    return this.consumerFn
  }

  heartbeatHandler(): RPCHandler | undefined {
    return this.heartbeatFn
  }

  localAddr(): ServerAddress {
    return this.stream.addr()
  }

  setConsumer(handler: RPCHandler | undefined): void {
    this.consumerFn = handler
  }

  setHeartbeatHandler(handler: RPCHandler | undefined): void {
    this.heartbeatFn = handler
  }

  encodePeer(id: ServerID, address: ServerAddress): Buffer {
    return Buffer.from(this.resolve(id, address), 'utf8')
  }

  decodePeer(peer: Buffer): ServerAddress {
    return peer.toString('utf8')
  }

  private resolve(id: ServerID, target: ServerAddress): ServerAddress {
    return this.addressProvider?.(id) ?? target
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  private async connect(target: ServerAddress, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.shutdown) throw new TransportShutdownError()
    const idle = this.pool.get(target)
    while (idle !== undefined && idle.length > 0) {
      const conn = idle.pop()!
      if (conn.usable) return conn
    }
    let socket: Duplex
    try {
      socket = await this.stream.dial(target, this.timeoutMs, signal)
    } catch (err) {
      throw new UnreachableError(target, `failed to connect to peer ${target}: ${(err as Error).message}`)
    }
    if (this.shutdown) {
      socket.destroy()
      throw new TransportShutdownError()
    }
    const conn = new PeerConnection(target, socket, this.clock, this.maxMessageBytes)
    this.outbound.add(conn)
    socket.on('close', () => this.outbound.delete(conn))
    return conn
  }

  private release(conn: PeerConnection): void {
    if (this.shutdown || !conn.usable) {
      conn.socket.destroy()
      return
    }
    let idle = this.pool.get(conn.target)
    if (idle === undefined) {
      idle = []
      this.pool.set(conn.target, idle)
    }
    if (idle.length < this.maxPool) idle.push(conn)
    else conn.socket.destroy()
  }

  private async genericRPC(id: ServerID, target: ServerAddress, type: RPCType, request: object, signal?: AbortSignal): Promise<object | undefined> {
    const conn = await this.connect(this.resolve(id, target), signal)
    try {
      const response = await conn.call(type, encodeRequest(type, request), this.timeoutMs, signal)
      this.release(conn)
      return response
    } catch (err) {
      if (err instanceof RemoteError) this.release(conn)
      else conn.fail(err as Error)
      throw err
    }
  }

  // -------------------------------------------------------------------------------------------
  // RPCs

  async appendEntries(id: ServerID, target: ServerAddress, request: AppendEntriesRequest, signal?: AbortSignal): Promise<AppendEntriesResponse> {
    return (await this.genericRPC(id, target, RPCType.AppendEntries, request, signal)) as AppendEntriesResponse
  }

  async requestVote(id: ServerID, target: ServerAddress, request: RequestVoteRequest, signal?: AbortSignal): Promise<RequestVoteResponse> {
    return (await this.genericRPC(id, target, RPCType.RequestVote, request, signal)) as RequestVoteResponse
  }

  async timeoutNow(id: ServerID, target: ServerAddress, request: TimeoutNowRequest, signal?: AbortSignal): Promise<TimeoutNowResponse> {
    return (await this.genericRPC(id, target, RPCType.TimeoutNow, request, signal)) as TimeoutNowResponse
  }

  /** Pre-vote (type 4, hashicorp ≥ 1.7). A 1.1.2 peer closes the connection on it. */
  async requestPreVote(id: ServerID, target: ServerAddress, request: RequestPreVoteRequest, signal?: AbortSignal): Promise<RequestPreVoteResponse> {
    return (await this.genericRPC(id, target, RPCType.RequestPreVote, request, signal)) as RequestPreVoteResponse
  }

  /**
   * Sends the request, then exactly `request.Size` bytes read from `data`. The connection is
   * never reused afterwards, as in hashicorp's transport.
   */
  async installSnapshot(
    id: ServerID,
    target: ServerAddress,
    request: InstallSnapshotRequest,
    data: Readable,
    signal?: AbortSignal,
  ): Promise<InstallSnapshotResponse> {
    const conn = await this.connect(this.resolve(id, target), signal)
    const timeout = this.timeoutMs === 0 ? 0 : this.timeoutMs * Math.max(1, Math.floor(request.Size / TIMEOUT_SCALE))
    try {
      const frame = encodeRequest(RPCType.InstallSnapshot, request)
      // The response can only come after the data, so register for it first and then stream.
      const response = conn.call(RPCType.InstallSnapshot, frame, timeout, signal)
      response.catch(() => {})
      let sent = 0
      for await (const chunk of data) {
        const bytes = chunk as Buffer
        const room = request.Size - sent
        if (room <= 0) break
        const piece = bytes.length > room ? bytes.subarray(0, room) : bytes
        sent += piece.length
        if (!conn.socket.write(piece)) await waitDrain(conn.socket)
        if (!conn.usable) break
      }
      if (sent < request.Size && conn.usable) {
        conn.fail(new Error(`snapshot data ended after ${sent} of ${request.Size} bytes`))
      }
      return (await response) as InstallSnapshotResponse
    } finally {
      conn.socket.destroy()
    }
  }

  /** A dedicated connection on which AppendEntries go out without waiting for responses. */
  async appendEntriesPipeline(id: ServerID, target: ServerAddress): Promise<AppendPipeline> {
    const conn = await this.connect(this.resolve(id, target))
    return new NetPipeline(conn, this.timeoutMs)
  }

  /** Closes the listener, every pooled and incoming connection. Idempotent. */
  async close(): Promise<void> {
    if (this.shutdown) return
    this.shutdown = true
    for (const conns of this.pool.values()) for (const c of conns) c.socket.destroy()
    this.pool.clear()
    for (const c of this.outbound) c.fail(new TransportShutdownError())
    this.outbound.clear()
    for (const c of [...this.inbound]) c.close()
    await this.stream.close()
  }
}

function waitDrain(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.on('drain', done)
    socket.on('close', done)
  })
}

/** hashicorp's netPipeline: requests written back to back, responses matched in order. */
class NetPipeline implements AppendPipeline {
  private closed = false
  private readonly inflight: Array<Promise<unknown>> = []

  constructor(
    private readonly conn: PeerConnection,
    private readonly timeoutMs: number,
  ) {}

  async appendEntries(request: AppendEntriesRequest): Promise<AppendEntriesResponse> {
    while (this.inflight.length >= MAX_PIPELINE && !this.closed) await this.inflight[0]!.catch(() => {})
    if (this.closed || !this.conn.usable) throw new PipelineShutdownError()
    const response = this.conn.call(RPCType.AppendEntries, encodeRequest(RPCType.AppendEntries, request), this.timeoutMs)
    this.inflight.push(response)
    try {
      return (await response) as AppendEntriesResponse
    } catch (err) {
      // Any failure ends pipelining; raft falls back to stop-and-wait.
      void this.close()
      throw err
    } finally {
      this.inflight.splice(this.inflight.indexOf(response), 1)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.conn.fail(new PipelineShutdownError())
  }
}
