/**
 * One outgoing connection of the network transport: writes request frames and matches the
 * responses, which arrive in request order (two msgpack values each: the error string, then the
 * response struct or nil).
 */
import type { Duplex } from 'node:stream'
import type { Clock, Timer } from '@nomadic/runtime'
import { RemoteError, TimeoutError, UnreachableError } from '../errors.js'
import type { RPCType } from '../types.js'
import { FrameReader } from './wire-reader.js'
import { MESSAGE_KINDS, readMessage, wireDecodeOptions } from './wire.js'

interface Waiter {
  type: RPCType
  /** The error string, once it has arrived. */
  error: string | undefined
  timer: Timer | undefined
  resolve: (response: object | undefined) => void
  reject: (err: Error) => void
}

/** A connection this server opened to a peer: requests out, responses matched in order. */
export class PeerConnection {
  private readonly reader: FrameReader
  private readonly waiters: Waiter[] = []
  private failure: Error | undefined

  constructor(
    readonly target: string,
    readonly socket: Duplex,
    private readonly clock: Clock,
    maxMessageBytes: number,
  ) {
    this.reader = new FrameReader(wireDecodeOptions(), maxMessageBytes)
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk)
      this.drain()
    })
    socket.on('error', (err) => this.fail(new UnreachableError(target, `connection to ${target} failed: ${err.message}`)))
    socket.on('close', () => this.fail(new UnreachableError(target, `connection to ${target} closed`)))
  }

  /** False once the connection failed or was closed. */
  get usable(): boolean {
    return this.failure === undefined
  }

  /** Requests sent whose responses have not arrived. */
  get inFlight(): number {
    return this.waiters.length
  }

  /**
   * Writes a request frame and resolves with its response (undefined when the peer sent nil).
   * A response carrying an error string rejects with {@link RemoteError}; the connection stays
   * usable. Anything else that fails closes the connection.
   */
  call(type: RPCType, frame: Buffer | Buffer[], timeoutMs: number, signal?: AbortSignal): Promise<object | undefined> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { type, error: undefined, timer: undefined, resolve, reject }
      if (timeoutMs > 0) {
        waiter.timer = this.clock.setTimeout(() => {
          this.fail(new TimeoutError(`i/o timeout waiting for ${this.target}`))
        }, timeoutMs)
      }
      if (signal) {
        if (signal.aborted) {
          this.fail(new TimeoutError('rpc aborted'))
          reject(this.failure)
          return
        }
        const onAbort = (): void => this.fail(new TimeoutError('rpc aborted'))
        signal.addEventListener('abort', onAbort, { once: true })
        const settle = <T>(fn: (v: T) => void) => (v: T): void => {
          signal.removeEventListener('abort', onAbort)
          fn(v)
        }
        waiter.resolve = settle(resolve)
        waiter.reject = settle(reject)
      }
      this.waiters.push(waiter)
      if (Array.isArray(frame)) for (const f of frame) this.socket.write(f)
      else this.socket.write(frame)
    })
  }

  /** Settles the oldest waiters whose responses are complete. */
  private drain(): void {
    try {
      while (this.waiters.length > 0) {
        const w = this.waiters[0]!
        if (w.error === undefined) {
          const v = this.reader.readValue()
          if (v === undefined) return
          w.error = typeof v.value === 'string' ? v.value : Buffer.isBuffer(v.value) ? v.value.toString('utf8') : ''
          if (v.value !== null && typeof v.value !== 'string' && !Buffer.isBuffer(v.value)) {
            throw new Error('response error field is not a string')
          }
        }
        const v = this.reader.readValue()
        if (v === undefined) return
        this.waiters.shift()
        w.timer?.cancel()
        if (w.error !== '') {
          w.reject(new RemoteError(w.error))
          continue
        }
        w.resolve(v.value === null ? undefined : readMessage(MESSAGE_KINDS[w.type].response, v.value))
      }
      if (this.reader.buffered > 0) throw new Error(`${this.reader.buffered} unexpected bytes`)
    } catch (err) {
      this.fail(new UnreachableError(this.target, `bad response from ${this.target}: ${(err as Error).message}`))
    }
  }

  /** Closes the connection and rejects everything in flight with `err`. */
  fail(err: Error): void {
    if (this.failure === undefined) this.failure = err
    this.socket.destroy()
    const waiters = this.waiters.splice(0)
    for (const w of waiters) {
      w.timer?.cancel()
      w.reject(this.failure)
    }
  }
}
