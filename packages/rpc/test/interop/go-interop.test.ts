import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Session } from '@nomadic/yamux'
import { ConnPool, dialRpc, RemoteError, RpcType } from '../../src/index.js'
import { readText } from '../helpers.js'
import { buildGoPeer, ensureTsPeer, haveGo, makeCerts, runClient, startServer, type RunningServer } from './peers.js'

const go = haveGo()
const protos = ['direct', 'yamux', 'yamux2'] as const

describe.skipIf(!go)('interop with Go (yamux, net-rpc-msgpackrpc, go-msgpack RawToString)', () => {
  let certs: ReturnType<typeof makeCerts>
  const servers: Record<string, RunningServer> = {}

  beforeAll(async () => {
    buildGoPeer()
    ensureTsPeer()
    certs = makeCerts()
    const tlsServer = certs.file('server')
    const started = await Promise.all([
      startServer('ts'),
      startServer('go'),
      startServer('ts', tlsServer),
      startServer('go', tlsServer),
    ])
    ;[servers['ts'], servers['go'], servers['ts-tls'], servers['go-tls']] = started
  })

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true })
  })

  for (const tls of [false, true]) {
    for (const proto of protos) {
      const suffix = tls ? '-tls' : ''
      const tlsArgs = (): string[] => (tls ? [...certs.file('client'), '-server-name', 'server.global.nomad'] : [])
      it(`Go client → nomadic server, ${proto}${tls ? ' over TLS' : ''}`, async () => {
        const result = await runClient('go', ['-addr', servers[`ts${suffix}`]!.addr, '-proto', proto, '-n', '400', '-conc', '8', '-size', '300', ...tlsArgs()])
        expect(result.stderr).toBe('')
        expect(result.line).toMatchObject({ proto, tls, calls: 400, errors: 0 })
        expect(result.code).toBe(0)
      })
      it(`nomadic client → Go server, ${proto}${tls ? ' over TLS' : ''}`, async () => {
        const result = await runClient('ts', ['-addr', servers[`go${suffix}`]!.addr, '-proto', proto, '-n', '400', '-conc', '8', '-size', '300', ...tlsArgs()])
        expect(result.stderr).toBe('')
        expect(result.line).toMatchObject({ proto, tls, calls: 400, errors: 0 })
        expect(result.code).toBe(0)
      })
    }
  }

  it('moves 1 MiB bodies through 256 KiB windows both ways (flow control with Go yamux)', async () => {
    const [toTs, toGo] = await Promise.all([
      runClient('go', ['-addr', servers['ts']!.addr, '-proto', 'yamux2', '-n', '24', '-conc', '4', '-size', String(1 << 20)]),
      runClient('ts', ['-addr', servers['go']!.addr, '-proto', 'yamux2', '-n', '24', '-conc', '4', '-size', String(1 << 20)]),
    ])
    expect(toTs.line).toMatchObject({ calls: 24, errors: 0 })
    expect(toGo.line).toMatchObject({ calls: 24, errors: 0 })
  })

  it('ConnPool against the Go server: calls, error text, streaming RPC', async () => {
    const pool = new ConnPool()
    try {
      const addr = servers['go']!.addr
      const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => pool.rpc('global', addr, 'Echo.Echo', { Region: 'global', Value: `p${n}`, N: n })))
      expect(replies.map((r) => (r as { Index: number }).Index)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1))
      await expect(pool.rpc('global', addr, 'Echo.Fail', { Value: 'go' })).rejects.toThrow(new RemoteError('rpc error: echo failure: go'))
      await expect(pool.rpc('global', addr, 'Nope.Nope', {})).rejects.toThrow("rpc error: rpc: can't find service Nope.Nope")
      const stream = await pool.streamingRpc('global', addr, 'Echo.Stream')
      stream.end('from nomadic')
      expect(await readText(stream)).toBe('from nomadic')
      await expect(pool.streamingRpc('global', addr, 'Nope')).rejects.toThrow('Unknown rpc method: "Nope"')
      expect(pool.size).toBe(1)
    } finally {
      await pool.shutdown()
    }
  })

  it('pings a Go yamux session and gets the answer', async () => {
    const { conn, socket } = await dialRpc(servers['go']!.addr)
    conn.write(Buffer.from([RpcType.MultiplexV2]))
    const session = Session.client(conn)
    try {
      expect(await session.ping()).toBeGreaterThanOrEqual(0)
    } finally {
      session.close()
      socket.destroy()
    }
  })

  it('nomadic server refuses a Go client whose certificate is of another region', async () => {
    const result = await runClient('go', ['-addr', servers['ts-tls']!.addr, '-proto', 'yamux2', '-n', '10', '-conc', '1', ...certs.file('client-east')])
    expect(result.code).not.toBe(0)
    expect(result.line).toBeUndefined()
  })

  it('nomadic server refuses a Go client whose certificate has no server or client role', async () => {
    const result = await runClient('go', ['-addr', servers['ts-tls']!.addr, '-proto', 'direct', '-n', '10', '-conc', '1', ...certs.file('other-role')])
    expect(result.code).not.toBe(0)
    expect(result.line).toBeUndefined()
  })

  it('nomadic server with TLS refuses a plaintext Go client', async () => {
    const result = await runClient('go', ['-addr', servers['ts-tls']!.addr, '-proto', 'yamux2', '-n', '10', '-conc', '1'])
    expect(result.code).not.toBe(0)
  })

  it('Go server refuses a nomadic client whose certificate is of another region', async () => {
    const result = await runClient('ts', ['-addr', servers['go-tls']!.addr, '-proto', 'yamux2', '-n', '10', '-conc', '1', ...certs.file('client-east')])
    expect(result.code).not.toBe(0)
    expect(result.line).toBeUndefined()
  })

  it('nomadic client refuses a server whose certificate names another role', async () => {
    const other = await startServer('go', certs.file('client'))
    try {
      const result = await runClient('ts', ['-addr', other.addr, '-proto', 'yamux2', '-n', '10', '-conc', '1', ...certs.file('client')])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/server\.global\.nomad|altnames|certificate/i)
    } finally {
      await other.stop()
    }
  })
})
