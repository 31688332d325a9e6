import { describe, expect, it } from 'vitest'
import type { Job } from '@nomadic/structs'
import { evalFor, harnessWithNodes, placed, registerJob, service } from './helpers.js'

describe('ranking', () => {
  it('bin-packs: a node already running work wins over an empty one', async () => {
    const { h, nodes } = harnessWithNodes(2)
    const first = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 1; j.TaskGroups![0]!.Tasks![0]!.Resources!.CPU = 2000 })
    await h.process(service, evalFor(first))
    const busy = placed(h)[0]!.NodeID
    const second = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 1 })
    await h.process(service, evalFor(second))
    expect(placed(h)[0]!.NodeID).toBe(busy)
    expect(nodes.map((n) => n.ID)).toContain(busy)
  })

  it('spreads with the spread algorithm: the empty node wins', async () => {
    const { h } = harnessWithNodes(2)
    h.state.config = { SchedulerAlgorithm: 'spread' }
    const first = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 1; j.TaskGroups![0]!.Tasks![0]!.Resources!.CPU = 2000 })
    await h.process(service, evalFor(first))
    const busy = placed(h)[0]!.NodeID
    const second = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 1 })
    await h.process(service, evalFor(second))
    expect(placed(h)[0]!.NodeID).not.toBe(busy)
  })

  it('avoids stacking a group on one node (job anti-affinity)', async () => {
    const { h } = harnessWithNodes(4)
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 4 })
    await h.process(service, evalFor(job))
    expect(new Set(placed(h).map((a) => a.NodeID)).size).toBe(4)
  })

  it('prefers nodes an affinity matches and scores every node', async () => {
    const { h, nodes } = harnessWithNodes(8, (n, i) => { n.Meta!.ssd = i === 6 ? 'true' : 'false' })
    const job = registerJob(h, (j: Job) => {
      j.TaskGroups![0]!.Count = 1
      j.Affinities = [{ LTarget: '${meta.ssd}', RTarget: 'true', Operand: '=', Weight: 100 }]
    })
    await h.process(service, evalFor(job))
    const alloc = placed(h)[0]!
    expect(alloc.NodeID).toBe(nodes[6]!.ID)
    expect(alloc.Metrics!.NodesEvaluated).toBe(8)
  })

  it('spreads over datacenters by target percentages', async () => {
    const { h } = harnessWithNodes(10, (n, i) => { n.Datacenter = i < 5 ? 'dc1' : 'dc2' })
    const job = registerJob(h, (j) => {
      j.Datacenters = ['dc1', 'dc2']
      j.TaskGroups![0]!.Count = 10
      j.Spreads = [{ Attribute: '${node.datacenter}', Weight: 100, SpreadTarget: [{ Value: 'dc1', Percent: 70 }, { Value: 'dc2', Percent: 30 }] }]
    })
    await h.process(service, evalFor(job))
    const perDC = { dc1: 0, dc2: 0 } as Record<string, number>
    for (const a of placed(h)) perDC[h.state.nodeByID(a.NodeID)!.Datacenter]!++
    expect(perDC).toEqual({ dc1: 7, dc2: 3 })
  })

  it('spreads evenly without targets', async () => {
    const { h } = harnessWithNodes(9, (n, i) => { n.Meta!.rack = `r${i % 3}` })
    const job = registerJob(h, (j) => {
      j.TaskGroups![0]!.Count = 6
      j.TaskGroups![0]!.Spreads = [{ Attribute: '${meta.rack}', Weight: 50, SpreadTarget: [] }]
    })
    await h.process(service, evalFor(job))
    const perRack = new Map<string, number>()
    for (const a of placed(h)) {
      const rack = h.state.nodeByID(a.NodeID)!.Meta!.rack!
      perRack.set(rack, (perRack.get(rack) ?? 0) + 1)
    }
    expect([...perRack.values()]).toEqual([2, 2, 2])
  })
})
