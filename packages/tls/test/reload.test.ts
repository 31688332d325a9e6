import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { X509Certificate } from 'node:crypto'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { beforeAll, describe, expect, it } from 'vitest'
import { TlsConfig, reloadTlsServer, shouldReloadRpcConnections } from '../src/index.js'
import { usePki, type PairName, type Pki } from './fixtures.js'
import { dial, echo, echoServer } from './net.js'

let pki: Pki

beforeAll(async () => {
  pki = usePki()
})

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

describe('reloading a running tls.Server', () => {
  it('new connections see the new certificate while an open one keeps working', async () => {
    const first = pki.config('global-server')
    const second = pki.config('global-server-2')
    const server = createServer(first.incomingOptions(), (socket) => {
      socket.on('error', () => undefined)
      socket.pipe(socket)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const client = pki.config('global-client', { verifyServerHostname: true })
    const open = async (): Promise<TLSSocket> => {
      const socket = connect({ host: '127.0.0.1', port, ...client.outgoingOptions('global') })
      socket.on('error', () => undefined)
      await once(socket, 'secureConnect')
      return socket
    }
    try {
      const before = await open()
      expect(before.getPeerX509Certificate()?.fingerprint256).toBe(fingerprintOf(pki.pairs['global-server']!.cert))
      expect(await echo(before, 'one')).toBe('one')

      reloadTlsServer(server, second)
      expect(server.listening).toBe(true)

      const after = await open()
      expect(after.getPeerX509Certificate()?.fingerprint256).toBe(fingerprintOf(pki.pairs['global-server-2']!.cert))
      expect(await echo(after, 'two')).toBe('two')
      // the connection made before the reload still carries traffic, with the old certificate
      expect(await echo(before, 'three')).toBe('three')
      before.destroy()
      after.destroy()
    } finally {
      server.close()
    }
  })
})

describe('TlsAcceptor.reload', () => {
  it('swaps certificates and the peer rule for later handshakes only', async () => {
    const server = await echoServer(pki.config('global-server', { verifyServerHostname: true }), 'global')
    try {
      const client = pki.config('global-client', { verifyServerHostname: true })
      const before = await dial(server.port, client, 'global')
      expect((await server.next()).ok).toBe(true)

      server.acceptor.reload(pki.config('global-server-2', { verifyServerHostname: false }))
      const after = await dial(server.port, client, 'global')
      expect((await server.next()).ok).toBe(true)
      expect(after.getPeerX509Certificate()?.fingerprint256).toBe(fingerprintOf(pki.pairs['global-server-2']!.cert))
      // verifyServerHostname is now off on the server: a client of another region gets in
      const east = await dial(server.port, pki.config('east-client'), 'global')
      expect((await server.next()).ok).toBe(true)

      expect(await echo(before, 'still here')).toBe('still here')
      expect(await echo(after, 'new')).toBe('new')
      for (const socket of [before, after, east]) socket.destroy()
    } finally {
      await server.close()
    }
  })
})

describe('shouldReloadRpcConnections', () => {
  const make = (name: PairName, enableRpc = true, ca = pki.ca.cert): TlsConfig => pki.config(name, { enableRpc }, ca)

  it('is false for equal content, whatever the object', () => {
    expect(shouldReloadRpcConnections(make('global-server'), make('global-server'))).toBe(false)
    expect(shouldReloadRpcConnections(undefined, undefined)).toBe(false)
  })

  it('is true when the certificate and key change', () => {
    expect(shouldReloadRpcConnections(make('global-server'), make('global-server-2'))).toBe(true)
  })

  it('is true when the CA changes', () => {
    const withBundle = make('global-server', true, pki.ca.cert + pki.pairs['other-ca']!.cert)
    expect(shouldReloadRpcConnections(make('global-server'), withBundle)).toBe(true)
  })

  it('is true when only the key text changes', () => {
    const pair = pki.pairs['global-server']!
    const a = new TlsConfig({ ca: pki.ca.cert, cert: pair.cert, key: pair.key, enableRpc: true })
    const b = new TlsConfig({ ca: pki.ca.cert, cert: pair.cert, key: pair.key.replace(/\n/g, '\r\n'), enableRpc: true })
    expect(shouldReloadRpcConnections(a, b)).toBe(true)
  })

  it('is true when enableRpc flips', () => {
    expect(shouldReloadRpcConnections(make('global-server', true), make('global-server', false))).toBe(true)
  })

  it('is true when TLS appears or disappears', () => {
    expect(shouldReloadRpcConnections(undefined, make('global-server'))).toBe(true)
    expect(shouldReloadRpcConnections(make('global-server'), undefined)).toBe(true)
  })
})
