import { SeededRandom } from '@nomadic/runtime'
import type { Allocation, Node, Plan } from '@nomadic/structs'
import { allocTerminal } from '@nomadic/structs'
import { describe, expect, it } from 'vitest'
import { evaluateNodePlan, NodeFitCache } from '../src/index.js'
import { allocOn, emptyPlan, MemSnapshot } from './fixtures.js'

// An allocation with a static port drawn from a small range (so ports collide now and then) and
// some bandwidth (so devices fill up).
function withPort(node: Node, random: SeededRandom): Allocation {
  const alloc = allocOn(node, 200 + random.int(900), 100 + random.int(900))
  alloc.AllocatedResources!.Tasks!['web']!.Networks = [{
    Mode: '', Device: 'eth0', CIDR: '', IP: '192.168.0.100', MBits: 50 + random.int(200),
    ReservedPorts: [{ Label: 'http', Value: 8000 + random.int(12), To: 0 }], DynamicPorts: null,
  }]
  return alloc
}

const liveIDs = (allocs: readonly Allocation[]): string[] => allocs.filter((a) => !allocTerminal(a)).map((a) => a.ID).sort()

describe('NodeFitCache', () => {
  it('judges every node of every plan as the full allocsFit check does', () => {
    const random = new SeededRandom(11)
    const snap = new MemSnapshot()
    const nodes = Array.from({ length: 5 }, () => snap.addNode())
    const cache = new NodeFitCache()
    const verdicts = new Set<string>()
    for (let round = 0; round < 400; round++) {
      const node = nodes[random.int(nodes.length)]!
      const existing = snap.allocsByNode(node.ID)
      const plan: Plan = emptyPlan({ NodeAllocation: { [node.ID]: Array.from({ length: 1 + random.int(3) }, () => withPort(node, random)) } })
      const pick = (): Allocation | undefined => existing[random.int(Math.max(1, existing.length))]
      const roll = random.int(10)
      if (roll === 0 && pick() !== undefined) plan.NodeUpdate = { [node.ID]: [{ ...pick()! }] }
      // An update in place: the same ID with other resources.
      if (roll <= 2 && roll >= 1 && pick() !== undefined) plan.NodeAllocation![node.ID]!.push({ ...withPort(node, random), ID: pick()!.ID })
      const cached = evaluateNodePlan(snap, plan, node.ID, cache)
      expect(cached).toEqual(evaluateNodePlan(snap, plan, node.ID))
      verdicts.add(cached.reason)
      // What the cache kept is what counting afresh gives.
      const kept = cache.current(node, snap.allocsByNode(node.ID))
      const fresh = new NodeFitCache().current(node, snap.allocsByNode(node.ID))
      expect([kept.cpu, kept.memory, kept.disk, kept.collide, liveIDs(kept.seen)]).toEqual([fresh.cpu, fresh.memory, fresh.disk, fresh.collide, liveIDs(fresh.seen)])
      // Commit it as a store would, sometimes storing copies (new objects, same IDs), sometimes
      // stopping or losing allocations the cache has counted.
      if (cached.fit) for (const a of plan.NodeAllocation![node.ID]!) snap.allocs.set(a.ID, random.int(4) === 0 ? { ...a } : a)
      const victim = pick()
      if (victim !== undefined && random.int(6) === 0) snap.allocs.set(victim.ID, { ...victim, DesiredStatus: 'stop' })
      if (victim !== undefined && random.int(12) === 0) snap.allocs.delete(victim.ID)
    }
    // The run went through the interesting answers.
    expect([...verdicts].sort()).toEqual(expect.arrayContaining(['', 'bandwidth exceeded', 'reserved port collision']))
  })
})
