/**
 * The default stream layer: plain TCP, as hashicorp's TCPStreamLayer.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { RaftError } from '../errors.js'
import type { ServerAddress } from '../types.js'
import type { StreamLayer } from './net-stream.js'
import { NetworkTransport, type NetworkTransportOptions } from './net.js'

/** The bind address cannot be told to peers (0.0.0.0 or :: without an advertise address). */
export class NotAdvertisableError extends RaftError {
  constructor() {
    super('RAFT_NOT_ADVERTISABLE', 'local bind address is not advertisable')
  }
}

/** Splits `host:port` and `[v6]:port`. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address)
  if (!m) throw new RangeError(`address ${address} is not host:port`)
  const port = Number(m[2])
  if (port > 65535) throw new RangeError(`address ${address} has a port beyond 65535`)
  return { host: m[1]!, port }
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Options of {@link TcpStreamLayer.listen}. */
export interface TcpStreamLayerOptions {
  /** The address peers should dial, when it differs from the bound one. */
  advertise?: ServerAddress
}

/** Listens on a TCP port and dials peers over TCP (Nagle off, as Go's default). */
export class TcpStreamLayer implements StreamLayer {
  private onConnection: ((c: Duplex) => void) | undefined
  private closed = false

  private constructor(
    private readonly server: Server,
    private readonly advertised: ServerAddress,
  ) {
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true)
      if (this.onConnection === undefined || this.closed) socket.destroy()
      else this.onConnection(socket)
    })
  }

  /** Binds `host:port` (port 0 picks a free one; `addr()` reports the real one). */
  static async listen(bind: string, options: TcpStreamLayerOptions = {}): Promise<TcpStreamLayer> {
    const { host, port } = splitHostPort(bind)
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const bound = server.address()
    if (bound === null || typeof bound === 'string') {
      server.close()
      throw new RaftError('RAFT_NOT_TCP', 'local address is not a TCP address')
    }
    const advertised = options.advertise ?? joinHostPort(bound.address, bound.port)
    const advertisedHost = splitHostPort(advertised).host
    if (advertisedHost === '0.0.0.0' || advertisedHost === '::' || advertisedHost === '') {
      server.close()
      throw new NotAdvertisableError()
    }
    return new TcpStreamLayer(server, advertised)
  }

  addr(): ServerAddress {
    return this.advertised
  }

  accept(onConnection: (connection: Duplex) => void): void {
    this.onConnection = onConnection
  }

  dial(address: ServerAddress, timeoutMs: number, signal?: AbortSignal): Promise<Duplex> {
    const { host, port } = splitHostPort(address)
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true })
      let timer: NodeJS.Timeout | undefined
      const fail = (err: Error): void => {
        cleanup()
        socket.destroy()
        reject(err)
      }
      const onError = (err: Error): void => fail(err)
      const onAbort = (): void => fail(new Error('dial aborted'))
      const cleanup = (): void => {
        if (timer) clearTimeout(timer)
        socket.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      socket.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
      // The dial deadline is I/O on a real socket, so it uses the socket's own clock.
      if (timeoutMs > 0) timer = setTimeout(() => fail(new Error(`dial ${address}: i/o timeout`)), timeoutMs)
      socket.once('connect', () => {
        cleanup()
        resolve(socket)
      })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * A NetworkTransport on TCP, as hashicorp's NewTCPTransport.
 *
 * @example
 * const transport = await createTcpTransport('127.0.0.1:7001')
 */
export async function createTcpTransport(
  bind: string,
  options: Omit<NetworkTransportOptions, 'stream'> & TcpStreamLayerOptions = {},
): Promise<NetworkTransport> {
  const stream = await TcpStreamLayer.listen(bind, { advertise: options.advertise })
  return new NetworkTransport({ ...options, stream })
}
