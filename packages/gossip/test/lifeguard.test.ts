import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import type { Node } from '../src/index.js'
import { suspicionTimeout } from '../src/state/suspicion.js'
import { noopMetrics, type Logger } from '@nomadic/runtime'

/** A logger that hands every message to `sink` with the node's name. */
function logLines(node: string, sink: (node: string, message: string) => void): Logger {
  const log = (message: string): void => sink(node, message)
  return { debug: log, info: log, warn: log, error: log, child: () => logLines(node, sink) }
}

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

  it('a failed probe of a crashed node raises the prober\'s score by its late nacks; suspicion timeouts stay unscaled', async () => {
    // memberlist 0.2.2: a relay sends its nack a full probeTimeout after it got the indirect
    // request, so nacks reach the prober after its probe deadline and count as missed.
    const suspected: Array<{ node: string; at: number }> = []
    const declared: Array<{ node: string; at: number }> = []
    const scores = new Map<string, number[]>()
    const c = new SimCluster({
      seed,
      nodeOptions: (i) => ({
        logger: logLines(`node-${i}`, (node, message) => {
          if (message.startsWith('Suspect node-5 has failed')) suspected.push({ node, at: c.clock.now() })
          if (message.startsWith('Marking node-5 as failed')) declared.push({ node, at: c.clock.now() })
        }),
        metrics: { ...noopMetrics, gauge: (name, v) => { if (name === 'memberlist.health.score') scores.set(`node-${i}`, [...(scores.get(`node-${i}`) ?? []), v]) } },
      }),
    })
    try {
      await c.startAll(6, 5_000)
      for (const [node, s] of scores) expect(s.at(-1), `${node}: ${hint}`).toBe(0)
      const before = new Map([...scores].map(([node, s]) => [node, s.length]))
      await c.nodes[5]!.shutdown()
      await c.run(30_000)
      expect(suspected.length, hint).toBeGreaterThan(0)
      const first = suspected[0]!
      // Four live peers besides the prober: three helpers asked, three nacks missed.
      expect(scores.get(first.node)![before.get(first.node)!], hint).toBe(3)
      // The dead verdict comes from Lifeguard's timeout (4 s minimum for 6 nodes, at most 6×),
      // not stretched by the prober's score.
      expect(declared.length, hint).toBeGreaterThan(0)
      const waited = declared[0]!.at - first.at
      expect(waited, hint).toBeGreaterThanOrEqual(suspicionTimeout(4, 6, 1000))
      expect(waited, hint).toBeLessThanOrEqual(6 * suspicionTimeout(4, 6, 1000) + 1000)
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
