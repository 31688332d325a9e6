import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import type { Node } from '../src/index.js'

const seed = Number(process.env.SEED ?? 21)
const hint = `seed ${seed}; replay: SEED=${seed} npx vitest run --project gossip test/lifeguard.test.ts`

describe('probing details', () => {
  for (const disableTcpPings of [false, true]) {
    it(`UDP lost one way between two nodes: TCP fallback ping ${disableTcpPings ? 'off → declared dead' : 'on → stays alive'}`, async () => {
      const c = new SimCluster({ seed, config: { disableTcpPings } })
      const deaths: string[] = []
      try {
        await c.startAll(2, 3_000)
        c.nodes[0]!.on('leave', (n: Node) => deaths.push(n.name))
        // Almost every datagram from node-0 to node-1 is lost; streams still work.
        c.net.setOneWayLoss(c.addresses[0]!, c.addresses[1]!, 0.999)
        await c.run(60_000)
        if (disableTcpPings) expect(deaths, hint).toContain('node-1')
        else expect(deaths, hint).toEqual([])
      } finally {
        await c.shutdown()
      }
    })
  }

  it('a node that cannot send raises its own health score (Lifeguard awareness)', async () => {
    const c = new SimCluster({ seed })
    try {
      await c.startAll(5, 3_000)
      expect(c.nodes[0]!.getHealthScore()).toBe(0)
      // Nothing node-0 sends arrives (streams included): its probes fail and no nacks come back.
      for (const a of c.addresses.slice(1)) c.net.setOneWayLoss(c.addresses[0]!, a, 1)
      await c.run(8_000)
      // Each failed probe with three silent nack-capable helpers adds 3 (capped at 7).
      expect(c.nodes[0]!.getHealthScore(), hint).toBeGreaterThanOrEqual(3)
    } finally {
      await c.shutdown()
    }
  })

  it('a suspected node refutes with a higher incarnation', async () => {
    const c = new SimCluster({ seed })
    try {
      await c.startAll(3, 3_000)
      const target = c.nodes[2]!
      const before = target.localNode().incarnation
      // Cut node-2 off long enough to be suspected, not long enough to be declared dead.
      c.net.partition([c.addresses[0]!, c.addresses[1]!], [c.addresses[2]!])
      await c.run(2_500)
      c.net.heal()
      await c.run(20_000)
      expect(target.localNode().incarnation, hint).toBeGreaterThan(before)
      for (const [, view] of c.views()) expect(view.length, hint).toBe(3)
    } finally {
      await c.shutdown()
    }
  })

  it('shutdown leaves no timer behind', async () => {
    const c = new SimCluster({ seed })
    await c.startAll(4, 5_000)
    await c.shutdown()
    await c.run(60_000)
    expect(c.clock.pending()).toBe(0)
  })
})
