import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { createAgentCertificate, createCa, createCertificate, TlsConfig, type CertificateAndKey } from '@nomadic/tls'
import { RpcServer, type RpcServerOptions } from '../src/index.js'
import { registerPeerEndpoints } from '../src/bin/peer-endpoints.js'

/** A server with the peer endpoints, listening on 127.0.0.1:0. */
export async function startServer(options: RpcServerOptions = {}): Promise<{ server: RpcServer; addr: string; port: number }> {
  const server = new RpcServer(options)
  registerPeerEndpoints(server.endpoints)
  server.streaming.register('Echo.Stream', (stream) => stream.pipe(stream))
  const { port } = await server.listen(0, '127.0.0.1')
  return { server, addr: `127.0.0.1:${port}`, port }
}

/** A raw TCP connection, optionally from another loopback address (all of 127.0.0.0/8 is local). */
export async function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  await once(socket, 'connect')
  socket.on('error', () => {})
  return socket
}

/** Resolves when the socket is closed by the other side (or errors). */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    socket.once('close', () => resolve())
    socket.resume()
  })
}

/** Resolves with the first `n` bytes the socket receives. */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0)
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c])
      if (got.length >= n) {
        socket.off('data', onData)
        resolve(got.subarray(0, n))
      }
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error(`closed after ${got.length} bytes`)))
  })
}

export interface Certs {
  ca: CertificateAndKey
  server: CertificateAndKey
  client: CertificateAndKey
  clientEast: CertificateAndKey
  otherRole: CertificateAndKey
}

let cached: Certs | undefined

/** One CA and agent certificates, made once per test file. */
export function certs(): Certs {
  if (cached !== undefined) return cached
  const ca = createCa({ keyBits: 2048 })
  cached = {
    ca,
    server: createAgentCertificate({ ca, role: 'server', region: 'global' }),
    client: createAgentCertificate({ ca, role: 'client', region: 'global' }),
    clientEast: createAgentCertificate({ ca, role: 'client', region: 'east' }),
    otherRole: createCertificate({ ca, dnsNames: ['agent.global.nomad'] }),
  }
  return cached
}

/** A TLS configuration of `pair` under the test CA, with hostname verification on. */
export function tlsOf(pair: CertificateAndKey, verifyServerHostname = true): TlsConfig {
  const { ca } = certs()
  return new TlsConfig({ enableRpc: true, verifyServerHostname, ca: ca.cert, cert: pair.cert, key: pair.key })
}

/** Polls `condition` until it holds (at most `timeoutMs`), so tests do not bet on fixed sleeps. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** Everything a stream yields until its end, as text. */
export async function readText(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString()
}
