import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import type { Node } from '../src/index.js'

// Seeds run in CI; more are run by hand with `SEEDS=1-200 npx vitest run --project gossip -t loss`.
function seeds(fallback: number[]): number[] {
  const spec = process.env.SEEDS
  if (spec === undefined) return process.env.SEED !== undefined ? [Number(process.env.SEED)] : fallback
  const [a, b] = spec.split('-').map(Number)
  const out: number[] = []
  for (let s = a!; s <= (b ?? a!); s++) out.push(s)
  return out
}

const hint = (seed: number, name: string): string => `seed ${seed}; replay: SEED=${seed} npx vitest run --project gossip -t "${name}"`

describe('simulation: 50 nodes under 10% packet loss', () => {
  for (const seed of seeds([1, 2])) {
    it(`no live node is declared dead in 5 minutes (seed ${seed})`, async () => {
      const c = new SimCluster({ seed })
      const falseDeaths: string[] = []
      try {
        // Gossip alone may miss a node or two (each broadcast goes out a bounded number of
        // times); the first periodic push-pull (stagger + 60 s at 50 nodes) repairs that.
        await c.startAll(50, 120_000)
        for (const [name, view] of c.views()) expect(view.length, `${name} ${hint(seed, 'no live node')}`).toBe(50)
        for (const n of c.nodes) n.on('leave', (node: Node) => falseDeaths.push(`${n.name} declared ${node.name} ${node.state}`))
        c.net.dropRate = 0.1
        await c.run(300_000)
        expect(falseDeaths, hint(seed, 'no live node')).toEqual([])
        for (const [name, view] of c.views()) expect(view.length, `${name} ${hint(seed, 'no live node')}`).toBe(50)
      } finally {
        await c.shutdown()
      }
    }, 120_000)
  }
})

describe('simulation: partition', () => {
  for (const seed of seeds([3, 4])) {
    it(`a short partition heals to one view by refutation (seed ${seed})`, async () => {
      const c = new SimCluster({ seed })
      try {
        await c.startAll(10, 10_000)
        const left = c.addresses.slice(0, 5)
        const right = c.addresses.slice(5)
        c.net.partition(left, right)
        // Long enough for probes across the cut to fail and suspicions to start.
        await c.run(3_000)
        const suspected = c.nodes.flatMap((n) => n.allNodes().filter((m) => m.state !== 'alive'))
        expect(suspected.length, hint(seed, 'partition')).toBeGreaterThan(0)
        c.net.heal()
        // Suspect messages now reach the accused, who refute with a higher incarnation.
        await c.run(60_000)
        const views = [...c.views().values()].map((v) => v.join(','))
        expect(new Set(views).size, hint(seed, 'partition')).toBe(1)
        expect(views[0]!.split(',').length, hint(seed, 'partition')).toBe(10)
      } finally {
        await c.shutdown()
      }
    }, 60_000)

    it(`after a partition long enough to reap, one join heals it (seed ${seed})`, async () => {
      const c = new SimCluster({ seed })
      try {
        await c.startAll(8, 10_000)
        c.net.partition(c.addresses.slice(0, 4), c.addresses.slice(4))
        await c.run(180_000)
        // Dead nodes are reaped once gossipToTheDeadTime passed: neither side knows the other.
        expect(c.nodes[0]!.allNodes().length, hint(seed, 'reap')).toBe(4)
        c.net.heal()
        // The rejoin serf's reconnect would do.
        const joined = c.nodes[0]!.join([c.addresses[7]!])
        await c.run(100)
        expect(await joined).toBe(1)
        // Gossip spreads the merged state; periodic push-pulls (every 30 s) fill any gap.
        await c.run(90_000)
        const views = [...c.views().values()].map((v) => v.join(','))
        expect(new Set(views).size, hint(seed, 'reap')).toBe(1)
        expect(views[0]!.split(',').length, hint(seed, 'reap')).toBe(8)
      } finally {
        await c.shutdown()
      }
    }, 60_000)
  }
})
