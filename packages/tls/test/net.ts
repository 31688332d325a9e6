// Loopback plumbing for handshake tests: an RPC-style listener that upgrades every accepted
// connection with a TlsAcceptor and echoes, and a client that dials and wraps with a RegionWrapper.
import { once } from 'node:events'
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { TlsAcceptor, outgoingWrapper, type TlsConfig } from '../src/index.js'

export type Outcome = { ok: true; socket: TLSSocket } | { ok: false; error: Error }

export interface EchoServer {
  port: number
  acceptor: TlsAcceptor
  /** The outcome of the next accepted connection's handshake. */
  next(): Promise<Outcome>
  close(): Promise<void>
}

export async function echoServer(config: TlsConfig, region: string): Promise<EchoServer> {
  const acceptor = new TlsAcceptor(config, { region })
  const outcomes: Outcome[] = []
  const waiters: ((outcome: Outcome) => void)[] = []
  const sockets = new Set<Socket | TLSSocket>()
  const deliver = (outcome: Outcome): void => {
    const waiter = waiters.shift()
    if (waiter) waiter(outcome)
    else outcomes.push(outcome)
  }
  const server: Server = createServer((raw) => {
    sockets.add(raw)
    raw.on('error', () => undefined)
    acceptor.accept(raw, AbortSignal.timeout(10_000)).then(
      (socket) => {
        sockets.delete(raw) // the TLS socket owns the connection now
        sockets.add(socket)
        socket.on('error', () => undefined)
        socket.pipe(socket)
        deliver({ ok: true, socket })
      },
      (error: Error) => deliver({ ok: false, error }),
    )
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    acceptor,
    next: () => {
      const ready = outcomes.shift()
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve))
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** Dials `port` and upgrades as a client of `config` towards `region`. */
export async function dial(port: number, config: TlsConfig, region: string): Promise<TLSSocket> {
  const raw = createConnection({ host: '127.0.0.1', port })
  raw.on('error', () => undefined)
  await once(raw, 'connect')
  const socket = await outgoingWrapper(config)(region, raw, AbortSignal.timeout(10_000))
  socket.on('error', () => undefined)
  return socket
}

/** Writes `text` and waits for it to come back; rejects if the connection ends first. */
export function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = ''
    const onData = (chunk: Buffer): void => {
      received += chunk.toString()
      if (received.length >= text.length) {
        cleanup()
        resolve(received)
      }
    }
    const onEnd = (): void => {
      cleanup()
      reject(new Error(`connection ended after ${JSON.stringify(received)}`))
    }
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('close', onEnd)
      socket.off('end', onEnd)
    }
    socket.on('data', onData)
    socket.once('close', onEnd)
    socket.once('end', onEnd)
    if (socket.destroyed) onEnd()
    else socket.write(text)
  })
}

/**
 * Writes a probe and waits until the peer closes the connection; returns what came back before
 * the close (nothing, when the peer refused us).
 */
export async function closed(socket: TLSSocket): Promise<string> {
  let received = ''
  if (socket.destroyed) return received
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  // not events.once: that rejects on 'error', and a refused peer may send an alert first
  const done = new Promise((resolve) => socket.once('close', resolve))
  socket.write('probe')
  await done
  return received
}
