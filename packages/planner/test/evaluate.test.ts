import { describe, expect, it } from 'vitest'
import { evaluateNodePlan, evaluatePlan, isNoOp, PlannerError } from '../src/index.js'
import { allocOn, emptyPlan, MemSnapshot } from './fixtures.js'

// mockNode: 4000 MHz with 100 reserved, 8192 MB with 256 reserved.
describe('evaluateNodePlan', () => {
  it('lets evictions alone through, even for a node that is gone', () => {
    const snap = new MemSnapshot()
    const stop = allocOn(snap.addNode(), 100, 100)
    const plan = emptyPlan({ NodeUpdate: { missing: [stop] } })
    expect(evaluateNodePlan(snap, plan, 'missing')).toEqual({ fit: true, reason: '' })
  })

  it('refuses placements on missing, down, ineligible and draining nodes with Nomad\'s reasons', () => {
    const snap = new MemSnapshot()
    const cases = [
      [undefined, 'node does not exist'],
      [snap.addNode({ Status: 'down' }), 'node is not ready for placements'],
      [snap.addNode({ SchedulingEligibility: 'ineligible' }), 'node is not eligible for draining'],
      [snap.addNode({ Drain: true }), 'node is draining'],
    ] as const
    for (const [node, reason] of cases) {
      const id = node?.ID ?? 'missing'
      const plan = emptyPlan({ NodeAllocation: { [id]: [allocOn(node ?? snap.addNode(), 100, 100)] } })
      plan.NodeAllocation![id]![0]!.NodeID = id
      expect(evaluateNodePlan(snap, plan, id)).toEqual({ fit: false, reason })
    }
  })

  it('counts existing allocations, minus what the plan stops, preempts or replaces', () => {
    const snap = new MemSnapshot()
    const node = snap.addNode()
    const a = snap.addAlloc(node, 2000, 1000)
    const b = snap.addAlloc(node, 1500, 1000)
    const stopped = snap.addAlloc(node, 3000, 1000)
    stopped.DesiredStatus = 'stop' // terminal: uses nothing
    const big = allocOn(node, 1000, 1000)
    expect(evaluateNodePlan(snap, emptyPlan({ NodeAllocation: { [node.ID]: [big] } }), node.ID))
      .toEqual({ fit: false, reason: 'cpu' })
    expect(evaluateNodePlan(snap, emptyPlan({ NodeAllocation: { [node.ID]: [big] }, NodeUpdate: { [node.ID]: [{ ...b }] } }), node.ID).fit).toBe(true)
    expect(evaluateNodePlan(snap, emptyPlan({ NodeAllocation: { [node.ID]: [big] }, NodePreemptions: { [node.ID]: [{ ...a }] } }), node.ID).fit).toBe(true)
    // An in-place update replaces the stored version rather than adding to it.
    const updated = { ...a, AllocatedResources: allocOn(node, 2400, 1000).AllocatedResources }
    expect(evaluateNodePlan(snap, emptyPlan({ NodeAllocation: { [node.ID]: [updated] } }), node.ID).fit).toBe(true)
  })
})

describe('evaluatePlan', () => {
  it('commits the nodes that fit and asks for a refresh when some do not', async () => {
    const snap = new MemSnapshot(40, 30)
    const good = snap.addNode()
    const full = snap.addNode()
    snap.addAlloc(full, 3800, 100)
    const plan = emptyPlan({ NodeAllocation: { [good.ID]: [allocOn(good)], [full.ID]: [allocOn(full)] } })
    const result = await evaluatePlan(snap, plan)
    expect(Object.keys(result.NodeAllocation!)).toEqual([good.ID])
    expect(result.RefreshIndex).toBe(40)
    expect(isNoOp(result)).toBe(false)
  })

  it('commits nothing of an AllAtOnce plan with one misfit', async () => {
    const snap = new MemSnapshot()
    const good = snap.addNode()
    const plan = emptyPlan({
      AllAtOnce: true,
      NodeAllocation: { [good.ID]: [allocOn(good)], gone: [allocOn(good)] },
      Deployment: { ID: 'd', TaskGroups: {} } as never,
    })
    const result = await evaluatePlan(snap, plan)
    expect(isNoOp(result)).toBe(true)
    expect(result.Deployment).toBeNull()
    expect(result.RefreshIndex).toBe(10)
  })

  it('commits a plan that fits whole, with no refresh', async () => {
    const snap = new MemSnapshot()
    const node = snap.addNode()
    const stop = snap.addAlloc(node)
    const result = await evaluatePlan(snap, emptyPlan({ NodeAllocation: { [node.ID]: [allocOn(node)] }, NodeUpdate: { [node.ID]: [{ ...stop }] } }))
    expect(result.RefreshIndex).toBe(0)
    expect(result.NodeUpdate![node.ID]!.map((a) => a.ID)).toEqual([stop.ID])
    expect(result.NodeAllocation![node.ID]).toHaveLength(1)
  })

  it('drops preemptions of allocations that already stopped', async () => {
    const snap = new MemSnapshot()
    const node = snap.addNode()
    const done = snap.addAlloc(node)
    done.ClientStatus = 'complete'
    const live = snap.addAlloc(node)
    const result = await evaluatePlan(snap, emptyPlan({
      NodeAllocation: { [node.ID]: [allocOn(node)] },
      NodePreemptions: { [node.ID]: [{ ...done }, { ...live }] },
    }))
    expect(result.NodePreemptions![node.ID]!.map((a) => a.ID)).toEqual([live.ID])
  })

  it('takes canaries that did not commit out of the deployment', async () => {
    const snap = new MemSnapshot()
    const good = snap.addNode()
    const placed = allocOn(good)
    const lost = allocOn(good)
    const plan = emptyPlan({
      NodeAllocation: { [good.ID]: [placed], gone: [lost] },
      Deployment: { ID: 'd', TaskGroups: { web: { PlacedCanaries: [placed.ID, lost.ID] } } } as never,
    })
    const result = await evaluatePlan(snap, plan)
    expect(result.Deployment!.TaskGroups!.web!.PlacedCanaries).toEqual([placed.ID])
    expect(plan.Deployment!.TaskGroups!.web!.PlacedCanaries).toHaveLength(2)
  })

  it('fails a partial commit when the snapshot has no index to refresh to', async () => {
    const snap = new MemSnapshot(0, 0)
    const node = snap.addNode()
    await expect(evaluatePlan(snap, emptyPlan({ NodeAllocation: { gone: [allocOn(node)] } }))).rejects.toBeInstanceOf(PlannerError)
  })
})
