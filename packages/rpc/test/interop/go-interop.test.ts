import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
