// Interop with Go's crypto/tls configured as Nomad configures RPC TLS (test/interop/go/peer.go):
// Go clients against TlsAcceptor, and outgoingWrapper against a Go server, on certificates made
// by nomadic-tls. Skips only when `go` is not installed (CI installs it).
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidRoleOrRegionError, TlsHandshakeError } from '../../src/index.js'
import { usePki, type PairName, type Pki } from '../fixtures.js'
import { closed, dial, echo, echoServer, type EchoServer } from '../net.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const PEER = join(HERE, 'bin', 'peer')

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

interface Report {
  ok: boolean
  error?: string
  reply?: string
  peer?: string
  serverName?: string
}

/** Runs the Go client once and returns its one-line report. */
function goClient(pki: Pki, cert: PairName | string, port: number, region: string, verifyHostname: boolean): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(PEER, ['client', pki.dir, cert, String(port), region, String(verifyHostname)], (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout) as Report),
    )
  })
}

/** A Go server process: its port and the reports it prints, one per connection. */
class GoServer {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly reports: Report[] = []
  private readonly waiters: ((report: Report) => void)[] = []
  readonly port: Promise<number>

  constructor(pki: Pki, cert: string, region: string) {
    this.child = spawn(PEER, ['server', pki.dir, cert, region])
    const lines = createInterface({ input: this.child.stdout })
    this.port = new Promise((resolve) => {
      lines.once('line', (line) => {
        resolve(Number(line))
        lines.on('line', (next) => {
          const report = JSON.parse(next) as Report
          const waiter = this.waiters.shift()
          if (waiter) waiter(report)
          else this.reports.push(report)
        })
      })
    })
  }

  next(): Promise<Report> {
    const ready = this.reports.shift()
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiters.push(resolve))
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin.end()
    await exited
  }
}

describe.skipIf(!hasGo())('interop with Go crypto/tls (Nomad-style configuration)', () => {
  let pki: Pki
  let server: EchoServer

  beforeAll(async () => {
    mkdirSync(join(HERE, 'bin'), { recursive: true })
    execFileSync('go', ['build', '-o', PEER, join(HERE, 'go', 'peer.go')], {
      env: { ...process.env, GO111MODULE: 'off' },
      stdio: 'ignore',
    })
    pki = usePki()
    server = await echoServer(pki.config('global-server', { verifyServerHostname: true }), 'global')
  })

  afterAll(async () => {
    await server?.close()
  })

  describe('Go clients against TlsAcceptor', () => {
    it('a Go client of our region is accepted', async () => {
      const report = await goClient(pki, 'global-client', server.port, 'global', true)
      expect(report).toMatchObject({ ok: true, reply: 'ping', peer: 'server.global.nomad' })
      const outcome = await server.next()
      expect(outcome.ok).toBe(true)
      if (outcome.ok) expect(outcome.socket.servername).toBe('server.global.nomad')
    })

    it('a Go client of another region is refused with the message', async () => {
      const report = await goClient(pki, 'east-client', server.port, 'global', true)
      expect(report.ok).toBe(false)
      const outcome = await server.next()
      expect(outcome.ok).toBe(false)
      if (!outcome.ok) {
        expect(outcome.error).toBeInstanceOf(InvalidRoleOrRegionError)
        expect(outcome.error.message).toBe('invalid role or region for certificate')
      }
    })

    it('a Go server of another region is accepted', async () => {
      const report = await goClient(pki, 'east-server', server.port, 'global', true)
      expect(report).toMatchObject({ ok: true, reply: 'ping' })
      expect((await server.next()).ok).toBe(true)
    })

    it('a Go client checking the name refuses our server for another region; without the check it connects', async () => {
      const strict = await goClient(pki, 'global-client', server.port, 'east', true)
      expect(strict.ok).toBe(false)
      expect(strict.error).toContain('server.east.nomad')
      expect((await server.next()).ok).toBe(false)
      const lax = await goClient(pki, 'global-client', server.port, 'east', false)
      expect(lax).toMatchObject({ ok: true, reply: 'ping' })
      expect((await server.next()).ok).toBe(true)
    })
  })

  describe('outgoingWrapper against a Go server', () => {
    it('a client of the region is accepted; one of another region is refused by Go with the message', async () => {
      const go = new GoServer(pki, 'global-server', 'global')
      try {
        const port = await go.port
        const good = await dial(port, pki.config('global-client', { verifyServerHostname: true }), 'global')
        expect(await echo(good, 'hello go')).toBe('hello go')
        expect(await go.next()).toMatchObject({ ok: true, peer: 'client.global.nomad', serverName: 'server.global.nomad' })
        good.destroy()

        // Go answers with a bad_certificate alert: depending on timing it ends our handshake
        // or closes the connection right after it
        const bad = await dial(port, pki.config('east-client', { verifyServerHostname: true }), 'global').catch((error: unknown) => error)
        if (bad instanceof TlsHandshakeError) expect(bad.message).toContain('bad certificate')
        else expect(await closed(bad as Awaited<ReturnType<typeof dial>>)).toBe('')
        const refusal = await go.next()
        expect(refusal.ok).toBe(false)
        expect(refusal.error).toContain('invalid role or region for certificate')
      } finally {
        await go.stop()
      }
    })

    it('verifyServerHostname refuses a Go server of the wrong region; chain-only verification accepts it', async () => {
      const go = new GoServer(pki, 'east-server', 'east')
      try {
        const port = await go.port
        const strict = await dial(port, pki.config('global-client', { verifyServerHostname: true }), 'global').catch((error: unknown) => error)
        expect(strict).toBeInstanceOf(TlsHandshakeError)
        expect((strict as TlsHandshakeError).reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
        expect((await go.next()).ok).toBe(false)
        // a server of region east accepts server certificates of any region
        const lax = await dial(port, pki.config('global-server'), 'global')
        expect(await echo(lax, 'federation')).toBe('federation')
        expect((await go.next()).ok).toBe(true)
        lax.destroy()
      } finally {
        await go.stop()
      }
    })
  })
})
