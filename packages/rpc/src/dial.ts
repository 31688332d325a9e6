import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { systemClock, type Clock } from '@nomadic/runtime'
import type { RegionWrapper } from '@nomadic/tls'
import { DEFAULT_DIAL_TIMEOUT_MS, RpcType } from './constants.js'
import { RpcError } from './errors.js'

/** Options of {@link dialRpc}. */
export interface DialOptions {
  /** Upgrade with byte 0x04 and TLS towards `region`'s servers. */
  tlsWrap?: RegionWrapper
  /** Region of the server (TLS server name `server.<region>.nomad`). Default `global`. */
  region?: string
  /** Dial and TLS handshake timeout (10 s). */
  timeoutMs?: number
  signal?: AbortSignal
  clock?: Clock
}

/** A dialed connection: `conn` to write the next RPC type byte on, `socket` the TCP socket under it. */
export interface DialedConn {
  conn: Duplex
  socket: Socket
}

/**
 * Dials `host:port` as Nomad's pool does (TCP keepalive, no delay), and when `tlsWrap` is given,
 * writes byte 0x04 and runs the TLS client handshake. The caller writes the next type byte.
 */
export async function dialRpc(addr: string, options: DialOptions = {}): Promise<DialedConn> {
  const clock = options.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
  const socket = await dialTcp(addr, clock, timeoutMs, options.signal)
  if (options.tlsWrap === undefined) return { conn: socket, socket }
  socket.write(Buffer.from([RpcType.TLS]))
  const controller = new AbortController()
  const timer = clock.setTimeout(() => controller.abort(new RpcError('RPC_HANDSHAKE_TIMEOUT', 'TLS handshake timed out')), timeoutMs)
  const either = eitherSignal(controller.signal, options.signal)
  try {
    const conn = await options.tlsWrap(options.region ?? 'global', socket, either.signal)
    conn.on('close', () => socket.destroy())
    return { conn, socket }
  } catch (error) {
    socket.destroy()
    throw error
  } finally {
    timer.cancel()
    either.dispose()
  }
}

function dialTcp(addr: string, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  const colon = addr.lastIndexOf(':')
  const host = addr.slice(0, colon).replace(/^\[|\]$/g, '')
  const port = Number(addr.slice(colon + 1))
  return new Promise((resolve, reject) => {
    if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      reject(new RpcError('RPC_DIAL', `dial tcp ${addr}: missing or bad port in address`))
      return
    }
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const socket = connect({ host, port, noDelay: true, keepAlive: true })
    const fail = (error: Error): void => {
      cleanup()
      socket.destroy()
      reject(new RpcError('RPC_DIAL', `dial tcp ${addr}: ${error.message}`, { cause: error }))
    }
    const onError = (error: Error): void => fail(error)
    const onAbort = (): void => fail(new Error('operation was canceled'))
    const timer = clock.setTimeout(() => fail(new Error('i/o timeout')), timeoutMs)
    const cleanup = (): void => {
      timer.cancel()
      socket.off('error', onError)
      signal?.removeEventListener('abort', onAbort)
    }
    socket.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => {
      cleanup()
      socket.on('error', () => {})
      resolve(socket)
    })
  })
}

/**
 * A signal that aborts when either does (`AbortSignal.any` arrived only in Node 20.3), and
 * `dispose` to drop the listeners once the operation is over.
 */
export function eitherSignal(a: AbortSignal, b: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  if (b === undefined) return { signal: a, dispose: () => {} }
  const controller = new AbortController()
  const onA = (): void => controller.abort(a.reason)
  const onB = (): void => controller.abort(b.reason)
  if (a.aborted) onA()
  else if (b.aborted) onB()
  a.addEventListener('abort', onA, { once: true })
  b.addEventListener('abort', onB, { once: true })
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener('abort', onA)
      b.removeEventListener('abort', onB)
    },
  }
}
