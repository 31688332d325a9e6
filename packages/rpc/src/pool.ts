import type { Duplex } from 'node:stream'
import { noopLogger, systemClock, type Clock, type Logger, type Timer } from '@nomadic/runtime'
import type { RegionWrapper } from '@nomadic/tls'
import { Session, type SessionOptions } from '@nomadic/yamux'
import { dialRpc, eitherSignal } from './dial.js'
import { RpcStreamClient, startStreaming, type CallOptions } from './client.js'
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_POOL_MAX_STREAMS,
  DEFAULT_POOL_MAX_TIME_MS,
  POOL_REAP_INTERVAL_MS,
  RpcType,
} from './constants.js'
import { errorText } from './endpoints.js'
import { RemoteError, RpcError } from './errors.js'

/** Options of {@link ConnPool}. */
export interface ConnPoolOptions {
  /** Idle sessions older than this are closed; 0 disables reaping (servers: 2 min). */
  maxTimeMs?: number
  /** Streams kept for reuse per session (servers: 64). */
  maxStreams?: number
  /** Outgoing TLS (`@nomadic/tls`'s `outgoingWrapper(config)`); plaintext without it. */
  tlsWrap?: RegionWrapper
  /** Dial timeout (10 s). */
  dialTimeoutMs?: number
  /** Largest msgpack message accepted (64 MiB). */
  maxMessageBytes?: number
  /** yamux settings of outgoing sessions. */
  yamux?: SessionOptions
  clock?: Clock
  logger?: Logger
}

interface PooledConn {
  addr: string
  session: Session
  lastUsed: number
  refCount: number
  shouldClose: boolean
  clients: RpcStreamClient[]
}

/**
 * Nomad's `helper/pool.ConnPool`: one yamux session per server address (dialed with byte 0x06,
 * after 0x04 and TLS when configured), net/rpc calls on cached streams (each opened with byte
 * 0x01), streaming RPCs on fresh streams (0x05), idle sessions reaped. Errors carry Nomad's
 * texts (`rpc error: …`).
 *
 * @example
 * const pool = new ConnPool({ tlsWrap: outgoingWrapper(tlsConfig) })
 * await pool.rpc('global', '10.0.0.1:4647', 'Status.Ping', {})
 * await pool.shutdown()
 */
export class ConnPool {
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly maxTimeMs: number
  private readonly maxStreams: number
  private readonly dialTimeoutMs: number
  private readonly maxMessageBytes: number
  private readonly yamuxOptions: SessionOptions
  private tlsWrap: RegionWrapper | undefined
  private readonly pool = new Map<string, PooledConn>()
  private readonly dialing = new Map<string, Promise<void>>()
  private readonly reaper: Timer | undefined
  private readonly shutdownController = new AbortController()
  private isShutdown = false

  constructor(options: ConnPoolOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? noopLogger
    this.maxTimeMs = options.maxTimeMs ?? DEFAULT_POOL_MAX_TIME_MS
    this.maxStreams = options.maxStreams ?? DEFAULT_POOL_MAX_STREAMS
    this.dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.yamuxOptions = { clock: this.clock, logger: this.logger, ...options.yamux }
    this.tlsWrap = options.tlsWrap
    if (!(this.maxTimeMs >= 0)) throw new RangeError('maxTimeMs must be 0 or more')
    if (!Number.isInteger(this.maxStreams) || this.maxStreams < 0) throw new RangeError('maxStreams must be a non-negative integer')
    if (this.maxTimeMs > 0) this.reaper = this.clock.setInterval(() => this.reap(), POOL_REAP_INTERVAL_MS)
  }

  /** Sessions open now. */
  get size(): number {
    return this.pool.size
  }

  /**
   * Calls `method` on the server at `addr` (`host:port`) of `region`. Server errors reject with
   * {@link RemoteError} `rpc error: <server text>` (coded `RPC Error:: …` texts unwrapped);
   * transport failures with {@link RpcError} `rpc error: …`.
   */
  async rpc(region: string, addr: string, method: string, args: unknown, options: CallOptions = {}): Promise<unknown> {
    const { conn, client } = await this.getClient(region, addr, options.signal).catch((error: unknown) => {
      throw wrap(error)
    })
    try {
      const reply = await client.call(method, args, options)
      this.returnClient(conn, client)
      return reply
    } catch (error) {
      if (error instanceof RemoteError) {
        this.returnClient(conn, client)
        throw error.message.startsWith('RPC Error::') ? error : new RemoteError(`rpc error: ${error.message}`)
      }
      client.stream.destroy()
      // The stream broke: the session is probably gone too; start a new one next time.
      if (conn.session.isClosed || isEof(error)) this.clearConn(conn)
      throw wrap(error)
    } finally {
      this.releaseConn(conn)
    }
  }

  /**
   * Opens a streaming RPC: a new stream with byte 0x05, the `{Method}` header and the server's
   * ack. Resolves with the raw duplex; the caller closes it.
   */
  async streamingRpc(region: string, addr: string, method: string, signal?: AbortSignal): Promise<Duplex> {
    const conn = await this.connFor(region, addr, signal)
    try {
      let stream: Duplex
      try {
        stream = await conn.session.open(signal)
      } catch (error) {
        this.clearConn(conn)
        throw new RpcError('RPC_STREAM', `failed to open stream: ${errorText(error)}`, { cause: error })
      }
      stream.write(Buffer.from([RpcType.Streaming]))
      return await startStreaming(stream, method, this.maxMessageBytes)
    } finally {
      this.releaseConn(conn)
    }
  }

  /** New connections use `tlsWrap` (new certificates); existing sessions close once idle. */
  reloadTls(tlsWrap: RegionWrapper | undefined): void {
    this.tlsWrap = tlsWrap
    for (const conn of [...this.pool.values()]) this.clearConn(conn)
  }

  /** Closes every session and stops reaping. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.isShutdown) return
    this.isShutdown = true
    this.reaper?.cancel()
    this.shutdownController.abort(new RpcError('RPC_POOL_SHUTDOWN', 'rpc error: shutdown'))
    for (const conn of this.pool.values()) conn.session.close()
    this.pool.clear()
    await Promise.allSettled([...this.dialing.values()])
  }

  private async getClient(region: string, addr: string, signal?: AbortSignal): Promise<{ conn: PooledConn; client: RpcStreamClient }> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connFor(region, addr, signal)
      try {
        return { conn, client: await this.takeClient(conn, signal) }
      } catch (error) {
        this.clearConn(conn)
        this.releaseConn(conn)
        // The session may have timed out under us: redial once.
        if (attempt === 0 && !signal?.aborted) continue
        throw new RpcError('RPC_STREAM', `failed to start stream: ${errorText(error)}`, { cause: error })
      }
    }
  }

  /** The pooled session for `addr`, dialing it when needed; failures say `failed to get conn: …`. */
  private async connFor(region: string, addr: string, signal?: AbortSignal): Promise<PooledConn> {
    try {
      return await this.acquire(region, addr, signal)
    } catch (error) {
      throw new RpcError('RPC_DIAL', `failed to get conn: ${errorText(error)}`, { cause: error })
    }
  }

  private async takeClient(conn: PooledConn, signal?: AbortSignal): Promise<RpcStreamClient> {
    while (conn.clients.length > 0) {
      const cached = conn.clients.pop()!
      if (cached.usable) return cached
    }
    const stream = await conn.session.open(signal)
    stream.write(Buffer.from([RpcType.Nomad]))
    return new RpcStreamClient(stream, this.maxMessageBytes)
  }

  private returnClient(conn: PooledConn, client: RpcStreamClient): void {
    if (client.usable && conn.clients.length < this.maxStreams && !conn.shouldClose) conn.clients.push(client)
    else client.stream.destroy()
  }

  private async acquire(region: string, addr: string, signal?: AbortSignal): Promise<PooledConn> {
    for (;;) {
      if (this.isShutdown) throw new RpcError('RPC_POOL_SHUTDOWN', 'rpc error: shutdown')
      const existing = this.pool.get(addr)
      if (existing !== undefined && !existing.session.isClosed) {
        existing.lastUsed = this.clock.now()
        existing.refCount++
        return existing
      }
      if (existing !== undefined) this.pool.delete(addr)
      const pending = this.dialing.get(addr)
      if (pending !== undefined) {
        // Another caller is dialing this address: use what it gets.
        await pending.catch(() => undefined)
        const conn = this.pool.get(addr)
        if (conn === undefined) throw new RpcError('RPC_DIAL', "rpc error: lead thread didn't get connection")
        continue
      }
      let failure: unknown
      const dial = this.newConn(region, addr, signal).then(
        (conn) => {
          if (this.isShutdown) conn.session.close()
          else this.pool.set(addr, conn)
        },
        (error: unknown) => {
          failure = error
        },
      )
      this.dialing.set(addr, dial)
      await dial
      this.dialing.delete(addr)
      if (failure !== undefined) throw failure
    }
  }

  private async newConn(region: string, addr: string, signal?: AbortSignal): Promise<PooledConn> {
    const either = eitherSignal(this.shutdownController.signal, signal)
    let dialed: Awaited<ReturnType<typeof dialRpc>>
    try {
      dialed = await dialRpc(addr, { tlsWrap: this.tlsWrap, region, timeoutMs: this.dialTimeoutMs, signal: either.signal, clock: this.clock })
    } finally {
      either.dispose()
    }
    const { conn, socket } = dialed
    conn.on('error', () => {})
    conn.write(Buffer.from([RpcType.MultiplexV2]))
    const session = Session.client(conn, this.yamuxOptions)
    session.once('close', () => {
      socket.destroy()
      const current = this.pool.get(addr)
      if (current?.session === session) this.pool.delete(addr)
    })
    return { addr, session, lastUsed: this.clock.now(), refCount: 0, shouldClose: false, clients: [] }
  }

  private clearConn(conn: PooledConn): void {
    conn.shouldClose = true
    if (this.pool.get(conn.addr) === conn) this.pool.delete(conn.addr)
    if (conn.refCount === 0) conn.session.close()
  }

  private releaseConn(conn: PooledConn): void {
    conn.refCount--
    if (conn.refCount === 0 && conn.shouldClose) conn.session.close()
  }

  private reap(): void {
    const now = this.clock.now()
    for (const [addr, conn] of this.pool) {
      if (now - conn.lastUsed < this.maxTimeMs || conn.refCount > 0) continue
      conn.session.close()
      this.pool.delete(addr)
    }
  }
}

function wrap(error: unknown): Error {
  if (error instanceof RpcError && error.message.startsWith('rpc error:')) return error
  const code = error instanceof RpcError ? error.code : 'RPC_STREAM'
  return new RpcError(code, `rpc error: ${errorText(error)}`, { cause: error })
}

function isEof(error: unknown): boolean {
  const text = errorText(error)
  return text.includes('EOF') || text.includes('closed') || text.includes('reset') || text.includes('shutdown')
}

