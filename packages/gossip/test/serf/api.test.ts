import { InmemMetrics, SeededRandom, SimClock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import { SimSerfCluster, SimNetwork } from '../../src/testing.js'
import { KeyManager, Serf, USER_EVENT_SANE_LIMIT, type SerfEvent } from '../../src/serf/index.js'
import { Keyring } from '../../src/security/keyring.js'
import { encodeJoin } from '../../src/serf/messages.js'
import { GossipError, MetaTooLargeError, InvalidConfigError } from '../../src/errors.js'

describe('serf API', () => {
  it('starts every Lamport clock at 1, so a join at time 0 is always old', () => {
    const s = new Serf({ name: 'a', transport: bareTransport() })
    expect([s.clock.time(), s.eventClock.time(), s.queryClock.time()]).toEqual([1, 1, 1])
  })

  it('leaves no timer behind: a shutdown during leave ends its wait', async () => {
    const clock = new SimClock(0)
    const net = new SimNetwork({ clock, random: new SeededRandom(1) })
    const s = new Serf({ name: 'solo', transport: net.transport('10.0.0.1:7946'), clock, random: new SeededRandom(2) })
    const started = s.start()
    await clock.advanceAsync(10)
    await started
    const leaving = s.leave()
    await clock.advanceAsync(300) // inside leavePropagateDelay (1 s)
    await s.shutdown()
    await leaving
    expect(clock.pending()).toBe(0)
  })

  it('checks sizes: tags, user events (configured and sane limits)', async () => {
    expect(() => new Serf({ name: 'a', transport: bareTransport(), userEventSizeLimit: USER_EVENT_SANE_LIMIT + 1 })).toThrow(InvalidConfigError)
    expect(() => new Serf({ name: 'a', transport: bareTransport(), reapInterval: -1 })).toThrow('reapInterval must be a number ≥ 0')
    expect(() => new Serf({ name: 'a', transport: bareTransport(), coalescePeriod: Number.NaN })).toThrow('coalescePeriod')
    expect(() => new Serf({ name: 'a', transport: bareTransport(), eventBuffer: 0 })).toThrow('eventBuffer and queryBuffer must be at least 1')
    expect(() => new Serf({ name: 'a', transport: bareTransport(), tags: { big: 'x'.repeat(600) } })).toThrow(MetaTooLargeError)
    const c = new SimSerfCluster({ seed: 1 })
    try {
      await c.startAll(2, 1_000)
      const s = c.nodes[0]!
      expect(() => s.userEvent('e', Buffer.alloc(600))).toThrow(/exceeds configured limit of 512 bytes before encoding/)
      expect(() => s.userEvent('e', Buffer.alloc(500))).toThrow(/encoded user event exceeds configured limit of 512 bytes after encoding/)
      const before = s.eventClock.time()
      expect(() => s.userEvent('e', Buffer.alloc(600))).toThrow(GossipError)
      expect(s.eventClock.time()).toBe(before) // a refused event does not tick the clock
      await expect(s.setTags({ big: 'x'.repeat(600) })).rejects.toThrow(MetaTooLargeError)
      expect(s.localMember().tags).toEqual({})
      // What the caller gets back is a copy: changing it changes nothing here.
      s.localMember().tags.role = 'changed'
      s.members()[0]!.tags.role = 'changed'
      expect(s.localMember().tags).toEqual({})
      expect(s.members().map((m) => m.tags)).toEqual([{}, {}])
    } finally {
      await c.shutdown()
    }
  })

  it('drops and counts bad messages without changing anything', async () => {
    const metrics = new InmemMetrics()
    const c = new SimSerfCluster({ seed: 2, serf: (i) => (i === 0 ? { metrics } : {}) })
    try {
      await c.startAll(2, 2_000)
      const s = c.nodes[0]!
      const members = JSON.stringify(s.members())
      const clocks = [s.clock.time(), s.eventClock.time(), s.queryClock.time()]
      const to = c.addresses[0]!
      const send = (b: Buffer): void => c.nodes[1]!.memberlist.sendToAddress(to, b)
      send(Buffer.from([42, 1, 2, 3])) // unknown type
      send(encodeJoin({ ltime: 99, node: 'x' }).subarray(0, 6)) // truncated
      send(Buffer.from([3, 0x93, 1, 2, 3])) // a user event that is not a map
      send(Buffer.from([4, 0xdb, 0xff, 0xff, 0xff, 0xff])) // a query claiming 4 GiB
      await c.run(100)
      expect(metrics.counters.get('serf.msgs.dropped')).toBe(4)
      expect(JSON.stringify(s.members())).toBe(members)
      expect([s.clock.time(), s.eventClock.time(), s.queryClock.time()]).toEqual(clocks)
    } finally {
      await c.shutdown()
    }
  })

  it('a query answer is sent once and not after the deadline; stats report the clocks', async () => {
    const c = new SimSerfCluster({ seed: 3 })
    try {
      await c.startAll(2, 2_000)
      const errors: string[] = []
      c.nodes[1]!.on('event', (e: SerfEvent) => {
        if (e.type !== 'query') return
        e.query.respond(Buffer.from('first'))
        try { e.query.respond(Buffer.from('second')) } catch (err) { errors.push((err as Error).message) }
      })
      const late: Array<() => void> = []
      c.nodes[0]!.on('event', (e: SerfEvent) => { if (e.type === 'query') late.push(() => e.query.respond(Buffer.from('late'))) })
      const q = c.nodes[0]!.query('ask', Buffer.alloc(0), { timeout: 1_000 })
      await c.run(1_100)
      expect(errors).toEqual(['response already sent'])
      expect(q.responses.get('node-1')?.toString()).toBe('first')
      expect(() => late[0]!()).toThrow('response is past the deadline')
      const st = c.nodes[0]!.stats()
      expect(st.members).toBe('2')
      expect(Number(st.query_time)).toBe(c.nodes[0]!.queryClock.time())
      expect(st.encrypted).toBe('false')
    } finally {
      await c.shutdown()
    }
  })

  it('an aborted query closes at once; an aborted removal stops waiting', async () => {
    const c = new SimSerfCluster({ seed: 6 })
    try {
      await c.startAll(3, 2_000)
      const abort = new AbortController()
      const q = c.nodes[0]!.query('slow', Buffer.alloc(0), { timeout: 10_000, signal: abort.signal })
      await c.run(5)
      abort.abort()
      expect(q.finished).toBe(true)
      await q.done
      const removal = new AbortController()
      removal.abort(new Error('stop'))
      await expect(c.nodes[0]!.removeFailedNode('nobody', false, removal.signal)).rejects.toThrow('stop')
    } finally {
      await c.shutdown()
    }
  })

  it('key changes run one after the other: use right after install finds the key everywhere', async () => {
    const k1 = Buffer.alloc(16, 1)
    const k2 = Buffer.alloc(16, 2)
    const c = new SimSerfCluster({ seed: 7, serf: () => ({ keyring: new Keyring([k1]) }) })
    try {
      await c.startAll(4, 3_000)
      const km = new KeyManager(c.nodes[0]!)
      const install = km.installKey(k2.toString('base64'))
      const use = km.useKey(k2.toString('base64'))
      await c.run(10_000)
      expect((await install).error).toBeUndefined()
      expect((await use).error).toBeUndefined()
      for (const s of c.nodes) expect(s.keyring()!.getPrimaryKey()).toEqual(k2)
    } finally {
      await c.shutdown()
    }
  })

  it('keyring queries on a cluster without encryption report an error from every node', async () => {
    const c = new SimSerfCluster({ seed: 4 })
    try {
      await c.startAll(3, 2_000)
      const km = new KeyManager(c.nodes[0]!)
      const p = km.installKey(Buffer.alloc(16, 1).toString('base64'))
      await c.run(5_000)
      const r = await p
      expect(r).toMatchObject({ numNodes: 3, numResp: 3, numErr: 3, error: '3/3 nodes reported failure' })
      expect(new Set(Object.values(r.messages))).toEqual(new Set(['No keyring to modify (encryption not enabled)']))
      const l = km.listKeys()
      await c.run(5_000)
      expect(new Set(Object.values((await l).messages))).toEqual(new Set(['Keyring is empty (encryption not enabled)']))
    } finally {
      await c.shutdown()
    }
  })

  it('a merge delegate keeps non-servers out; leave and shutdown are idempotent in the serf way', async () => {
    // Every agent vets peers as Nomad's servers do: only role=server may be a member.
    const merge = (ms: Array<{ tags: Record<string, string> }>): void => { if (ms.some((m) => m.tags.role !== 'server')) throw new Error('not a server') }
    const c = new SimSerfCluster({ seed: 5, serf: (i) => ({ merge, tags: { role: i < 2 ? 'server' : 'client' } }) })
    try {
      await c.add(0)
      const ok = await c.add(1)
      const j1 = ok.join([c.addresses[0]!])
      await c.run(100)
      expect(await j1).toBe(1)
      const bad = await c.add(2)
      // As in memberlist, the joiner merges the answer it got, but the servers refuse its state
      // in the push-pull and every alive message about it afterwards.
      const j2 = bad.join([c.addresses[0]!]).catch(() => 0)
      await c.run(100)
      await j2
      await c.run(5_000)
      for (const i of [0, 1]) expect(c.nodes[i]!.members().map((m) => m.name).sort()).toEqual(['node-0', 'node-1'])

      const leaving = ok.leave()
      await expect(ok.leave()).rejects.toThrow('Leave already in progress')
      await c.run(5_000)
      await leaving
      await ok.leave() // already left: nothing to do
      await ok.shutdown()
      await ok.shutdown()
      await expect(ok.join([c.addresses[0]!])).rejects.toThrow("Serf can't Join after Leave or Shutdown")
    } finally {
      await c.shutdown()
    }
  })
})

/** A transport on a network of its own, for agents that are never started. */
function bareTransport(): ReturnType<SimNetwork['transport']> {
  return new SimNetwork({ clock: new SimClock(0), random: new SeededRandom(0) }).transport('10.0.0.1:7946')
}
