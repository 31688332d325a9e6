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
  try {
    const signals = options.signal === undefined ? controller.signal : AbortSignal.any([controller.signal, options.signal])
    const conn = await options.tlsWrap(options.region ?? 'global', socket, signals)
    conn.on('close', () => socket.destroy())
    return { conn, socket }
  } catch (error) {
    socket.destroy()
    throw error
  } finally {
    timer.cancel()
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
