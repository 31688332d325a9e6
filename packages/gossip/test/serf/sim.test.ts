import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seeds } from './seeds.js'
import { SimSerfCluster } from '../../src/testing.js'
import { encodeJoin, encodeLeave, encodeUserEvent } from '../../src/serf/messages.js'
import type { SerfEvent } from '../../src/serf/serf.js'

const replay = (seed: number, test: string): string => `seed ${seed}; replay: SEEDS=${seed} npx vitest run --project gossip test/serf/sim.test.ts -t "${test}"`

/** Sends a raw serf message from node `from` to node `to` as a memberlist user message. */
function inject(c: SimSerfCluster, from: number, to: number, msg: Buffer): void {
  c.nodes[from]!.memberlist.sendToAddress(c.addresses[to]!, msg)
}
const status = (c: SimSerfCluster, at: number, name: string): string | undefined => c.nodes[at]!.members().find((m) => m.name === name)?.status

function userEvents(c: SimSerfCluster): string[][] {
  const seen = c.nodes.map(() => [] as string[])
  c.nodes.forEach((s, i) => s.on('event', (e: SerfEvent) => { if (e.type === 'user') seen[i]!.push(`${e.name}@${e.ltime}:${e.payload.toString()}`) }))
  return seen
}

describe.each(seeds())('serf intents, clocks and events on the simulated network (seed %i)', (seed) => {
  it('a leave intent that arrives before its member is kept, then outvoted by the newer join', async () => {
    const hint = replay(seed, 'before its member')
    const c = new SimSerfCluster({ seed })
    try {
      await c.startAll(2, 2_000)
      inject(c, 1, 0, encodeLeave({ ltime: 50, node: 'node-2', prune: false }))
      await c.run(100)
      expect(status(c, 0, 'node-2'), hint).toBeUndefined()
      expect(c.nodes[0]!.clock.time(), hint).toBeGreaterThan(50)
      await c.run(2_000)
      // Rebroadcast because it was new: node 1 witnessed it too.
      expect(c.nodes[1]!.clock.time(), hint).toBeGreaterThan(50)

      const firstSeen: string[] = []
      c.nodes[0]!.on('event', (e: SerfEvent) => {
        if (e.type === 'member-join' && e.members[0]!.name === 'node-2') firstSeen.push(e.members[0]!.status)
      })
      const late = await c.add(2)
      const joined = late.join([c.addresses[0]!])
      await c.run(100)
      await joined
      // The member is created in the state the buffered intent says.
      expect(firstSeen, hint).toEqual(['leaving'])
      // Its own join intent carries a Lamport time past the leave (it witnessed node 0's clock in the push-pull).
      expect(late.clock.time(), hint).toBeGreaterThan(50)
      await c.run(3_000)
      for (const i of [0, 1, 2]) expect(status(c, i, 'node-2'), `${hint} (node ${i})`).toBe('alive')
    } finally {
      await c.shutdown()
    }
  })

  it('intents apply in Lamport order, whatever order they arrive in', async () => {
    const hint = replay(seed, 'Lamport order')
    const c = new SimSerfCluster({ seed })
    try {
      await c.startAll(3, 3_000)
      // Keep node 2 from hearing (and refuting) what is said about it for a moment.
      c.net.partition([c.addresses[0]!, c.addresses[1]!], [c.addresses[2]!])
      const t = c.nodes[0]!.clock.time() + 10
      const steps: Array<[Buffer, string]> = [
        [encodeJoin({ ltime: t + 3, node: 'node-2' }), 'alive'],
        [encodeLeave({ ltime: t + 2, node: 'node-2', prune: false }), 'alive'], // older than the join: ignored
        [encodeLeave({ ltime: t + 4, node: 'node-2', prune: false }), 'leaving'],
        [encodeJoin({ ltime: t + 4, node: 'node-2' }), 'leaving'], // not newer: ignored
        [encodeJoin({ ltime: t + 5, node: 'node-2' }), 'alive'],
      ]
      for (const [msg, want] of steps) {
        inject(c, 1, 0, msg)
        await c.run(50)
        expect(status(c, 0, 'node-2'), hint).toBe(want)
      }
      expect(c.nodes[0]!.clock.time(), hint).toBe(t + 6)
      c.net.heal()
      await c.run(5_000)
      for (const i of [0, 1, 2]) expect(status(c, i, 'node-2'), `${hint} (node ${i})`).toBe('alive')
    } finally {
      await c.shutdown()
    }
  })

  it('a node refutes a newer leave intent about itself with a newer join', async () => {
    const hint = replay(seed, 'refutes')
    const c = new SimSerfCluster({ seed })
    try {
      await c.startAll(3, 3_000)
      inject(c, 1, 0, encodeLeave({ ltime: 10_000, node: 'node-2', prune: false }))
      // Node 0 believes it for a moment (the refutation can come back within milliseconds).
      let sawLeaving = false
      for (let t = 0; t < 50 && !sawLeaving; t++) {
        await c.run(1)
        sawLeaving = status(c, 0, 'node-2') === 'leaving'
      }
      expect(sawLeaving, hint).toBe(true)
      await c.run(5_000)
      expect(c.nodes[2]!.clock.time(), hint).toBeGreaterThan(10_000)
      for (const i of [0, 1, 2]) expect(status(c, i, 'node-2'), `${hint} (node ${i})`).toBe('alive')
    } finally {
      await c.shutdown()
    }
  })

  it('every user event is delivered once per node: duplicates, replays and push-pull do not repeat it', async () => {
    const hint = replay(seed, 'delivered once')
    const c = new SimSerfCluster({ seed })
    try {
      await c.startAll(4, 3_000)
      const seen = userEvents(c)
      c.nodes[1]!.userEvent('deploy', Buffer.from('v1'))
      const ltime = c.nodes[1]!.eventClock.time() - 1
      await c.run(50)
      // The same event again, sent straight to everyone, several times.
      const copy = encodeUserEvent({ ltime, name: 'deploy', payload: Buffer.from('v1'), cc: false })
      for (let k = 0; k < 3; k++) for (let i = 0; i < 4; i++) inject(c, 3, i, copy)
      // Same Lamport time, other payload: a different event.
      inject(c, 3, 0, encodeUserEvent({ ltime, name: 'deploy', payload: Buffer.from('v2'), cc: false }))
      // Past two push-pull rounds (LAN: 30 s), which carry the recent-event buffer.
      await c.run(65_000)
      for (let i = 0; i < 4; i++) expect(seen[i]!.sort(), `${hint} (node ${i})`).toEqual([`deploy@${ltime}:v1`, `deploy@${ltime}:v2`])
    } finally {
      await c.shutdown()
    }
  })

  it('a joiner replays recent events unless it asks to ignore old ones; too-old events are dropped', async () => {
    const hint = replay(seed, 'replays recent events')
    const c = new SimSerfCluster({ seed, serf: () => ({ eventBuffer: 16 }) })
    try {
      await c.startAll(2, 2_000)
      c.nodes[0]!.userEvent('config', Buffer.from('a'))
      await c.run(2_000)
      const fresh = await c.add(2)
      const replayed: string[] = []
      fresh.on('event', (e: SerfEvent) => { if (e.type === 'user') replayed.push(e.name) })
      const j1 = fresh.join([c.addresses[0]!], false)
      await c.run(100)
      await j1
      expect(replayed, hint).toEqual(['config'])

      const quiet = await c.add(3)
      const ignored: string[] = []
      quiet.on('event', (e: SerfEvent) => { if (e.type === 'user') ignored.push(e.name) })
      const j2 = quiet.join([c.addresses[0]!], true)
      await c.run(100)
      await j2
      await c.run(2_000)
      expect(ignored, hint).toEqual([])

      // Move node 0's event clock far ahead; an event older than the buffer is then refused.
      const seen = userEvents(c)
      inject(c, 1, 0, encodeUserEvent({ ltime: 100, name: 'ahead', payload: Buffer.alloc(0), cc: false }))
      await c.run(50)
      inject(c, 1, 0, encodeUserEvent({ ltime: 60, name: 'ancient', payload: Buffer.alloc(0), cc: false }))
      await c.run(50)
      expect(seen[0], hint).toEqual(['ahead@100:'])
    } finally {
      await c.shutdown()
    }
  })

  it('queries: acks, node and tag filters, and responses relayed around a lossy link', async () => {
    const hint = replay(seed, 'relayed')
    const c = new SimSerfCluster({ seed, serf: (i) => ({ tags: { role: i % 2 === 0 ? 'server' : 'client' } }) })
    try {
      await c.startAll(5, 3_000)
      for (const s of c.nodes) s.on('event', (e: SerfEvent) => { if (e.type === 'query') e.query.respond(Buffer.from(`${s.name}:${e.query.payload.toString()}`)) })

      const filtered = c.nodes[0]!.query('who', Buffer.from('f'), { filterNodes: ['node-1', 'node-2', 'node-4'], filterTags: { role: '^serv' }, requestAck: true, timeout: 2_000 })
      await c.run(2_100)
      expect([...filtered.responses.keys()].sort(), hint).toEqual(['node-2', 'node-4'])
      expect([...filtered.acks].sort(), hint).toEqual(['node-2', 'node-4'])

      // Node 3 cannot reach node 0 directly: without relays its answer is lost...
      c.net.setOneWayLoss(c.addresses[3]!, c.addresses[0]!, 1)
      const direct = c.nodes[0]!.query('who', Buffer.from('d'), { timeout: 2_000 })
      await c.run(2_100)
      expect(direct.responses.has('node-3'), hint).toBe(false)
      expect(direct.responses.size, hint).toBe(4)
      // ...with a relay factor, copies travel through other members, counted once.
      const relayed = c.nodes[0]!.query('who', Buffer.from('r'), { timeout: 2_000, relayFactor: 2, requestAck: true })
      const answers: string[] = []
      relayed.on('response', (from) => answers.push(from))
      await c.run(2_100)
      expect(relayed.responses.get('node-3')?.toString(), hint).toBe('node-3:r')
      expect(answers.sort(), hint).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4'])
      expect(relayed.acks.size, hint).toBe(5)
      expect(relayed.finished).toBe(true)
    } finally {
      await c.shutdown()
    }
  })
})

describe('serf features on the simulated network', () => {
  const seed = seeds()[0]!

  it('coalesces member events when configured and streams events to an async iterator', async () => {
    const c = new SimSerfCluster({ seed, serf: (i) => (i === 0 ? { coalescePeriod: 2_000, quiescentPeriod: 500 } : {}) })
    const abort = new AbortController()
    try {
      await c.add(0)
      const got: string[] = []
      const reading = (async () => {
        for await (const e of c.nodes[0]!.events(abort.signal)) {
          if (e.type === 'member-join') got.push(e.members.map((m) => m.name).sort().join(','))
        }
      })()
      for (let i = 1; i < 4; i++) {
        const s = await c.add(i)
        const j = s.join([c.addresses[0]!])
        await c.run(50)
        await j
      }
      await c.run(3_000)
      // All four joins fell in one window (node-0's own included, held back until then): one event.
      expect(got, replay(seed, 'coalesces')).toEqual(['node-0,node-1,node-2,node-3'])
      const s4 = await c.add(4)
      const j4 = s4.join([c.addresses[0]!])
      await c.run(100)
      await j4
      await c.run(3_000)
      expect(got, replay(seed, 'coalesces')).toEqual(['node-0,node-1,node-2,node-3', 'node-4'])
      abort.abort()
      await reading
    } finally {
      await c.shutdown()
    }
  })

  it('start() does not wait for the snapshot rejoin, which skips unreachable addresses', async () => {
    const hint = replay(seed, 'does not wait')
    const dir = mkdtempSync(join(tmpdir(), 'serf-rejoin-'))
    const path = join(dir, 'snapshot')
    const c = new SimSerfCluster({ seed, serf: (i) => (i === 3 ? { snapshotPath: path } : {}) })
    try {
      await c.startAll(3, 2_000)
      // Three addresses that swallow every packet (each dial waits out the TCP timeout), then a live one.
      const ghosts = ['10.0.9.1:7946', '10.0.9.2:7946', '10.0.9.3:7946']
      c.net.partition([...c.addresses, c.addresses[3] ?? '10.0.0.4:7946'], ghosts)
      writeFileSync(path, [...ghosts.map((a, k) => `alive: ghost-${k} ${a}`), `alive: node-1 ${c.addresses[1]}`, 'clock: 40', ''].join('\n'))
      const before = c.clock.now()
      const s = await c.add(3) // add() lets only 10 ms pass before awaiting start()
      expect(c.clock.now() - before, hint).toBeLessThan(1_000)
      expect(s.clock.time(), hint).toBe(41)
      await c.run(60_000)
      expect(s.members().filter((m) => m.status === 'alive').length, hint).toBe(4)
    } finally {
      await c.shutdown()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('name conflict: the newcomer loses the vote and shuts down; with resolution off nobody does', async () => {
    for (const enabled of [true, false]) {
      let lost = 0
      const c = new SimSerfCluster({
        seed,
        serf: (i) => ({
          enableNameConflictResolution: enabled,
          ...(i === 4 ? { name: 'node-1', onNameConflictLost: () => { lost++ } } : {}),
        }),
      })
      try {
        await c.startAll(4, 3_000)
        const twin = await c.add(4)
        const j = twin.join([c.addresses[0]!]).catch(() => 0)
        await c.run(100)
        await j
        await c.run(10_000)
        const hint = `${replay(seed, 'name conflict')} (resolution ${enabled})`
        expect(lost, hint).toBe(enabled ? 1 : 0)
        expect(twin.memberlist.isShutdown, hint).toBe(enabled)
        expect(c.nodes[1]!.memberlist.isShutdown, hint).toBe(false)
        // The original keeps its name and address everywhere.
        for (const i of [0, 2, 3]) {
          const m = c.nodes[i]!.members().find((x) => x.name === 'node-1')
          expect(m?.addr, hint).toBe(c.addresses[1]!.split(':')[0])
        }
      } finally {
        await c.shutdown()
      }
    }
  })
})

describe('serf reconnect and reap on the simulated network', () => {
  const seed = seeds()[0]!

  it('reconnects to failed members once a partition heals', async () => {
    const hint = replay(seed, 'reconnects')
    const c = new SimSerfCluster({ seed, serf: () => ({ reconnectInterval: 5_000, reconnectTimeout: 600_000, reapInterval: 5_000 }) })
    try {
      await c.startAll(4, 3_000)
      const [a0, a1, a2, a3] = c.addresses as [string, string, string, string]
      c.net.partition([a0, a1], [a2, a3])
      // Long enough for suspicion to end and for memberlist to stop gossiping to the dead.
      await c.run(90_000)
      expect(status(c, 0, 'node-2'), hint).toBe('failed')
      expect(status(c, 3, 'node-1'), hint).toBe('failed')
      c.net.heal()
      // Only serf's reconnect loop (a join to a random failed member) can bring them back.
      await c.run(60_000)
      for (let i = 0; i < 4; i++) {
        expect(c.nodes[i]!.members().filter((m) => m.status === 'alive').length, `${hint} (node ${i})`).toBe(4)
      }
    } finally {
      await c.shutdown()
    }
  })

  it('a failed member is reaped after ReconnectTimeout, an intent after RecentIntentTimeout', async () => {
    const hint = replay(seed, 'reaped after')
    const c = new SimSerfCluster({ seed, serf: () => ({ reconnectTimeout: 40_000, reapInterval: 5_000, recentIntentTimeout: 20_000 }) })
    try {
      await c.startAll(3, 3_000)
      const reaped: number[] = []
      c.nodes[0]!.on('event', (e: SerfEvent) => { if (e.type === 'member-reap') reaped.push(c.clock.now()) })
      let failedAt = 0
      c.nodes[0]!.on('event', (e: SerfEvent) => { if (e.type === 'member-failed') failedAt = c.clock.now() })
      await c.nodes[2]!.shutdown()
      await c.run(30_000)
      expect(failedAt, hint).toBeGreaterThan(0)
      await c.run(60_000)
      expect(reaped.length, hint).toBe(1)
      expect(reaped[0]! - failedAt, hint).toBeGreaterThan(40_000)
      expect(reaped[0]! - failedAt, hint).toBeLessThanOrEqual(45_000)

      // A buffered intent about an unknown node is forgotten after its timeout: a later
      // member of that name starts alive, not leaving.
      inject(c, 1, 0, encodeLeave({ ltime: c.nodes[0]!.clock.time() + 5, node: 'node-7', prune: false }))
      await c.run(30_000)
      const firstSeen: string[] = []
      c.nodes[0]!.on('event', (e: SerfEvent) => { if (e.type === 'member-join' && e.members[0]!.name === 'node-7') firstSeen.push(e.members[0]!.status) })
      const late = await c.add(7)
      const j = late.join([c.addresses[0]!])
      await c.run(100)
      await j
      expect(firstSeen, hint).toEqual(['alive'])
    } finally {
      await c.shutdown()
    }
  })
})
