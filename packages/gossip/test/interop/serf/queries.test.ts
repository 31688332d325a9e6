import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetTransport, Serf, type ConflictVote, type SerfEvent } from '../../../src/index.js'
import { haveGo } from '../procs.js'

// Queries with serf's full parameters across implementations: node and tag filters, acks, and
// answers relayed around a lost direct path. Both sides use the LAN profile: its retransmit
// multiplier (4) sends a query to every one of three peers at once, where Local's (2) can leave
// a node to second-hand gossip that may, by chance, never reach it. Go agents are serfagent (Debian's serf 0.9.4)
// processes; nomadic agents run in this process on real UDP/TCP sockets.
const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', 'bin', 'serfagent')
const goEnv = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'nomadic-gocache'), GOFLAGS: '' }

/** A Go agent: commands on stdin, one JSON line back per command. */
class GoAgent {
  private readonly lines: string[] = []
  private waiting: ((line: string) => void) | undefined
  gossip = ''

  constructor(readonly name: string, readonly proc: ChildProcess) {
    let buf = ''
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (this.waiting !== undefined) {
          const w = this.waiting
          this.waiting = undefined
          w(line)
        } else this.lines.push(line)
      }
    })
  }

  next<T>(timeoutMs = 15_000): Promise<T> {
    const ready = this.lines.shift()
    if (ready !== undefined) return Promise.resolve(JSON.parse(ready) as T)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no answer`)), timeoutMs)
      this.waiting = (line) => { clearTimeout(t); resolve(JSON.parse(line) as T) }
    })
  }

  async command<T>(cmd: string): Promise<T> {
    this.proc.stdin!.write(`${cmd}\n`)
    return this.next<T>()
  }
}

async function startGo(name: string, tags: Record<string, string>, joinAddr?: string): Promise<GoAgent> {
  const argv = ['-name', name, '-bind', '127.0.0.1:0', ...Object.entries(tags).flatMap(([k, v]) => ['-tag', `${k}=${v}`])]
  if (joinAddr !== undefined) argv.push('-join', joinAddr)
  const agent = new GoAgent(name, spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] }))
  agent.gossip = (await agent.next<{ gossip: string }>()).gossip
  return agent
}

async function startTs(name: string, tags: Record<string, string>, joinAddr: string): Promise<Serf> {
  const s = await Serf.create({ name, transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'lan', tags })
  s.on('event', (e: SerfEvent) => { if (e.type === 'query') e.query.respond(Buffer.from(`ts:${name}:${e.query.payload.toString()}`)) })
  await s.join([joinAddr])
  return s
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

interface GoQueryResult { acks: string[]; responses: Record<string, string> }

describe.skipIf(!haveGo())('queries across Go serf and nomadic', () => {
  const go: GoAgent[] = []
  const ts: Serf[] = []

  beforeAll(async () => {
    mkdirSync(dirname(bin), { recursive: true })
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(here, 'serfagent'), env: goEnv, stdio: ['ignore', 'ignore', 'pipe'] })
    go.push(await startGo('g1', { role: 'server' }))
    ts.push(await startTs('t1', { role: 'server' }, go[0]!.gossip))
    go.push(await startGo('g2', { role: 'client' }, go[0]!.gossip))
    ts.push(await startTs('t2', { role: 'client' }, go[0]!.gossip))
    await until('four alive everywhere', async () => {
      for (const s of ts) if (s.members().filter((m) => m.status === 'alive').length !== 4) return false
      for (const g of go) {
        const ms = await g.command<Array<{ status: string }>>('members')
        if (ms.filter((m) => m.status === 'alive').length !== 4) return false
      }
      return true
    })
  }, 180_000)

  afterAll(async () => {
    for (const s of ts) await s.shutdown()
    for (const g of go) g.proc.kill('SIGKILL')
  })

  it('a nomadic query with a tag filter and acks reaches the matching Go and nomadic agents only', async () => {
    const q = ts[0]!.query('who', Buffer.from('x'), { filterTags: { role: '^server$' }, requestAck: true, timeout: 2_000 })
    await q.done
    expect(Object.fromEntries(q.responses)).toEqual({ g1: Buffer.from('go:g1:x'), t1: Buffer.from('ts:t1:x') })
    expect([...q.acks].sort()).toEqual(['g1', 't1'])
  })

  it('a nomadic query with a node filter', async () => {
    const q = ts[1]!.query('who', Buffer.from('n'), { filterNodes: ['g2', 't2'], timeout: 2_000 })
    await q.done
    expect([...q.responses.keys()].sort()).toEqual(['g2', 't2'])
  })

  it('a Go query with a tag filter and acks gets nomadic answers', async () => {
    const r = await go[0]!.command<GoQueryResult>('query who y ack tag=role:^client timeout=2000')
    expect(r.responses).toEqual({ g2: 'go:g2:y', t2: 'ts:t2:y' })
    expect(r.acks.sort()).toEqual(['g2', 't2'])
  })

  it('with a relay factor, a nomadic answer whose direct path is lost still reaches Go, once', async () => {
    // Drop t2's direct query responses to g1 ([8 user][5 query response] packets).
    const g1 = go[0]!.gossip
    const transport = (ts[1]!.memberlist as unknown as { transport: NetTransport }).transport
    const send = transport.sendPacket.bind(transport)
    let dropped = 0
    transport.sendPacket = (buf: Buffer, to: string): void => {
      if (to === g1 && buf[0] === 8 && buf[1] === 5) { dropped++; return }
      send(buf, to)
    }
    try {
      const r = await go[0]!.command<GoQueryResult>('query who z ack relay=2 timeout=2000')
      expect(dropped).toBeGreaterThan(0)
      expect(r.responses).toEqual({ g1: 'go:g1:z', g2: 'go:g2:z', t1: 'ts:t1:z', t2: 'ts:t2:z' })
      expect(r.acks.sort()).toEqual(['g1', 'g2', 't1', 't2'])
    } finally {
      transport.sendPacket = send
    }
  })

  it('name conflict: a nomadic newcomer taking a Go agent\'s name loses the vote and shuts down', async () => {
    let vote: ConflictVote | undefined
    const twin = await Serf.create({ name: 'g2', transport: new NetTransport({ bindAddr: '127.0.0.1' }), profile: 'lan', onNameConflictLost: (v) => { vote = v } })
    try {
      await twin.join([go[0]!.gossip]).catch(() => 0)
      await until('the newcomer to lose the vote', () => vote !== undefined, 15_000)
      expect(twin.memberlist.isShutdown).toBe(true)
      // g1 (Go), t1 and t2 answered, all naming the original's address; g2 stays silent about itself.
      expect(vote).toEqual({ responses: 3, matching: 0, won: false })
      // The original Go g2 is still g2, at its own address, for everyone.
      const [host, port] = go[1]!.gossip.split(':')
      for (const s of ts) {
        const m = s.members().find((x) => x.name === 'g2')
        expect({ addr: m?.addr, port: m?.port, status: m?.status }).toEqual({ addr: host, port: Number(port), status: 'alive' })
      }
      const seen = await go[0]!.command<Array<{ name: string; status: string }>>('members')
      expect(seen.find((m) => m.name === 'g2')?.status).toBe('alive')
    } finally {
      await twin.shutdown()
    }
  })
})
