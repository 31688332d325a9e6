import type { Duplex } from 'node:stream'
import { noopLogger, systemClock, TypedEmitter, type Clock, type Logger, type Timer } from '@nomadic/runtime'
import {
  DEFAULT_ACCEPT_BACKLOG,
  DEFAULT_CONNECTION_WRITE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_STREAM_CLOSE_TIMEOUT_MS,
  DEFAULT_STREAM_OPEN_TIMEOUT_MS,
  Flag,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  MAX_STREAM_ID,
  PROTOCOL_VERSION,
} from './constants.js'
import { YamuxError } from './errors.js'
import { readHeader, type FrameHeader } from './header.js'
import { OutputQueue } from './output.js'
import { YamuxStream } from './stream.js'

/** Frames waiting for the end of the tick are written at once when they reach this many bytes. */
const FLUSH_BYTES = 64 * 1024

/** Options of a {@link Session}; the defaults are hashicorp/yamux's `DefaultConfig()`. */
export interface SessionOptions {
  /** Streams waiting for {@link Session.accept} before new ones are reset; also caps unacknowledged opens (256). */
  acceptBacklog?: number
  /** Send a ping every `keepAliveIntervalMs` and drop the session when it goes unanswered (true). */
  enableKeepAlive?: boolean
  /** Keepalive period (30 s). */
  keepAliveIntervalMs?: number
  /** A write stuck this long, or a ping unanswered this long, closes the session (10 s). */
  connectionWriteTimeoutMs?: number
  /** Receive window per stream; at least 256 KiB (256 KiB). */
  maxStreamWindowSize?: number
  /** An opened stream not acknowledged within this closes the session; 0 disables (75 s). */
  streamOpenTimeoutMs?: number
  /** A half-closed stream whose peer never closes is reset after this; 0 disables (5 min). */
  streamCloseTimeoutMs?: number
  /** Timers (keepalive, timeouts). */
  clock?: Clock
  logger?: Logger
}

/** Events of a {@link Session}. */
export type SessionEvents = {
  /** The session ended; `error` says why (a {@link YamuxError}, or the connection's error). */
  close: (error: Error) => void
}

interface Waiter<T> {
  resolve: (value: T) => void
  reject: (error: Error) => void
}

/**
 * A yamux session over one reliable connection (a TCP or TLS socket, or any Duplex). The client
 * side opens odd-numbered streams, the server side even-numbered ones; either side may open and
 * accept. Protocol errors from the peer are answered with a go-away and end the session, and
 * never affect another session.
 *
 * @example
 * ```ts
 * const session = Session.client(socket)
 * const stream = await session.open()
 * stream.end('hello')
 * ```
 */
export class Session extends TypedEmitter<SessionEvents> {
  /** @internal */
  readonly clock: Clock
  /** @internal */
  readonly streamCloseTimeoutMs: number
  private readonly logger: Logger
  private readonly acceptBacklog: number
  private readonly writeTimeoutMs: number
  private readonly maxWindow: number
  private readonly openTimeoutMs: number
  private readonly keepAliveMs: number
  private readonly streams = new Map<number, YamuxStream>()
  private readonly inflight = new Map<number, Timer | undefined>()
  private readonly acceptQueue: YamuxStream[] = []
  private readonly acceptWaiters: Array<Waiter<YamuxStream>> = []
  private readonly openWaiters: Array<Waiter<void>> = []
  private readonly pings = new Map<number, Waiter<number> & { timer: Timer; sent: number }>()
  private readonly drainWaiters: Array<(error?: Error | null) => void> = []
  private nextStreamId: number
  private nextPingId = 0
  private localGoAway = false
  private remoteGoAway = false
  private shutdown = false
  private shutdownError: Error | undefined
  private keepAliveTimer: Timer | undefined
  private writeTimer: Timer | undefined
  // Frames sent in one tick leave together, in one write at its end.
  private readonly output = new OutputQueue()
  private flushScheduled = false
  // Frame parsing state: a header may arrive split across chunks; a payload is passed on piecewise.
  private readonly headerBuf = Buffer.alloc(HEADER_SIZE)
  private headerFill = 0
  private payloadLeft = 0
  private payloadStream: YamuxStream | undefined

  /** A session for the side that dialed (odd stream IDs). */
  static client(conn: Duplex, options: SessionOptions = {}): Session {
    return new Session(conn, true, options)
  }

  /** A session for the side that accepted the connection (even stream IDs). */
  static server(conn: Duplex, options: SessionOptions = {}): Session {
    return new Session(conn, false, options)
  }

  constructor(
    private readonly conn: Duplex,
    readonly isClient: boolean,
    options: SessionOptions = {},
  ) {
    super()
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? noopLogger
    this.acceptBacklog = options.acceptBacklog ?? DEFAULT_ACCEPT_BACKLOG
    this.keepAliveMs = options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS
    this.writeTimeoutMs = options.connectionWriteTimeoutMs ?? DEFAULT_CONNECTION_WRITE_TIMEOUT_MS
    this.maxWindow = options.maxStreamWindowSize ?? INITIAL_STREAM_WINDOW
    this.openTimeoutMs = options.streamOpenTimeoutMs ?? DEFAULT_STREAM_OPEN_TIMEOUT_MS
    this.streamCloseTimeoutMs = options.streamCloseTimeoutMs ?? DEFAULT_STREAM_CLOSE_TIMEOUT_MS
    if (!Number.isInteger(this.acceptBacklog) || this.acceptBacklog <= 0) throw new RangeError('acceptBacklog must be a positive integer')
    if (!(this.keepAliveMs > 0)) throw new RangeError('keepAliveIntervalMs must be positive')
    if (!(this.writeTimeoutMs > 0)) throw new RangeError('connectionWriteTimeoutMs must be positive')
    if (!Number.isInteger(this.maxWindow) || this.maxWindow < INITIAL_STREAM_WINDOW || this.maxWindow > 0xffffffff) {
      throw new RangeError(`maxStreamWindowSize must be an integer of at least ${INITIAL_STREAM_WINDOW}`)
    }
    this.nextStreamId = isClient ? 1 : 2

    conn.on('data', this.onData)
    conn.on('end', this.onEnd)
    conn.on('error', this.onError)
    conn.on('close', this.onConnClose)
    conn.on('drain', this.onDrain)
    conn.resume()
    if (options.enableKeepAlive ?? true) this.scheduleKeepAlive()
  }

  /** True once the session has ended. */
  get isClosed(): boolean {
    return this.shutdown
  }

  /** Why the session ended, once it has. */
  get closeReason(): Error | undefined {
    return this.shutdownError
  }

  /** True once the peer sent a normal go-away: {@link Session.open} fails from then on. */
  get peerWentAway(): boolean {
    return this.remoteGoAway
  }

  /** Streams currently open. */
  get numStreams(): number {
    return this.streams.size
  }

  /** The underlying connection. */
  get connection(): Duplex {
    return this.conn
  }

  /**
   * Opens a stream. Waits while `acceptBacklog` opens are still unacknowledged by the peer.
   * The SYN goes out at once; data may be written straight away.
   */
  async open(signal?: AbortSignal): Promise<YamuxStream> {
    for (;;) {
      this.checkCanOpen()
      signal?.throwIfAborted()
      if (this.inflight.size < this.acceptBacklog) break
      await this.waitFor(this.openWaiters, signal)
    }
    const id = this.nextStreamId
    if (id >= MAX_STREAM_ID) throw new YamuxError('YAMUX_STREAMS_EXHAUSTED')
    this.nextStreamId += 2
    const stream = new YamuxStream(this, id, 'init', this.maxWindow, INITIAL_STREAM_WINDOW)
    this.streams.set(id, stream)
    const timer = this.openTimeoutMs > 0
      ? this.clock.setTimeout(() => {
          this.logger.error('yamux: aborted stream open: no ACK in time', { streamId: id })
          this.close(new YamuxError('YAMUX_STREAM_OPEN_TIMEOUT'))
        }, this.openTimeoutMs)
      : undefined
    this.inflight.set(id, timer)
    stream.sendWindowUpdate()
    return stream
  }

  /** Waits for the next stream the peer opens, and acknowledges it. */
  async accept(signal?: AbortSignal): Promise<YamuxStream> {
    for (;;) {
      const stream = this.acceptQueue.shift()
      if (stream !== undefined) {
        if (stream.destroyed) continue
        stream.sendWindowUpdate()
        return stream
      }
      if (this.shutdown) throw this.shutdownError!
      signal?.throwIfAborted()
      const next = await this.waitFor(this.acceptWaiters, signal)
      if (!next.destroyed) {
        next.sendWindowUpdate()
        return next
      }
    }
  }

  /** Accepted streams until the session ends. */
  async *[Symbol.asyncIterator](): AsyncGenerator<YamuxStream> {
    for (;;) {
      let stream: YamuxStream
      try {
        stream = await this.accept()
      } catch {
        return
      }
      yield stream
    }
  }

  /** Round-trip time of a ping, in milliseconds of the session's clock. */
  ping(): Promise<number> {
    if (this.shutdown) return Promise.reject(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    const id = this.nextPingId
    this.nextPingId = (this.nextPingId + 1) >>> 0
    return new Promise<number>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pings.delete(id)
        reject(new YamuxError('YAMUX_TIMEOUT'))
      }, this.writeTimeoutMs)
      this.pings.set(id, { resolve, reject, timer, sent: this.clock.now() })
      this.sendFrame(FrameType.Ping, Flag.SYN, 0, id)
    })
  }

  /** Tells the peer to open no more streams; streams it opens from now on are reset. */
  goAway(): void {
    this.localGoAway = true
    this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.Normal)
  }

  /** Ends the session and every stream in it. Idempotent. */
  close(error?: Error): void {
    if (this.shutdown) return
    this.shutdown = true
    const reason = error ?? new YamuxError('YAMUX_SESSION_SHUTDOWN')
    this.shutdownError = reason
    this.keepAliveTimer?.cancel()
    this.writeTimer?.cancel()
    for (const timer of this.inflight.values()) timer?.cancel()
    this.inflight.clear()
    for (const ping of this.pings.values()) {
      ping.timer.cancel()
      ping.reject(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    }
    this.pings.clear()
    for (const waiter of this.acceptWaiters.splice(0)) waiter.reject(reason)
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    const streams = [...this.streams.values(), ...this.acceptQueue]
    this.streams.clear()
    this.acceptQueue.length = 0
    for (const stream of streams) stream.forceClose(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    // The streams are destroyed by now, so failing their pending writes raises nothing unheard.
    for (const cb of this.drainWaiters.splice(0)) cb(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    this.conn.off('data', this.onData)
    this.endConnection()
    this.emit('close', reason)
  }

  // ---- used by streams ---------------------------------------------------------------------

  /** @internal writes one frame; frames written in the same tick leave in one system call. */
  sendFrame(type: number, flags: number, streamId: number, length: number, body?: Buffer): void {
    if (this.shutdown || this.conn.destroyed || this.conn.writableEnded) return
    this.output.frame(type, flags, streamId, length, body)
    // Much waiting already: write now, so the connection's back-pressure (whenWritable) sees it.
    if (this.output.bytes >= FLUSH_BYTES) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      process.nextTick(this.flush)
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false
    const queue = this.output.take()
    if (queue.length === 0) return
    const conn = this.conn
    let ok = true
    if (!conn.destroyed && !conn.writableEnded) {
      if (queue.length === 1) ok = conn.write(queue[0]!)
      else {
        conn.cork()
        for (const chunk of queue) ok = conn.write(chunk)
        conn.uncork()
      }
    }
    if (!ok && this.writeTimer === undefined && !this.shutdown) {
      this.writeTimer = this.clock.setTimeout(() => {
        this.writeTimer = undefined
        this.logger.error('yamux: connection write timeout')
        this.close(new YamuxError('YAMUX_CONNECTION_WRITE_TIMEOUT'))
      }, this.writeTimeoutMs)
    }
  }

  /** @internal calls back now, or once the connection has drained. */
  whenWritable(callback: (error?: Error | null) => void): void {
    if (this.shutdown) callback(new YamuxError('YAMUX_SESSION_SHUTDOWN'))
    else if (this.conn.writableNeedDrain) this.drainWaiters.push(callback)
    else callback()
  }

  /** @internal the peer acknowledged a stream we opened. */
  establishStream(id: number): void {
    if (!this.inflight.has(id)) return
    this.inflight.get(id)?.cancel()
    this.inflight.delete(id)
    this.openWaiters.shift()?.resolve()
  }

  /** @internal a stream is finished (both sides closed, or reset). */
  closeStream(id: number): void {
    this.streams.delete(id)
    this.establishStream(id)
  }

  // ---- the receive side --------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    let offset = 0
    const size = chunk.length
    while (offset < size && !this.shutdown) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, size - offset)
        const stream = this.payloadStream
        this.payloadLeft -= n
        if (stream !== undefined) {
          stream.receive(chunk.subarray(offset, offset + n))
          if (this.payloadLeft === 0) {
            this.payloadStream = undefined
            stream.endFrame()
          }
        }
        offset += n
        continue
      }
      let header: FrameHeader
      if (this.headerFill === 0 && size - offset >= HEADER_SIZE) {
        header = readHeader(chunk, offset)
        offset += HEADER_SIZE
      } else {
        const n = Math.min(HEADER_SIZE - this.headerFill, size - offset)
        chunk.copy(this.headerBuf, this.headerFill, offset, offset + n)
        this.headerFill += n
        offset += n
        if (this.headerFill < HEADER_SIZE) return
        this.headerFill = 0
        header = readHeader(this.headerBuf)
      }
      this.handleFrame(header)
    }
  }

  private handleFrame(h: FrameHeader): void {
    if (h.version !== PROTOCOL_VERSION) return this.protocolError(new YamuxError('YAMUX_INVALID_VERSION'))
    switch (h.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        return this.handleStreamFrame(h)
      case FrameType.Ping:
        return this.handlePing(h)
      case FrameType.GoAway:
        return this.handleGoAway(h)
      default:
        return this.protocolError(new YamuxError('YAMUX_INVALID_MSG_TYPE'))
    }
  }

  private handleStreamFrame(h: FrameHeader): void {
    const { streamId: id, flags } = h
    if ((flags & Flag.SYN) !== 0) {
      const error = this.incomingStream(id)
      if (error !== undefined) return this.protocolError(error)
    }
    const stream = this.streams.get(id)
    if (stream === undefined) {
      // Most likely a stream we reset: skip its data without keeping it.
      if (h.type === FrameType.Data && h.length > 0) {
        this.payloadLeft = h.length
        this.payloadStream = undefined
      }
      return
    }
    if (h.type === FrameType.WindowUpdate) {
      const error = stream.processFlags(flags)
      if (error !== undefined) return this.protocolError(error)
      stream.incrSendWindow(h.length)
      return
    }
    if (h.length > 0) {
      if (!stream.admits(h.length)) {
        this.logger.error('yamux: receive window exceeded', { streamId: id, length: h.length })
        return this.protocolError(new YamuxError('YAMUX_RECV_WINDOW_EXCEEDED'))
      }
      stream.beginFrame(h.length)
      this.payloadLeft = h.length
      this.payloadStream = stream
    }
    const error = stream.processFlags(flags)
    if (error !== undefined) return this.protocolError(error)
  }

  private incomingStream(id: number): YamuxError | undefined {
    if (this.localGoAway) {
      this.sendFrame(FrameType.WindowUpdate, Flag.RST, id, 0)
      return undefined
    }
    // The peer opens odd IDs if it is the client, even ones if it is the server.
    if (id === 0 || id % 2 !== (this.isClient ? 0 : 1)) return new YamuxError('YAMUX_INVALID_STREAM_ID')
    if (this.streams.has(id)) return new YamuxError('YAMUX_DUPLICATE_STREAM')
    const stream = new YamuxStream(this, id, 'syn-received', this.maxWindow, INITIAL_STREAM_WINDOW)
    const waiter = this.acceptWaiters.shift()
    if (waiter !== undefined) {
      this.streams.set(id, stream)
      waiter.resolve(stream)
      return undefined
    }
    if (this.acceptQueue.length >= this.acceptBacklog) {
      this.logger.warn('yamux: backlog exceeded, forcing stream reset', { streamId: id })
      this.sendFrame(FrameType.WindowUpdate, Flag.RST, id, 0)
      return undefined
    }
    this.streams.set(id, stream)
    this.acceptQueue.push(stream)
    return undefined
  }

  private handlePing(h: FrameHeader): void {
    if ((h.flags & Flag.SYN) !== 0) {
      this.sendFrame(FrameType.Ping, Flag.ACK, 0, h.length)
      return
    }
    const ping = this.pings.get(h.length)
    if (ping === undefined) return
    this.pings.delete(h.length)
    ping.timer.cancel()
    ping.resolve(this.clock.now() - ping.sent)
  }

  private handleGoAway(h: FrameHeader): void {
    switch (h.length) {
      case GoAwayCode.Normal:
        this.remoteGoAway = true
        return
      case GoAwayCode.ProtocolError:
        return this.close(new YamuxError('YAMUX_REMOTE_PROTOCOL_ERROR'))
      case GoAwayCode.InternalError:
        return this.close(new YamuxError('YAMUX_REMOTE_INTERNAL_ERROR'))
      default:
        return this.close(new YamuxError('YAMUX_UNEXPECTED_GO_AWAY'))
    }
  }

  private protocolError(error: YamuxError): void {
    this.logger.error('yamux: protocol error, going away', { error: error.message })
    this.sendFrame(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError)
    this.close(error)
  }

  // ---- connection plumbing -----------------------------------------------------------------

  private checkCanOpen(): void {
    if (this.shutdown) throw new YamuxError('YAMUX_SESSION_SHUTDOWN')
    if (this.remoteGoAway) throw new YamuxError('YAMUX_REMOTE_GO_AWAY')
  }

  private waitFor<T>(queue: Array<Waiter<T>>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const i = queue.indexOf(waiter)
        if (i >= 0) queue.splice(i, 1)
        reject(signal!.reason)
      }
      const waiter: Waiter<T> = {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(v)
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      queue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private scheduleKeepAlive(): void {
    this.keepAliveTimer = this.clock.setTimeout(() => {
      this.ping().then(
        () => {
          if (!this.shutdown) this.scheduleKeepAlive()
        },
        (error: Error) => {
          if (this.shutdown) return
          this.logger.error('yamux: keepalive failed', { error: error.message })
          this.close(new YamuxError('YAMUX_KEEPALIVE_TIMEOUT'))
        },
      )
    }, this.keepAliveMs)
  }

  private readonly onDrain = (): void => {
    this.writeTimer?.cancel()
    this.writeTimer = undefined
    for (const cb of this.drainWaiters.splice(0)) cb()
  }

  private readonly onEnd = (): void => {
    this.close(new YamuxError('YAMUX_CONNECTION_CLOSED', 'EOF'))
  }

  private readonly onError = (error: Error): void => {
    this.close(error)
  }

  private readonly onConnClose = (): void => {
    this.close(new YamuxError('YAMUX_CONNECTION_CLOSED', 'EOF'))
  }

  private endConnection(): void {
    const conn = this.conn
    if (conn.destroyed) return
    this.flush()
    // Let a final go-away leave, then release the socket; never wait past the write timeout.
    const timer = this.clock.setTimeout(() => conn.destroy(), this.writeTimeoutMs)
    conn.once('close', () => timer.cancel())
    conn.end(() => conn.destroy())
  }
}
