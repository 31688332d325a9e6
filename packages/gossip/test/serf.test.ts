import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SimSerfCluster } from '../src/testing.js'
import { Keyring, KeyManager, LamportClock, serfWire, SerfMessageType, type SerfEvent } from '../src/index.js'

const hint = (seed: number): string => `seed ${seed}; replay: SEED=${seed} npx vitest run --project gossip -t serf`

describe('serf wire', () => {
  it('matches the golden join vector of serf 0.9.4', () => {
    expect(serfWire.encodeJoin({ ltime: 5, node: 'a' }).toString('hex')).toBe('0182a54c54696d6505a44e6f6465a161')
  })

  it('round-trips push-pull state with nil event slots', () => {
    const pp = {
      ltime: 9, statusLTimes: new Map([['a', 3]]), leftMembers: ['b'], eventLTime: 4,
      events: [null, { ltime: 1, events: [{ name: 'deploy', payload: Buffer.from('x') }] }], queryLTime: 2,
    }
    const raw = serfWire.encodePushPull(pp)
    expect(raw[0]).toBe(SerfMessageType.pushPull)
    expect(serfWire.decodePushPull(serfWire.decodeSerfBody(raw).map)).toEqual(pp)
  })

  it('lamport clocks witness and increment', () => {
    const c = new LamportClock()
    c.witness(5)
    expect(c.time()).toBe(6)
    c.witness(2)
    expect(c.increment()).toBe(7)
  })
})

describe('serf on the simulated network', () => {
  const seed = Number(process.env.SEED ?? 5)

  it('tags, user events (deduplicated), queries and a tag update', async () => {
    const c = new SimSerfCluster({ seed, serf: (i) => ({ tags: { role: i === 0 ? 'leader' : 'worker', id: String(i) } }) })
    try {
      await c.startAll(4, 5_000)
      for (const s of c.nodes) expect(s.members().filter((m) => m.status === 'alive').length, hint(seed)).toBe(4)
      expect(c.nodes[3]!.members().find((m) => m.name === 'node-0')?.tags).toEqual({ role: 'leader', id: '0' })

      const seen = c.nodes.map(() => [] as string[])
      c.nodes.forEach((s, i) => s.on('event', (e: SerfEvent) => { if (e.type === 'user') seen[i]!.push(`${e.name}:${e.payload.toString()}`) }))
      c.nodes[1]!.userEvent('deploy', Buffer.from('v1'))
      await c.run(5_000)
      for (const list of seen) expect(list, hint(seed)).toEqual(['deploy:v1'])

      for (const s of c.nodes) {
        s.on('event', (e: SerfEvent) => { if (e.type === 'query') e.query.respond(Buffer.from(`ack:${s.name}:${e.query.payload.toString()}`)) })
      }
      const q = c.nodes[2]!.query('status', Buffer.from('hi'), { requestAck: true, timeout: 3_000 })
      await c.run(3_500)
      expect(q.finished).toBe(true)
      expect([...q.responses.keys()].sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3'])
      expect(q.responses.get('node-1')!.toString()).toBe('ack:node-1:hi')
      expect(q.acks.size).toBe(4)

      const filtered = c.nodes[0]!.query('status', Buffer.from('f'), { filterTags: { role: '^work' }, timeout: 2_000 })
      await c.run(2_500)
      expect([...filtered.responses.keys()].sort()).toEqual(['node-1', 'node-2', 'node-3'])

      const updated = c.nodes[3]!.setTags({ role: 'worker', id: '3', zone: 'b' })
      await c.run(6_000)
      await updated
      for (const s of c.nodes) expect(s.members().find((m) => m.name === 'node-3')?.tags.zone, hint(seed)).toBe('b')
    } finally {
      await c.shutdown()
    }
  })

  it('leave is seen as left, a crash as failed then reaped; intents before the member are kept', async () => {
    const c = new SimSerfCluster({ seed, serf: () => ({ reconnectTimeout: 60_000, tombstoneTimeout: 60_000, reapInterval: 5_000 }) })
    try {
      await c.startAll(4, 5_000)
      const events: string[] = []
      c.nodes[0]!.on('event', (e: SerfEvent) => { if (e.type !== 'user' && e.type !== 'query') events.push(`${e.type}:${e.members[0]!.name}`) })
      const leaving = c.nodes[3]!.leave()
      await c.run(8_000)
      await leaving
      await c.nodes[3]!.shutdown()
      expect(c.nodes[0]!.members().find((m) => m.name === 'node-3')?.status, hint(seed)).toBe('left')
      expect(events).toContain('member-leave:node-3')

      await c.nodes[2]!.shutdown()
      await c.run(40_000)
      expect(c.nodes[0]!.members().find((m) => m.name === 'node-2')?.status, hint(seed)).toBe('failed')
      expect(events).toContain('member-failed:node-2')
      await c.run(70_000)
      expect(events).toContain('member-reap:node-2')
      expect(events).toContain('member-reap:node-3')
      expect(c.nodes[0]!.members().map((m) => m.name).sort()).toEqual(['node-0', 'node-1'])

      // A leave intent for a node not yet known is buffered and applied when it joins.
      const n0 = c.nodes[0]!
      const raw = serfWire.encodeLeave({ ltime: 1000, node: 'node-9', prune: false })
      ;(n0 as unknown as { notifyMsg(b: Buffer): void }).notifyMsg(raw)
      expect(n0.clock.time()).toBeGreaterThan(1000)
      expect(n0.members().some((m) => m.name === 'node-9')).toBe(false)
      const late = await c.add(9)
      const joined = late.join([c.addresses[0]!])
      await c.run(100)
      await joined
      // The join intent it broadcasts carries a newer Lamport time and wins.
      await c.run(3_000)
      expect(n0.members().find((m) => m.name === 'node-9')?.status, hint(seed)).toBe('alive')
    } finally {
      await c.shutdown()
    }
  }, 60_000)

  it('keyring rotation through internal queries reaches every member', async () => {
    const k1 = Buffer.alloc(32, 1)
    const k2 = Buffer.alloc(32, 2)
    const c = new SimSerfCluster({ seed, serf: () => ({ keyring: new Keyring([k1]) }) })
    try {
      await c.startAll(3, 3_000)
      const km = new KeyManager(c.nodes[1]!)
      const run = async <T>(p: Promise<T>): Promise<T> => { await c.run(5_000); return p }
      const installed = await run(km.installKey(k2.toString('base64')))
      expect(installed.error).toBeUndefined()
      expect(installed.numResp).toBe(3)
      expect((await run(km.useKey(k2.toString('base64')))).error).toBeUndefined()
      expect((await run(km.removeKey(k1.toString('base64')))).error).toBeUndefined()
      const list = await run(km.listKeys())
      expect(list.keys).toEqual({ [k2.toString('base64')]: 3 })
      expect(list.primaryKeys).toEqual({ [k2.toString('base64')]: 3 })
      const bad = await run(km.removeKey(k2.toString('base64')))
      expect(bad.numErr).toBe(3)
      // Still one cluster on the new key.
      await c.run(10_000)
      for (const s of c.nodes) expect(s.members().filter((m) => m.status === 'alive').length).toBe(3)
    } finally {
      await c.shutdown()
    }
  })

  it('restart from a snapshot rejoins the cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossip-snap-'))
    const path = join(dir, 'snapshot')
    const c = new SimSerfCluster({ seed, serf: (i) => (i === 2 ? { snapshotPath: path, rejoinAfterLeave: true } : {}) })
    try {
      await c.startAll(3, 3_000)
      await c.run(1_000)
      expect(readFileSync(path, 'utf8')).toContain('alive: node-0 10.0.0.1:7946')
      await c.nodes[2]!.shutdown()
      await c.run(30_000)
      // Restart node 2 with no join: it rejoins from its snapshot.
      const again = await c.add(2)
      await c.run(5_000)
      expect(again.members().filter((m) => m.status === 'alive').length, hint(seed)).toBe(3)
      expect(c.nodes[0]!.members().find((m) => m.name === 'node-2')?.status).toBe('alive')
    } finally {
      await c.shutdown()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('serf ordering, deduplication and force-leave', () => {
  const seed = Number(process.env.SEED ?? 6)

  it('stale intents are ignored, duplicate events delivered once, the event iterator sees them', async () => {
    const c = new SimSerfCluster({ seed })
    const ac = new AbortController()
    try {
      await c.startAll(3, 3_000)
      const s = c.nodes[0]!
      const deliver = (b: Buffer): void => (s as unknown as { notifyMsg(b: Buffer): void }).notifyMsg(b)
      const seen: string[] = []
      const iterated = (async () => {
        for await (const e of s.events(ac.signal)) if (e.type === 'user') seen.push(`${e.ltime}:${e.name}`)
      })()
      const ev = serfWire.encodeUserEvent({ ltime: 40, name: 'once', payload: Buffer.from('p'), cc: false })
      deliver(ev)
      deliver(ev)
      deliver(serfWire.encodeUserEvent({ ltime: 40, name: 'other', payload: Buffer.from('p'), cc: false }))
      expect(s.eventClock.time()).toBe(41)
      // A leave intent older than what we know of node-1 changes nothing.
      deliver(serfWire.encodeLeave({ ltime: 0, node: 'node-1', prune: false }))
      expect(s.members().find((m) => m.name === 'node-1')?.status).toBe('alive')
      // A newer one marks it leaving; a still newer join brings it back.
      const t = s.clock.time()
      deliver(serfWire.encodeLeave({ ltime: t + 5, node: 'node-1', prune: false }))
      expect(s.members().find((m) => m.name === 'node-1')?.status).toBe('leaving')
      deliver(serfWire.encodeJoin({ ltime: t + 6, node: 'node-1' }))
      expect(s.members().find((m) => m.name === 'node-1')?.status).toBe('alive')
      // Garbage is dropped.
      deliver(Buffer.from([SerfMessageType.userEvent, 0xc1]))
      deliver(Buffer.from([77, 1, 2]))
      await c.run(10)
      ac.abort()
      await iterated
      expect(seen).toEqual(['40:once', '40:other'])
    } finally {
      await c.shutdown()
    }
  })

  it('removeFailedNode marks a failed node left, and prune forgets it', async () => {
    const c = new SimSerfCluster({ seed })
    try {
      await c.startAll(4, 3_000)
      await c.nodes[3]!.shutdown()
      await c.nodes[2]!.shutdown()
      await c.run(40_000)
      const s = c.nodes[0]!
      expect(s.members().find((m) => m.name === 'node-3')?.status, hint(seed)).toBe('failed')
      const removed = s.removeFailedNode('node-3')
      await c.run(2_000)
      await removed
      expect(s.members().find((m) => m.name === 'node-3')?.status).toBe('left')
      expect(c.nodes[1]!.members().find((m) => m.name === 'node-3')?.status).toBe('left')
      const pruned = s.removeFailedNode('node-2', true)
      await c.run(2_000)
      await pruned
      expect(s.members().some((m) => m.name === 'node-2')).toBe(false)
      expect(c.nodes[1]!.members().some((m) => m.name === 'node-2')).toBe(false)
    } finally {
      await c.shutdown()
    }
  })
})
