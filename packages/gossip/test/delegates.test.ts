import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import { JoinError, MetaTooLargeError, Memberlist, type Node } from '../src/index.js'

const seed = Number(process.env.SEED ?? 31)
const hint = `seed ${seed}; replay: SEED=${seed} npx vitest run --project gossip test/delegates.test.ts`

describe('delegates and metadata', () => {
  it('metadata over 512 bytes is refused at start', async () => {
    const c = new SimCluster({ seed, nodeOptions: () => ({ delegate: { nodeMeta: () => Buffer.alloc(513) } }) })
    await expect(c.add(0)).rejects.toBeInstanceOf(MetaTooLargeError)
    await c.shutdown()
  })

  it('metadata, user messages, broadcasts and push-pull state reach the peers; updateNode raises update events', async () => {
    let meta = Buffer.from('v1')
    const got: string[] = []
    const merged: string[] = []
    const outbox: Buffer[] = [Buffer.from('bcast-from-0')]
    const c = new SimCluster({
      seed,
      nodeOptions: (i) => ({
        delegate: {
          nodeMeta: () => (i === 0 ? meta : Buffer.from(`n${i}`)),
          notifyMsg: (m) => got.push(`${i}:${m.toString()}`),
          getBroadcasts: () => (i === 0 ? outbox.splice(0) : []),
          localState: (join) => Buffer.from(`state-${i}-${join}`),
          mergeRemoteState: (buf, join) => merged.push(`${i}<${buf.toString()}/${join}`),
        },
      }),
    })
    try {
      await c.startAll(3, 3_000)
      expect(c.nodes[2]!.members().find((m) => m.name === 'node-0')?.meta.toString()).toBe('v1')
      // The delegate owns its retransmits: what it hands over once goes out in one packet.
      expect(got.filter((g) => g.endsWith('bcast-from-0')).length, hint).toBe(1)
      expect(merged).toContain('1<state-0-true/true')
      expect(merged).toContain('0<state-1-true/true')

      const updates: string[] = []
      c.nodes[2]!.on('update', (n: Node) => updates.push(`${n.name}:${n.meta.toString()}`))
      meta = Buffer.from('v2')
      const done = c.nodes[0]!.updateNode(5_000)
      await c.run(3_000)
      await done
      expect(updates).toEqual(['node-0:v2'])

      const target = c.nodes[1]!.localNode()
      c.nodes[0]!.sendBestEffort(target, Buffer.from('udp-hello'))
      const reliable = c.nodes[0]!.sendReliable(target, Buffer.from('tcp-hello'))
      await c.run(100)
      await reliable
      expect(got).toContain('1:udp-hello')
      expect(got).toContain('1:tcp-hello')
    } finally {
      await c.shutdown()
    }
  })

  it('the alive delegate vetoes nodes, the merge delegate refuses a join', async () => {
    const c = new SimCluster({
      seed,
      nodeOptions: (i) => {
        if (i === 0) return { alive: { notifyAlive: (n: Node) => { if (n.name === 'node-2') throw new Error('not a server') } } }
        // The joiner's merge delegate sees the remote state and can refuse it.
        if (i === 3) return { merge: { notifyMerge: (peers: Node[]) => { if (peers.some((p) => p.name === 'node-0')) throw new Error('wrong cluster') } } }
        return {}
      },
    })
    try {
      await c.startAll(3, 5_000)
      expect(c.nodes[0]!.members().map((m) => m.name).sort(), hint).toEqual(['node-0', 'node-1'])
      expect(c.nodes[1]!.members().length).toBe(3)
      const outsider = await c.add(3)
      const joined = outsider.join([c.addresses[0]!])
      await c.run(100)
      await expect(joined).rejects.toBeInstanceOf(JoinError)
      expect(outsider.members().map((m) => m.name)).toEqual(['node-3'])
    } finally {
      await c.shutdown()
    }
  })

  it('the ping delegate adds ack payloads and sees round-trip times', async () => {
    const seen: Array<{ from: string; rtt: number; payload: string }> = []
    const c = new SimCluster({
      seed,
      nodeOptions: (i) => ({
        ping: {
          ackPayload: () => Buffer.from(`coord-${i}`),
          notifyPingComplete: (other: Node, rtt: number, payload: Buffer | null) => { if (i === 0) seen.push({ from: other.name, rtt, payload: payload?.toString() ?? '' }) },
        },
      }),
    })
    try {
      await c.startAll(2, 5_000)
      expect(seen.length, hint).toBeGreaterThan(0)
      for (const s of seen) {
        expect(s).toMatchObject({ from: 'node-1', payload: 'coord-1' })
        // Two one-way delays of 1..5 ms in the simulated network.
        expect(s.rtt).toBeGreaterThanOrEqual(2)
        expect(s.rtt).toBeLessThanOrEqual(10)
      }
    } finally {
      await c.shutdown()
    }
  })

  it('a name claimed from a second address calls the conflict delegate and is ignored', async () => {
    const conflicts: string[] = []
    const c = new SimCluster({ seed, nodeOptions: () => ({ conflict: { notifyConflict: (a: Node, b: Node) => conflicts.push(`${a.name}:${a.addr}/${b.addr}`) } }) })
    try {
      await c.startAll(2, 2_000)
      const impostor = new Memberlist({ name: 'node-1', transport: c.net.transport('10.9.9.9:7946'), clock: c.clock, random: c.random.fork() })
      const started = impostor.start()
      await c.run(10)
      await started
      const joined = impostor.join([c.addresses[0]!])
      await c.run(100)
      await joined.catch(() => 0)
      await c.run(2_000)
      expect(conflicts, hint).toContain('node-1:10.0.0.2/10.9.9.9')
      expect(c.nodes[0]!.members().find((m) => m.name === 'node-1')?.addr).toBe('10.0.0.2')
      await impostor.shutdown()
    } finally {
      await c.shutdown()
    }
  })
})
