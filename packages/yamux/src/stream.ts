import { Duplex } from 'node:stream'
import type { Timer } from '@nomadic/runtime'
import { Flag, FrameType } from './constants.js'
import { YamuxError } from './errors.js'
import type { Session } from './session.js'

/** Where a stream is in its life, as in hashicorp/yamux. */
export type StreamState =
  | 'init'
  | 'syn-sent'
  | 'syn-received'
  | 'established'
  | 'local-close'
  | 'remote-close'
  | 'closed'
  | 'reset'

interface PendingWrite {
  chunk: Buffer
  callback: (error?: Error | null) => void
}

/**
 * One multiplexed stream: a Node `Duplex`. Reading is flow-controlled by a receive window that
 * reopens as the application consumes data; writing waits while the peer's window is closed.
 * `end()` half-closes (FIN); `destroy()` before both sides closed resets it (RST).
 * A reset or a session failure destroys the stream with a {@link YamuxError} when an `error`
 * listener is attached, and just closes it (`close` without `end`) otherwise.
 */
export class YamuxStream extends Duplex {
  /** This stream's ID: odd when the client side opened it, even for the server side. */
  readonly id: number
  private streamState: StreamState
  private recvWindow: number
  private sendWindow: number
  private readonly recvQueue: Buffer[] = []
  private recvQueued = 0
  private wantRead = false
  private pushedEnd = false
  private receiving = false
  private pendingWrite: PendingWrite | undefined
  private closeTimer: Timer | undefined
  private removed = false

  /** @internal streams are made by {@link Session.open} and {@link Session.accept}. */
  constructor(
    private readonly session: Session,
    id: number,
    state: StreamState,
    private readonly maxWindow: number,
    initialWindow: number,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 })
    this.id = id
    this.streamState = state
    this.recvWindow = initialWindow
    this.sendWindow = initialWindow
  }

  /** The protocol state (for diagnostics and tests). */
  get state(): StreamState {
    return this.streamState
  }

  /** The session this stream belongs to. */
  get yamuxSession(): Session {
    return this.session
  }

  /** Bytes we may still send before the peer opens its window again. */
  get sendWindowBytes(): number {
    return this.sendWindow
  }

  // ---- frames from the session ------------------------------------------------------------

  /** @internal flags that came with a data or window-update frame. Returns an error to go away with. */
  processFlags(flags: number): YamuxError | undefined {
    if ((flags & Flag.ACK) !== 0) {
      if (this.streamState === 'syn-sent') this.streamState = 'established'
      this.session.establishStream(this.id)
    }
    if ((flags & Flag.FIN) !== 0) {
      switch (this.streamState) {
        case 'syn-sent':
        case 'syn-received':
        case 'established':
          this.streamState = 'remote-close'
          this.flushRecv()
          break
        case 'local-close':
          this.streamState = 'closed'
          this.flushRecv()
          this.finishClose()
          break
        default:
          return new YamuxError('YAMUX_UNEXPECTED_FLAG')
      }
    }
    if ((flags & Flag.RST) !== 0) {
      this.streamState = 'reset'
      this.removeFromSession()
      this.failPendingWrite(new YamuxError('YAMUX_CONNECTION_RESET'))
      this.fail(new YamuxError('YAMUX_CONNECTION_RESET'))
    }
    return undefined
  }

  /** @internal a window update from the peer. */
  incrSendWindow(delta: number): void {
    this.sendWindow += delta
    if (this.pendingWrite !== undefined && this.sendWindow > 0) {
      const { chunk, callback } = this.pendingWrite
      this.pendingWrite = undefined
      this.writeChunk(chunk, callback)
    }
  }

  /** @internal can a data frame of `length` bytes be taken? */
  admits(length: number): boolean {
    return length <= this.recvWindow
  }

  /** @internal a data frame of `length` bytes starts: it uses up receive window. */
  beginFrame(length: number): void {
    this.recvWindow -= length
    this.receiving = true
  }

  /** @internal part of a data frame's payload. */
  receive(data: Buffer): void {
    if (this.pushedEnd || this.destroyed || data.length === 0) return
    this.recvQueue.push(data)
    this.recvQueued += data.length
    if (this.wantRead) this.flushRecv()
  }

  /** @internal the current data frame's payload is complete. */
  endFrame(): void {
    this.receiving = false
    if (!this.destroyed) this.flushRecv()
  }

  /** @internal the session is gone: fail everything still waiting. */
  forceClose(error: Error): void {
    this.streamState = 'closed'
    this.cancelCloseTimer()
    this.removed = true
    this.failPendingWrite(error)
    this.fail(error)
  }

  /**
   * Ends the stream because of `error`. Node streams throw an `error` nobody listens for, so a
   * stream whose owner does not listen (one never accepted, say) just closes.
   */
  private fail(error: Error): void {
    if (this.destroyed) return
    if (this.listenerCount('error') > 0) this.destroy(error)
    else this.destroy()
  }

  // ---- Duplex ------------------------------------------------------------------------------

  override _read(): void {
    this.wantRead = true
    this.flushRecv()
  }

  private flushRecv(): void {
    while (this.wantRead && this.recvQueue.length > 0) {
      const chunk = this.recvQueue.shift()!
      this.recvQueued -= chunk.length
      this.wantRead = this.push(chunk)
    }
    if (this.recvQueue.length === 0 && !this.receiving && !this.pushedEnd && (this.streamState === 'remote-close' || this.streamState === 'closed')) {
      this.pushedEnd = true
      this.push(null)
    }
    if (!this.destroyed) this.sendWindowUpdate()
  }

  /** @internal reopens the receive window by what the application consumed (or ACKs a SYN). */
  sendWindowUpdate(): void {
    if (this.streamState === 'reset' || this.removed) return
    const delta = this.maxWindow - this.recvQueued - this.recvWindow
    const flags = this.sendFlags()
    if (delta < this.maxWindow / 2 && flags === 0) return
    this.recvWindow += delta
    this.session.sendFrame(FrameType.WindowUpdate, flags, this.id, delta)
  }

  /** SYN on the first frame of an opened stream, ACK on the first frame of an accepted one. */
  private sendFlags(): number {
    if (this.streamState === 'init') {
      this.streamState = 'syn-sent'
      return Flag.SYN
    }
    if (this.streamState === 'syn-received') {
      this.streamState = 'established'
      return Flag.ACK
    }
    return 0
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk, callback)
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk))
    this.writeChunk(data, callback)
  }

  private writeChunk(chunk: Buffer, callback: (error?: Error | null) => void): void {
    let offset = 0
    while (offset < chunk.length) {
      const refusal = this.writeRefusal()
      if (refusal !== undefined) {
        callback(refusal)
        return
      }
      if (this.sendWindow === 0) {
        // Back-pressure: wait for the peer's window update.
        this.pendingWrite = { chunk: chunk.subarray(offset), callback }
        return
      }
      const n = Math.min(this.sendWindow, chunk.length - offset)
      const flags = this.sendFlags()
      this.session.sendFrame(FrameType.Data, flags, this.id, n, chunk.subarray(offset, offset + n))
      this.sendWindow -= n
      offset += n
    }
    this.session.whenWritable(callback)
  }

  private writeRefusal(): Error | undefined {
    if (this.streamState === 'reset') return new YamuxError('YAMUX_CONNECTION_RESET')
    if (this.streamState === 'local-close' || this.streamState === 'closed') return new YamuxError('YAMUX_STREAM_CLOSED')
    if (this.session.isClosed) return new YamuxError('YAMUX_SESSION_SHUTDOWN')
    return undefined
  }

  override _final(callback: (error?: Error | null) => void): void {
    switch (this.streamState) {
      case 'init':
      case 'syn-sent':
      case 'syn-received':
      case 'established':
        this.streamState = 'local-close'
        this.sendClose()
        this.startCloseTimer()
        break
      case 'remote-close':
        this.streamState = 'closed'
        this.sendClose()
        this.finishClose()
        break
      default:
        break
    }
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cancelCloseTimer()
    this.pendingWrite = undefined
    if (!this.removed && this.streamState !== 'closed' && this.streamState !== 'reset') {
      // Destroyed before both sides closed: tell the peer the stream is gone.
      this.streamState = 'reset'
      if (!this.session.isClosed) this.session.sendFrame(FrameType.WindowUpdate, Flag.RST, this.id, 0)
    }
    this.removeFromSession()
    callback(error)
  }

  private sendClose(): void {
    const flags = this.sendFlags() | Flag.FIN
    if (!this.session.isClosed) this.session.sendFrame(FrameType.WindowUpdate, flags, this.id, 0)
  }

  private finishClose(): void {
    this.cancelCloseTimer()
    this.removeFromSession()
  }

  private startCloseTimer(): void {
    const ms = this.session.streamCloseTimeoutMs
    if (ms <= 0) return
    this.closeTimer = this.session.clock.setTimeout(() => {
      this.closeTimer = undefined
      // The peer never sent its FIN: reset so neither side holds the stream forever.
      if (this.streamState === 'local-close') {
        this.session.sendFrame(FrameType.WindowUpdate, Flag.RST, this.id, 0)
        this.streamState = 'reset'
        this.removeFromSession()
        this.destroy()
      }
    }, ms)
  }

  private cancelCloseTimer(): void {
    this.closeTimer?.cancel()
    this.closeTimer = undefined
  }

  private removeFromSession(): void {
    if (this.removed) return
    this.removed = true
    this.session.closeStream(this.id)
  }

  private failPendingWrite(error: Error): void {
    const pending = this.pendingWrite
    this.pendingWrite = undefined
    if (pending !== undefined && this.listenerCount('error') > 0) pending.callback(error)
  }
}
