import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { once } from 'node:events'
import { createServer as createHttpsServer, get as httpsGet } from 'node:https'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { connect, type TLSSocket } from 'node:tls'
import { InvalidRoleOrRegionError, TlsAcceptor, TlsConfig, TlsHandshakeError, outgoingWrapper } from '../src/index.js'
import { usePki, type PairName, type Pki } from './fixtures.js'
import { closed, dial, echo, echoServer, type EchoServer, type Outcome } from './net.js'

let pki: Pki
let server: EchoServer // a server of region global with verifyServerHostname

beforeAll(async () => {
  pki = usePki()
  server = await echoServer(pki.config('global-server', { verifyServerHostname: true }), 'global')
})

afterAll(async () => {
  await server?.close()
})

function refusal(outcome: Outcome): Error {
  if (outcome.ok) throw new Error('the server accepted the connection')
  return outcome.error
}

async function connectAs(name: PairName, target = server): Promise<{ outcome: Outcome; socket: Awaited<ReturnType<typeof dial>> }> {
  const socket = await dial(target.port, pki.config(name, { verifyServerHostname: true }), 'global')
  const outcome = await target.next()
  return { outcome, socket }
}

describe('incoming RPC TLS with the role and region rule', () => {
  it('accepts a client of its own region', async () => {
    const { outcome, socket } = await connectAs('global-client')
    expect(outcome.ok).toBe(true)
    expect(await echo(socket, 'ping')).toBe('ping')
    socket.destroy()
  })

  it('refuses a client of another region with Nomad\'s message', async () => {
    const { outcome, socket } = await connectAs('east-client')
    const error = refusal(outcome)
    expect(error).toBeInstanceOf(InvalidRoleOrRegionError)
    expect(error.message).toBe('invalid role or region for certificate')
    expect(await closed(socket)).toBe('')
  })

  it('accepts a server of another region (federation)', async () => {
    const { outcome, socket } = await connectAs('east-server')
    expect(outcome.ok).toBe(true)
    expect(await echo(socket, 'federated')).toBe('federated')
    socket.destroy()
  })

  it('refuses a certificate from another CA', async () => {
    const { outcome, socket } = await connectAs('other-ca-client')
    const error = refusal(outcome)
    expect(error).toBeInstanceOf(TlsHandshakeError)
    expect((error as TlsHandshakeError).reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(await closed(socket)).toBe('')
  })

  it('refuses an expired certificate', async () => {
    const { outcome, socket } = await connectAs('expired-client')
    const error = refusal(outcome)
    expect(error).toBeInstanceOf(TlsHandshakeError)
    expect((error as TlsHandshakeError).reason).toBe('CERT_HAS_EXPIRED')
    expect(await closed(socket)).toBe('')
  })

  it('refuses a certificate that is not valid yet', async () => {
    const { outcome, socket } = await connectAs('future-client')
    const error = refusal(outcome)
    expect(error).toBeInstanceOf(TlsHandshakeError)
    expect((error as TlsHandshakeError).reason).toBe('CERT_NOT_YET_VALID')
    expect(await closed(socket)).toBe('')
  })

  it('refuses names with fewer than three labels', async () => {
    const { outcome, socket } = await connectAs('two-labels')
    expect(refusal(outcome).message).toBe('invalid role or region for certificate')
    expect(await closed(socket)).toBe('')
  })

  it('refuses names without the nomad suffix', async () => {
    const { outcome, socket } = await connectAs('no-nomad')
    expect(refusal(outcome).message).toBe('invalid role or region for certificate')
    expect(await closed(socket)).toBe('')
  })

  it('falls back to the CN of a certificate without SANs', async () => {
    const good = await connectAs('cn-only-server')
    expect(good.outcome.ok).toBe(true)
    expect(await echo(good.socket, 'cn')).toBe('cn')
    good.socket.destroy()
    const bad = await connectAs('cn-only-east-client')
    expect(refusal(bad.outcome)).toBeInstanceOf(InvalidRoleOrRegionError)
    expect(await closed(bad.socket)).toBe('')
  })

  it('refuses a CLI certificate on RPC', async () => {
    const { outcome, socket } = await connectAs('global-cli')
    expect(refusal(outcome)).toBeInstanceOf(InvalidRoleOrRegionError)
    expect(await closed(socket)).toBe('')
  })

  it('refuses a client without a certificate', async () => {
    const noCert = new TlsConfig({ ca: pki.ca.cert })
    const socket = await dial(server.port, noCert, 'global').catch((error: Error) => error)
    const error = refusal(await server.next())
    expect(error).toBeInstanceOf(TlsHandshakeError)
    if (!(socket instanceof Error)) expect(await closed(socket)).toBe('')
  })

  it('without verifyServerHostname checks only the chain', async () => {
    const lax = await echoServer(pki.config('global-server'), 'global')
    try {
      const { outcome, socket } = await connectAs('east-client', lax)
      expect(outcome.ok).toBe(true)
      expect(await echo(socket, 'lax')).toBe('lax')
      socket.destroy()
      const foreign = await connectAs('other-ca-client', lax)
      expect(refusal(foreign.outcome)).toBeInstanceOf(TlsHandshakeError)
      expect(await closed(foreign.socket)).toBe('')
    } finally {
      await lax.close()
    }
  })
})

describe('HTTPS', () => {
  async function get(port: number, withCertificate: boolean): Promise<string> {
    const pair = pki.pairs['global-client']
    return new Promise((resolve) => {
      const request = httpsGet(
        { host: '127.0.0.1', port, path: '/', agent: false, ca: pki.ca.cert, servername: 'server.global.nomad', ...(withCertificate ? { cert: pair.cert, key: pair.key } : {}) },
        (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () => resolve(body))
        },
      )
      request.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
    })
  }

  it('requires client certificates only with verifyHttpsClient', async () => {
    for (const verifyHttpsClient of [false, true]) {
      const server = createHttpsServer(pki.config('global-server', { verifyHttpsClient }).httpsOptions(), (_request, response) => response.end('ok'))
      server.on('tlsClientError', () => undefined)
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const port = (server.address() as AddressInfo).port
      try {
        expect(await get(port, true)).toBe('ok')
        if (verifyHttpsClient) expect(await get(port, false)).toMatch(/^error /)
        else expect(await get(port, false)).toBe('ok')
      } finally {
        server.close()
        server.closeAllConnections()
      }
    }
  })
})

describe('the RPC upgrade byte', () => {
  it('upgrades after 0x04 even when the ClientHello arrived in the same read', async () => {
    const acceptor = new TlsAcceptor(pki.config('global-server', { verifyServerHostname: true }), { region: 'global' })
    const seen: number[] = []
    const accepted: Promise<TLSSocket> = new Promise((resolve, reject) => {
      const listener = createServer((raw) => {
        listener.close()
        raw.on('error', () => undefined)
        raw.once('readable', () => {
          // give the client's first flight time to arrive behind the type byte
          setTimeout(() => {
            const first = raw.read(1) as Buffer | null
            seen.push(first?.[0] ?? -1, raw.readableLength)
            acceptor.accept(raw, AbortSignal.timeout(10_000)).then(resolve, reject)
          }, 50)
        })
      })
      listener.listen(0, '127.0.0.1', () => {
        const raw = createConnection({ host: '127.0.0.1', port: (listener.address() as AddressInfo).port })
        raw.on('error', () => undefined)
        raw.once('connect', () => {
          raw.write(Buffer.from([0x04]))
          outgoingWrapper(pki.config('global-client', { verifyServerHostname: true }))('global', raw).then(
            (socket) => {
              socket.on('error', () => undefined)
              socket.on('data', () => socket.destroy())
            },
            reject,
          )
        })
      })
    })
    const secure = await accepted
    expect(seen[0]).toBe(0x04)
    expect(seen[1]).toBeGreaterThan(0) // the ClientHello was already buffered on the raw socket
    secure.write('x')
    await new Promise((resolve) => secure.once('close', resolve))
  })
})

describe('many connections', () => {
  it('accepts and refuses in a row, closed from either side, without leaking or crashing', async () => {
    const names: PairName[] = ['global-client', 'east-client', 'east-server', 'other-ca-client', 'expired-client', 'global-cli']
    const busy = await echoServer(pki.config('global-server', { verifyServerHostname: true }), 'global')
    try {
      for (let round = 0; round < 24; round++) {
        const name = names[round % names.length]!
        const socket = await dial(busy.port, pki.config(name), 'global')
        const outcome = await busy.next()
        const expected = name === 'global-client' || name === 'east-server'
        expect(outcome.ok).toBe(expected)
        if (outcome.ok) {
          expect(await echo(socket, `round ${round}`)).toBe(`round ${round}`)
          if (round % 2 === 0) socket.destroy()
          else outcome.socket.destroy()
        }
        await closed(socket)
      }
    } finally {
      await busy.close()
    }
  })
})

describe('minimum TLS version', () => {
  it('refuses a peer below minVersion', async () => {
    const strict = await echoServer(pki.config('global-server', { minVersion: 'tls13' }), 'global')
    try {
      const client = pki.config('global-client')
      const socket = connect({ host: '127.0.0.1', port: strict.port, ...client.outgoingOptions('global'), maxVersion: 'TLSv1.2' })
      // 'on', not 'once': a reset may follow the alert
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.on('error', resolve))
      expect(error.code).toMatch(/PROTOCOL_VERSION/)
      expect(refusal(await strict.next())).toBeInstanceOf(TlsHandshakeError)
      const modern = await dial(strict.port, client, 'global')
      expect(modern.getProtocol()).toBe('TLSv1.3')
      expect((await strict.next()).ok).toBe(true)
      modern.destroy()
    } finally {
      await strict.close()
    }
  })
})

describe('outgoing RPC TLS', () => {
  async function wrapTo(serverName: PairName, clientSwitches: { verifyServerHostname?: boolean }, region = 'global'): Promise<unknown> {
    const target = await echoServer(pki.config(serverName), 'global')
    try {
      const socket = await dial(target.port, pki.config('global-client', clientSwitches), region)
      const outcome = await target.next()
      expect(outcome.ok).toBe(true)
      expect(socket.servername).toBe(`server.${region}.nomad`)
      if (outcome.ok) expect(outcome.socket.servername).toBe(`server.${region}.nomad`)
      expect(await echo(socket, 'out')).toBe('out')
      socket.destroy()
      return 'connected'
    } catch (error) {
      return error
    } finally {
      await target.close()
    }
  }

  it('with verifyServerHostname requires server.<region>.nomad in the server certificate', async () => {
    expect(await wrapTo('global-server', { verifyServerHostname: true })).toBe('connected')
    expect(await wrapTo('east-server', { verifyServerHostname: true }, 'east')).toBe('connected')
    const wrongRegion = await wrapTo('east-server', { verifyServerHostname: true }, 'global')
    expect(wrongRegion).toBeInstanceOf(TlsHandshakeError)
    expect((wrongRegion as TlsHandshakeError).reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    const clientCert = await wrapTo('global-client', { verifyServerHostname: true })
    expect((clientCert as TlsHandshakeError).reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('without verifyServerHostname verifies the chain only', async () => {
    expect(await wrapTo('east-server', {}, 'global')).toBe('connected')
    expect(await wrapTo('global-client', {}, 'global')).toBe('connected')
    const foreign = await wrapTo('other-ca-server', {}, 'global')
    expect(foreign).toBeInstanceOf(TlsHandshakeError)
    expect((foreign as TlsHandshakeError).reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    const expired = await wrapTo('expired-server', {}, 'global')
    expect((expired as TlsHandshakeError).reason).toBe('CERT_HAS_EXPIRED')
  })

  it('honours an aborted signal', async () => {
    const raw = createConnection({ host: '127.0.0.1', port: server.port })
    raw.on('error', () => undefined)
    await once(raw, 'connect')
    const controller = new AbortController()
    const pending = outgoingWrapper(pki.config('global-client'))('global', raw, controller.signal)
    controller.abort(new Error('gave up'))
    await expect(pending).rejects.toThrow('gave up')
    expect(raw.destroyed).toBe(true)
    // the server sees the connection go away mid-handshake
    expect(refusal(await server.next())).toBeInstanceOf(TlsHandshakeError)
  })
})
