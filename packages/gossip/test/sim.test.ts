import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import { Keyring, Memberlist, type Node } from '../src/index.js'

function replay(seed: number, name: string): string {
  return `seed ${seed} failed; replay: SEED=${seed} npx vitest run --project gossip -t "${name}"`
}

describe('simulated cluster', () => {
  it('five nodes converge, a crash is detected, a leave is seen as left', async () => {
    const seed = Number(process.env.SEED ?? 1)
    const c = new SimCluster({ seed })
    const events: Array<[string, string, string]> = []
    try {
      await c.startAll(5, 5_000)
      for (const n of c.nodes) {
        n.on('leave', (node: Node) => events.push([n.name, node.name, node.state]))
      }
      for (const [, view] of c.views()) expect(view.length, replay(seed, 'five nodes')).toBe(5)

      await c.nodes[4]!.shutdown()
      await c.run(60_000)
      for (const [name, view] of c.views()) expect(view, `${name}: ${replay(seed, 'five nodes')}`).not.toContain('node-4')
      expect(events.filter(([, who, st]) => who === 'node-4' && st === 'dead').length).toBe(4)

      const leaving = c.nodes[3]!.leave(5_000)
      await c.run(6_000)
      await leaving
      await c.nodes[3]!.shutdown()
      await c.run(2_000)
      expect(events.filter(([, who, st]) => who === 'node-3' && st === 'left').map(([by]) => by).sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3'])
      // Left nodes are reaped like dead ones once gossipToTheDeadTime (30 s) has passed —
      // memberlist 0.2.2 would keep them forever (memberlist#253).
      expect(c.nodes[0]!.allNodes().find((n) => n.name === 'node-3')?.state).toBe('left')
      await c.run(40_000)
      for (const n of c.nodes.slice(0, 3)) expect(n.allNodes().map((x) => x.name).sort(), replay(seed, 'five nodes')).toEqual(['node-0', 'node-1', 'node-2'])
    } finally {
      await c.shutdown()
    }
  })
})

describe('encrypted simulated cluster', () => {
  it('members speaking protocol 1 (encryption version 0) and 2 (version 1) form one cluster; keyless packets are dropped', async () => {
    const seed = Number(process.env.SEED ?? 2)
    const key = Buffer.alloc(24, 7)
    const c = new SimCluster({
      seed,
      nodeOptions: (i) => ({ keyring: new Keyring([key]), config: { protocolVersion: i === 0 ? 1 : 2 } }),
    })
    try {
      await c.startAll(3, 5_000)
      for (const [name, view] of c.views()) expect(view, `${name}: ${replay(seed, 'encrypted')}`).toEqual(['node-0', 'node-1', 'node-2'])
      const before = c.nodes[1]!.stats.garbage
      // A keyless node on the same network: its join stream is refused as unencrypted.
      const outsider = new Memberlist({ name: 'outsider', transport: c.net.transport('10.0.0.99:7946'), clock: c.clock, random: c.random.fork() })
      const started = outsider.start()
      await c.run(10)
      await started
      const joined = outsider.join([c.addresses[1]!])
      await c.run(2_000)
      await expect(joined).rejects.toThrow()
      expect(c.nodes[1]!.members().map((m) => m.name)).not.toContain('outsider')
      await outsider.shutdown()
      expect(c.nodes[1]!.stats.garbage).toBeGreaterThan(before)
    } finally {
      await c.shutdown()
    }
  })
})
