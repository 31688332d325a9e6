/**
 * One incoming connection of the network transport. Like hashicorp's handleConn it serves
 * requests strictly one after another: read the type byte and the request, hand the RPC to
 * raft, write the error string and the response, then read the next. For InstallSnapshot the
 * `Size` bytes after the request are the snapshot data, streamed to raft as a Readable.
 * Anything malformed closes this connection and nothing else.
 */
import { PassThrough, type Duplex } from 'node:stream'
import type { Logger } from '@nomadic/runtime'
import { RPCType, type RPC, type RPCHandler, type AppendEntriesRequest } from '../types.js'
import { isHeartbeat } from './inmem.js'
import { FrameReader } from './wire-reader.js'
import { MESSAGE_KINDS, encodeResponse, readMessage, wireDecodeOptions } from './wire.js'

/** What the inbound side needs from its transport. */
export interface InboundHost {
  consumer(): RPCHandler | undefined
  heartbeatHandler(): RPCHandler | undefined
  readonly logger: Logger
  readonly maxMessageBytes: number
}

/** A connection a peer opened to this server, served one request at a time. */
export class InboundConnection {
  private readonly reader: FrameReader
  private pendingType: RPCType | undefined
  private busy = false
  private pumping = false
  private closed = false
  /** Snapshot bytes still to come after an InstallSnapshot request. */
  private snapshotLeft = 0
  /** Where they go; undefined once raft answered, when the rest is read and dropped. */
  private snapshotSink: PassThrough | undefined

  constructor(
    private readonly socket: Duplex,
    private readonly host: InboundHost,
    private readonly onClose: (conn: InboundConnection) => void,
  ) {
    this.reader = new FrameReader(wireDecodeOptions(), host.maxMessageBytes)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    // A peer that stops sending is done (Go's handleConn returns on EOF).
    socket.on('end', () => this.close())
    socket.on('error', () => this.close())
    socket.on('close', () => this.close())
  }

  close(reason?: string): void {
    if (this.closed) return
    this.closed = true
    if (reason !== undefined) this.host.logger.warn('closing raft connection', { reason })
    this.snapshotSink?.destroy(new Error('connection closed'))
    this.socket.destroy()
    this.onClose(this)
  }

  private onData(chunk: Buffer): void {
    if (this.snapshotLeft > 0) {
      const n = Math.min(this.snapshotLeft, chunk.length)
      this.snapshotBytes(chunk.subarray(0, n))
      chunk = chunk.subarray(n)
      if (chunk.length === 0) return
    }
    this.reader.push(chunk)
    this.pump()
  }

  private snapshotBytes(bytes: Buffer): void {
    this.snapshotLeft -= bytes.length
    const sink = this.snapshotSink
    if (sink !== undefined) {
      if (!sink.write(bytes)) {
        this.socket.pause()
        sink.once('drain', () => this.socket.resume())
      }
      if (this.snapshotLeft === 0) sink.end()
    }
    if (this.snapshotLeft === 0 && !this.busy) this.pump()
  }

  /** Reads and dispatches the next request, if one is complete and none is being served. */
  private pump(): void {
    // A handler that answers at once calls back into pump(): the loop below carries on instead,
    // so a burst of requests cannot grow the stack.
    if (this.pumping) return
    this.pumping = true
    try {
      this.pumpLoop()
    } finally {
      this.pumping = false
    }
  }

  private pumpLoop(): void {
    while (!this.busy && !this.closed && this.snapshotLeft === 0) {
      try {
        if (this.pendingType === undefined) {
          const t = this.reader.readByte()
          if (t === undefined) return
          if (!(t in MESSAGE_KINDS)) {
            this.close(`unknown rpc type ${t}`)
            return
          }
          this.pendingType = t as RPCType
        }
        const v = this.reader.readValue()
        if (v === undefined) return
        const type = this.pendingType
        this.pendingType = undefined
        this.dispatch(type, readMessage(MESSAGE_KINDS[type].request, v.value))
      } catch (err) {
        this.close(`failed to decode incoming command: ${(err as Error).message}`)
        return
      }
    }
  }

  private dispatch(type: RPCType, command: object): void {
    this.busy = true
    let answered = false
    const rpc = {
      type,
      command,
      respond: (response: object | undefined, error?: Error) => {
        if (answered || this.closed) return
        answered = true
        this.socket.write(encodeResponse(type, error ? undefined : response, error?.message ?? ''))
        this.finishRequest()
      },
    } as RPC & { reader?: PassThrough }

    if (type === RPCType.InstallSnapshot) {
      const size = (command as { Size: number }).Size
      const sink = new PassThrough({ highWaterMark: 256 * 1024 })
      rpc.reader = sink
      this.snapshotSink = sink
      this.snapshotLeft = size
      if (size === 0) sink.end()
      else {
        const buffered = this.reader.take(size)
        if (buffered.length > 0) this.snapshotBytes(buffered)
      }
    }

    const heartbeat = type === RPCType.AppendEntries && isHeartbeat(command as AppendEntriesRequest)
    const handler = (heartbeat ? this.host.heartbeatHandler() : undefined) ?? this.host.consumer()
    if (handler === undefined) {
      rpc.respond(undefined, new Error('transport has no consumer'))
      return
    }
    try {
      handler(rpc)
    } catch (err) {
      rpc.respond(undefined, err as Error)
    }
  }

  private finishRequest(): void {
    // Raft answered before reading all snapshot data: the rest is read and dropped.
    if (this.snapshotSink !== undefined) {
      if (this.snapshotLeft > 0) this.snapshotSink.destroy()
      this.snapshotSink = undefined
      this.socket.resume()
    }
    this.busy = false
    this.pump()
  }
}
