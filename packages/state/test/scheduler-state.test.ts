/**
 * The state store's snapshots as the scheduler's `State` and the planner's `PlanSnapshot`: the
 * interfaces are checked at compile time against the real packages, their methods against the
 * contract, and the real plan evaluation runs on the real store with its results applied back.
 */
import { describe, expect, it } from 'vitest'
import type { PlanSnapshot } from '@nomadic/planner'
import { evaluatePlan } from '@nomadic/planner'
import type { State } from '@nomadic/scheduler'
import {
  allocsFit,
  allocTerminal,
  makePlan,
  mockAlloc as structsAlloc,
  mockEval as structsEval,
  mockJob as structsJob,
  mockNode as structsNode,
  planAppendAlloc,
  planAppendStoppedAlloc,
  type Allocation,
} from '@nomadic/structs'
import { StateStore } from '../src/index.js'
import { mockDeployment } from './mock.js'
import { applyRequest } from './plan-request.js'

/** A 500 MHz / 256 MB allocation without ports (so only CPU decides what fits). */
function placement(jobID: string, evalID: string, nodeID: string): Allocation {
  const a = structsAlloc()
  const web = a.AllocatedResources!.Tasks!.web!
  return { ...a, JobID: jobID, Job: null, EvalID: evalID, NodeID: nodeID, AllocatedResources: { ...a.AllocatedResources!, Tasks: { web: { ...web, Networks: null } } } }
}

function cluster(nodes: number): { store: StateStore; nodeIDs: string[] } {
  const store = new StateStore()
  const nodeIDs: string[] = []
  for (let i = 0; i < nodes; i++) {
    const node = structsNode()
    nodeIDs.push(node.ID)
    store.upsertNode(1 + i, node)
  }
  return { store, nodeIDs }
}

describe('StateSnapshot as the scheduler State', () => {
  it('implements State and PlanSnapshot (checked by the compiler)', () => {
    const { store } = cluster(1)
    const state: State = store.snapshot()
    const plan: PlanSnapshot = store.snapshot()
    expect([...state.nodes()].length).toBe(1)
    expect(plan.latestIndex('nodes')).toBe(1)
  })

  it('answers every State query from the store', () => {
    const { store, nodeIDs } = cluster(2)
    store.upsertJob(10, structsJob())
    const job = store.snapshot().jobs()[0]!
    const live = { ...structsAlloc(), JobID: job.ID, Job: job, NodeID: nodeIDs[0]! }
    const done = { ...structsAlloc(), JobID: job.ID, Job: job, NodeID: nodeIDs[0]! }
    store.upsertAllocs(11, [live, done])
    store.updateAllocsFromClient(12, [{ ...done, ClientStatus: 'complete' }])
    const d = mockDeployment(job)
    store.upsertDeployment(13, d)
    store.schedulerSetConfig(14, { SchedulerAlgorithm: 'spread', PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: true }, CreateIndex: 0, ModifyIndex: 0 })

    const state: State = store.snapshot()
    expect([...state.nodes()].map((n) => n.ID)).toEqual([...nodeIDs].sort())
    expect(state.nodeByID(nodeIDs[1]!)?.ID).toBe(nodeIDs[1])
    expect(state.allocsByJob(job.Namespace, job.ID, false).map((a) => a.ID).sort()).toEqual([live.ID, done.ID].sort())
    expect(state.allocsByNode(nodeIDs[0]!).length).toBe(2)
    expect(state.allocsByNode(nodeIDs[1]!)).toEqual([])
    expect(state.allocsByNodeTerminal(nodeIDs[0]!, true).map((a) => a.ID)).toEqual([done.ID])
    expect(state.allocsByNodeTerminal(nodeIDs[0]!, false).map((a) => a.ID)).toEqual([live.ID])
    expect(state.allocByID(live.ID)?.ClientStatus).toBe('pending')
    expect(state.jobByID(job.Namespace, job.ID)?.Version).toBe(0)
    expect(state.jobByIDAndVersion(job.Namespace, job.ID, 0)?.ID).toBe(job.ID)
    expect(state.deploymentsByJobID(job.Namespace, job.ID, false).map((x) => x.ID)).toEqual([d.ID])
    expect(state.latestDeploymentByJobID(job.Namespace, job.ID)?.ID).toBe(d.ID)
    expect(state.schedulerConfig()?.SchedulerAlgorithm).toBe('spread')
  })

  it('runs the real plan evaluation on the store: partial commit, RefreshIndex, no node over-subscribed', async () => {
    const { store, nodeIDs } = cluster(2)
    store.upsertJob(10, structsJob())
    const job = store.snapshot().jobs()[0]!
    const ev = { ...structsEval(), JobID: job.ID }
    store.upsertEvals(11, [ev])

    // 8 × 500 MHz on a node with 3,900 MHz free does not fit; 2 on the other node do.
    const plan = makePlan(ev, job)
    for (let i = 0; i < 8; i++) planAppendAlloc(plan, placement(job.ID, ev.ID, nodeIDs[0]!), job)
    for (let i = 0; i < 2; i++) planAppendAlloc(plan, placement(job.ID, ev.ID, nodeIDs[1]!), job)
    const result = await evaluatePlan(store.snapshot(), plan)
    expect(Object.keys(result.NodeAllocation ?? {})).toEqual([nodeIDs[1]])
    expect(result.RefreshIndex).toBe(Math.max(store.index('allocs'), store.index('nodes')))
    store.upsertPlanResults(20, applyRequest(plan, result))

    // A second plan stops one alloc and places 7 on the first node: now it fits.
    const snap = store.snapshot()
    const placed = snap.allocsByNode(nodeIDs[1]!)
    expect(placed.length).toBe(2)
    expect(placed.every((a) => a.Job === job)).toBe(true)
    const second = makePlan(ev, job)
    planAppendStoppedAlloc(second, placed[0]!, 'alloc not needed', '', '', 0)
    for (let i = 0; i < 7; i++) planAppendAlloc(second, placement(job.ID, ev.ID, nodeIDs[0]!), job)
    const r2 = await evaluatePlan(snap, second)
    expect(r2.RefreshIndex).toBe(0)
    store.upsertPlanResults(21, applyRequest(second, r2))

    const final = store.snapshot()
    expect(final.allocByID(placed[0]!.ID)?.DesiredStatus).toBe('stop')
    expect(final.evalByID(ev.ID)?.ModifyIndex).toBe(21)
    for (const nodeID of nodeIDs) {
      const node = final.nodeByID(nodeID)!
      const live = final.allocsByNode(nodeID).filter((a) => !allocTerminal(a))
      expect(allocsFit(node, live).fits).toBe(true)
    }
    expect(final.allocsByNodeTerminal(nodeIDs[0]!, false).length).toBe(7)
    expect(final.jobSummaryByID(job.Namespace, job.ID)!.Summary.web!.Starting).toBe(9)
  })
})
