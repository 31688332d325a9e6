import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { isIPv4 } from 'node:net'
import { MAX_PACKET_BYTES } from '../constants.js'
import { UnreachableError } from '../errors.js'
import { splitHostPort, type Stream, type Transport, type TransportHandlers } from './transport.js'

/** Options of {@link NetTransport}. */
export interface NetTransportOptions {
  /** IP to bind (default 127.0.0.1). */
  bindAddr?: string
  /** Port for both UDP and TCP; 0 picks a free one (default 0). */
  bindPort?: number
}

/** A TCP socket as a {@link Stream}. */
class SocketStream implements Stream {
  private readonly chunks: Buffer[] = []
  private waiting: ((b: Buffer | null) => void) | undefined
  private ended = false

  constructor(private readonly socket: Socket, readonly remote: string) {
    socket.on('data', (d: Buffer) => {
      if (this.waiting !== undefined) {
        const w = this.waiting
        this.waiting = undefined
        w(d)
      } else this.chunks.push(d)
    })
    const end = (): void => {
      this.ended = true
      const w = this.waiting
      this.waiting = undefined
      w?.(null)
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
  }

  write(data: Buffer): void {
    if (!this.ended) this.socket.write(data)
  }

  read(): Promise<Buffer | null> {
    const c = this.chunks.shift()
    if (c !== undefined) return Promise.resolve(c)
    if (this.ended) return Promise.resolve(null)
    return new Promise((resolve) => { this.waiting = resolve })
  }

  close(): void {
    this.socket.end()
    this.socket.destroySoon()
    this.ended = true
    const w = this.waiting
    this.waiting = undefined
    w?.(null)
  }
}

/**
 * UDP packets and TCP streams on one IP and port, as memberlist's NetTransport. Bind port 0
 * picks a port free for TCP and then binds UDP to the same number.
 */
export class NetTransport implements Transport {
  private udp: UdpSocket | undefined
  private tcp: Server | undefined
  private port = 0
  private readonly bindAddr: string
  private readonly sockets = new Set<Socket>()
  private stopped = false

  constructor(private readonly options: NetTransportOptions = {}) {
    this.bindAddr = options.bindAddr ?? '127.0.0.1'
  }

  async start(handlers: TransportHandlers): Promise<void> {
    const wanted = this.options.bindPort ?? 0
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bind(wanted, handlers)
        return
      } catch (err) {
        await this.closeSockets()
        if (wanted !== 0 || attempt >= 10) throw err
      }
    }
  }

  private async bind(port: number, handlers: TransportHandlers): Promise<void> {
    const tcp = createServer({ noDelay: true }, (socket) => {
      this.track(socket)
      handlers.stream(new SocketStream(socket, `${socket.remoteAddress}:${socket.remotePort}`))
    })
    this.tcp = tcp
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(port, this.bindAddr, () => { tcp.off('error', reject); resolve() })
    })
    const bound = tcp.address()
    if (bound === null || typeof bound === 'string') throw new Error('tcp listener has no port')
    this.port = bound.port
    const udp = createSocket({ type: isIPv4(this.bindAddr) ? 'udp4' : 'udp6', recvBufferSize: 2 * 1024 * 1024 })
    this.udp = udp
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(this.port, this.bindAddr, () => { udp.off('error', reject); resolve() })
    })
    udp.on('error', () => {})
    udp.on('message', (msg, rinfo) => {
      if (msg.length > MAX_PACKET_BYTES) return
      handlers.packet(msg, `${rinfo.address}:${rinfo.port}`)
    })
  }

  private track(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
  }

  advertiseAddress(): { ip: string; port: number } {
    return { ip: this.bindAddr, port: this.port }
  }

  sendPacket(buf: Buffer, to: string): void {
    if (this.stopped || this.udp === undefined) return
    const { host, port } = splitHostPort(to)
    this.udp.send(buf, port, host, () => {})
  }

  dial(to: string, timeoutMs: number): Promise<Stream> {
    const { host, port } = splitHostPort(to)
    return new Promise((resolve, reject) => {
      if (this.stopped) { reject(new UnreachableError('transport is stopped')); return }
      const socket = createConnection({ host, port })
      this.track(socket)
      socket.setNoDelay(true)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new UnreachableError(`dial ${to}: timed out after ${timeoutMs} ms`))
      }, Math.max(1, timeoutMs))
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve(new SocketStream(socket, to))
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(new UnreachableError(`dial ${to}: ${err.message}`))
      })
    })
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.closeSockets()
  }

  private async closeSockets(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    const udp = this.udp
    const tcp = this.tcp
    this.udp = undefined
    this.tcp = undefined
    if (udp !== undefined) await new Promise<void>((r) => { try { udp.close(() => r()) } catch { r() } })
    if (tcp !== undefined) await new Promise<void>((r) => tcp.close(() => r()))
  }
}
