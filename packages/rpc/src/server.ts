import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@nomadic/runtime'
import { certificateNames, TlsAcceptor, validateRpcRegionPeer, type TlsConfig } from '@nomadic/tls'
import { Session, type SessionOptions } from '@nomadic/yamux'
import { AcceptBackoff } from './backoff.js'
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS_PER_CLIENT,
  DEFAULT_MAX_MESSAGE_BYTES,
  MIN_MAX_CONNS_PER_CLIENT,
  NON_STREAMING_CONNS_PER_CLIENT,
  RpcType,
} from './constants.js'
import { EndpointRegistry, StreamingRegistry, errorText, type RpcContext } from './endpoints.js'
import { RpcError } from './errors.js'
import { readFirstByte } from './first-byte.js'
import { ConnLimiter } from './limiter.js'
import { TcpListener, type Listener } from './listener.js'
import { serveRpcStream, serveStreaming, type ServeOptions } from './serve.js'
import { serveSession } from './session-rpc.js'

/**
 * Receives Raft connections (first byte 0x02): the socket, positioned just after the byte, is
 * the handler's from now on (Raft's NetworkTransport reads its own protocol from it).
 */
export type RaftHandler = (conn: Duplex, context: RpcContext) => void

/** Options of {@link RpcServer}. */
export interface RpcServerOptions {
  /** net/rpc methods (a new empty registry by default; register on `server.endpoints`). */
  endpoints?: EndpointRegistry
  /** Streaming RPC methods. */
  streaming?: StreamingRegistry
  /** Our region: incoming TLS peers are checked against it when `verifyServerHostname` is on. */
  region?: string
  /**
   * TLS. With `enableRpc` on, byte 0x04 upgrades to TLS (client certificates required) and
   * plaintext connections are refused unless `upgradeMode` is on.
   */
  tls?: TlsConfig
  /** Accept plaintext although TLS is on (`rpc_upgrade_mode`). */
  upgradeMode?: boolean
  /** Time for the first byte and for the TLS handshake; 0 disables (5 s). */
  handshakeTimeoutMs?: number
  /** Connections per client IP; 0 disables; otherwise at least 26 (100). */
  maxConnsPerClient?: number
  /** Largest msgpack message accepted (64 MiB). */
  maxMessageBytes?: number
  /** yamux settings of incoming sessions (0x03, 0x06). */
  yamux?: SessionOptions
  /** The Raft layer's handler for byte 0x02; without one, 0x02 connections are closed. */
  raftHandler?: RaftHandler
  clock?: Clock
  logger?: Logger
  /** Nomad's counters: `nomad.rpc.accept_conn`, `nomad.rpc.raft_handoff`, `nomad.rpc.request`, … */
  metrics?: Metrics
}

/**
 * Nomad's RPC listener (`nomad/rpc.go`): dispatches every connection on its first byte — 0x01
 * net/rpc, 0x02 Raft, 0x03 yamux with RPC streams, 0x04 TLS then another byte, 0x05 streaming
 * RPC, 0x06 yamux whose streams each start with 0x01 or 0x05 — with a handshake timeout, a
 * per-IP connection limit and accept-error backoff. Malformed input closes that connection only.
 *
 * @example
 * const server = new RpcServer()
 * server.endpoints.register('Status.Ping', () => ({}))
 * const { port } = await server.listen(4647, '127.0.0.1')
 * // … later
 * await server.stop()
 */
export class RpcServer {
  readonly endpoints: EndpointRegistry
  readonly streaming: StreamingRegistry
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly metrics: Metrics
  private readonly region: string
  private readonly requireTls: boolean
  private readonly upgradeMode: boolean
  private readonly verifyServerHostname: boolean
  private readonly handshakeTimeoutMs: number
  private readonly connLimiter: ConnLimiter | undefined
  private readonly streamLimiter: ConnLimiter | undefined
  private readonly serveOptions: ServeOptions
  private readonly yamuxOptions: SessionOptions
  private acceptor: TlsAcceptor | undefined
  private raftHandler: RaftHandler | undefined
  private readonly connections = new Set<Duplex>()
  private readonly sessions = new Set<Session>()
  private readonly listeners = new Set<Listener>()
  private readonly stopController = new AbortController()
  private stopped = false

  constructor(options: RpcServerOptions = {}) {
    this.endpoints = options.endpoints ?? new EndpointRegistry()
    this.streaming = options.streaming ?? new StreamingRegistry()
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? noopLogger
    this.metrics = options.metrics ?? noopMetrics
    this.region = options.region ?? 'global'
    this.upgradeMode = options.upgradeMode ?? false
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
    if (!(this.handshakeTimeoutMs >= 0)) throw new RangeError('handshakeTimeoutMs must be 0 or more')
    const limit = options.maxConnsPerClient ?? DEFAULT_MAX_CONNS_PER_CLIENT
    if (!Number.isInteger(limit) || limit < 0 || (limit > 0 && limit < MIN_MAX_CONNS_PER_CLIENT)) {
      throw new RangeError(`maxConnsPerClient (rpc_max_conns_per_client) must be > ${MIN_MAX_CONNS_PER_CLIENT - 1}; found: ${limit}`)
    }
    if (limit > 0) {
      this.connLimiter = new ConnLimiter(limit)
      this.streamLimiter = new ConnLimiter(limit - NON_STREAMING_CONNS_PER_CLIENT)
    }
    const tls = options.tls
    this.requireTls = tls?.enableRpc === true
    this.verifyServerHostname = tls?.verifyServerHostname === true
    this.acceptor = tls?.enableRpc === true ? new TlsAcceptor(tls, { region: this.region }) : undefined
    this.raftHandler = options.raftHandler
    this.yamuxOptions = { clock: this.clock, logger: this.logger, ...options.yamux }
    this.serveOptions = {
      endpoints: this.endpoints,
      streaming: this.streaming,
      logger: this.logger,
      metrics: this.metrics,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    }
  }

  /** Registers the Raft layer's handler for byte 0x02 (the raft package's NetworkTransport). */
  setRaftHandler(handler: RaftHandler | undefined): void {
    this.raftHandler = handler
  }

  /** New TLS handshakes use `config`; connections already open keep their certificates. */
  reloadTls(config: TlsConfig): void {
    if (this.acceptor !== undefined) this.acceptor.reload(config)
    else if (config.enableRpc) this.acceptor = new TlsAcceptor(config, { region: this.region })
  }

  /** Listens on TCP and serves every connection. Resolves with the bound address. */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const server: NetServer = createServer({ noDelay: true })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const listener = new TcpListener(server)
    void this.serve(listener)
    return server.address() as AddressInfo
  }

  /**
   * Runs the accept loop on `listener` until {@link RpcServer.stop}. Accept errors back off
   * (5 ms doubling, at most 1 s when temporary, 5 s otherwise) instead of spinning.
   */
  async serve(listener: Listener): Promise<void> {
    this.listeners.add(listener)
    const backoff = new AcceptBackoff()
    const signal = this.stopController.signal
    try {
      while (!this.stopped) {
        let conn: Duplex
        try {
          conn = await listener.accept()
        } catch (error) {
          if (this.stopped) return
          const delay = backoff.next(error)
          this.logger.error('failed to accept RPC conn', { error: errorText(error), delay })
          try {
            await this.clock.sleep(delay, signal)
          } catch {
            return
          }
          continue
        }
        backoff.reset()
        this.handleConnection(conn)
      }
    } finally {
      this.listeners.delete(listener)
      listener.close()
    }
  }

  /** Serves one accepted connection (applies the per-IP limit, then dispatches on its first byte). */
  handleConnection(conn: Duplex): void {
    if (this.stopped) {
      conn.destroy()
      return
    }
    const ip = (conn as Socket).remoteAddress ?? 'unknown'
    if (this.connLimiter !== undefined) {
      const free = this.connLimiter.acquire(ip)
      if (free === undefined) {
        this.logger.error('rejecting client for exceeding maximum RPC connections', { remote_addr: ip, limit: this.connLimiter.maxPerIp })
        conn.destroy()
        return
      }
      conn.once('close', free)
    }
    this.connections.add(conn)
    this.metrics.counter('nomad.rpc.accept_conn')
    conn.once('close', () => this.connections.delete(conn))
    conn.on('error', () => {})
    const remoteAddress = `${ip}:${(conn as Socket).remotePort ?? 0}`
    this.dispatch(conn, conn, { remoteAddress, tls: false }).catch((error: unknown) => {
      this.logger.error('RPC connection failed', { remote_addr: remoteAddress, error: errorText(error) })
      conn.destroy()
    })
  }

  /** Stops accepting, closes every connection and session. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.stopController.abort(new RpcError('RPC_CONNECTION_CLOSED', 'server stopped'))
    for (const listener of this.listeners) listener.close()
    for (const session of this.sessions) session.close()
    for (const conn of this.connections) conn.destroy()
    await Promise.all([...this.listeners].map((l) => l.closed))
  }

  /** Connections open now (for tests and metrics). */
  get connectionCount(): number {
    return this.connections.size
  }

  private async dispatch(conn: Duplex, raw: Duplex, context: RpcContext): Promise<void> {
    const timeout = context.tls ? 0 : this.handshakeTimeoutMs
    const first = await readFirstByte(conn, this.clock, timeout)
    if (first === 'closed' || first === 'timeout') {
      if (first === 'timeout') this.logger.warn('closing connection: no first RPC byte in time', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    if (this.requireTls && !context.tls && first !== RpcType.TLS && !this.upgradeMode) {
      this.logger.warn('non-TLS connection attempted with RequireTLS set', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    switch (first) {
      case RpcType.Nomad:
        return serveRpcStream(conn, context, this.serveOptions)
      case RpcType.Raft:
        return this.handleRaft(conn, context)
      case RpcType.Multiplex:
        return this.handleMultiplex(conn, context, false)
      case RpcType.TLS:
        return this.handleTls(conn, raw, context)
      case RpcType.Streaming:
        return this.handleStreamingConn(conn, context)
      case RpcType.MultiplexV2:
        return this.handleMultiplex(conn, context, true)
      default:
        this.logger.error('unrecognized RPC byte', { byte: first, remote_addr: context.remoteAddress })
        conn.destroy()
    }
  }

  private handleRaft(conn: Duplex, context: RpcContext): void {
    const handler = this.raftHandler
    if (handler === undefined) {
      this.logger.warn('Raft connection attempted, no Raft layer registered', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    if (context.tls && this.verifyServerHostname && !isServerCertificate(context)) {
      this.logger.warn('refusing Raft connection: peer certificate is not a server certificate', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    this.metrics.counter('nomad.rpc.raft_handoff')
    handler(conn, context)
  }

  private async handleTls(conn: Duplex, raw: Duplex, context: RpcContext): Promise<void> {
    const acceptor = this.acceptor
    if (acceptor === undefined) {
      this.logger.warn('TLS connection attempted, server not configured for TLS', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    if (context.tls) {
      this.logger.error('TLS connection attempting to establish inner TLS connection', { remote_addr: context.remoteAddress })
      conn.destroy()
      return
    }
    const controller = new AbortController()
    const timer = this.handshakeTimeoutMs > 0
      ? this.clock.setTimeout(() => controller.abort(new RpcError('RPC_HANDSHAKE_TIMEOUT', 'TLS handshake timed out')), this.handshakeTimeoutMs)
      : undefined
    let secure: TLSSocket
    try {
      secure = await acceptor.accept(conn, controller.signal)
    } catch (error) {
      this.logger.warn('failed TLS handshake', { remote_addr: context.remoteAddress, error: errorText(error) })
      conn.destroy()
      return
    } finally {
      timer?.cancel()
    }
    secure.on('error', () => {})
    // Closing the secure socket releases the raw one (and its per-IP slot); stop() reaches both through the raw one.
    secure.once('close', () => raw.destroy())
    const tlsContext: RpcContext = { ...context, tls: true, peerCertificate: secure.getPeerCertificate(true) }
    return this.dispatch(secure, raw, tlsContext)
  }

  private handleStreamingConn(conn: Duplex, context: RpcContext): Promise<void> | void {
    if (this.streamLimiter !== undefined) {
      const ip = context.remoteAddress.slice(0, context.remoteAddress.lastIndexOf(':'))
      const free = this.streamLimiter.acquire(ip)
      if (free === undefined) {
        this.logger.error('rejecting client for exceeding maximum streaming RPC connections', { remote_addr: context.remoteAddress, stream_limit: this.streamLimiter.maxPerIp })
        conn.destroy()
        return
      }
      conn.once('close', free)
    }
    return serveStreaming(conn, context, this.serveOptions)
  }

  private async handleMultiplex(conn: Duplex, context: RpcContext, v2: boolean): Promise<void> {
    const session = Session.server(conn, this.yamuxOptions)
    this.sessions.add(session)
    session.once('close', () => {
      this.sessions.delete(session)
      conn.destroy()
    })
    await serveSession(session, context, { ...this.serveOptions, perStreamByte: v2, clock: this.clock })
  }
}

function isServerCertificate(context: RpcContext): boolean {
  const cert = context.peerCertificate
  if (cert === undefined) return false
  return certificateNames(cert).some((name) => name.startsWith('server.') && validateRpcRegionPeer(name, ''))
}
