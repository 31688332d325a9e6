import { describe, expect, it } from 'vitest'
import type { Allocation, Deployment, Job } from '@nomadic/structs'
import { InvalidInputError, NotFoundError, StateStore } from '../src/index.js'
import { mockAlloc, mockDeployment, mockEval, mockJob } from './mock.js'

/** A job with a running deployment that wants 2 canaries in group web, and 2 canaries placed. */
function canaries(): { store: StateStore; job: Job; d: Deployment; allocs: Allocation[] } {
  const store = new StateStore()
  store.upsertJob(10, mockJob())
  const job = store.snapshot().jobs()[0]!
  const d = mockDeployment(job)
  d.TaskGroups!.web!.DesiredCanaries = 2
  d.StatusDescription = 'Deployment is running but requires manual promotion'
  store.upsertDeployment(11, d)
  const canary = { Healthy: null, Timestamp: new Date(0), Canary: true, ModifyIndex: 0 }
  const allocs = [mockAlloc(job, { DeploymentID: d.ID, DeploymentStatus: canary }), mockAlloc(job, { DeploymentID: d.ID, DeploymentStatus: canary })]
  store.upsertAllocs(12, allocs)
  return { store, job, d, allocs }
}

describe('deployment promotion and allocation health', () => {
  it('refuses to promote until enough canaries are healthy, changing nothing', () => {
    const { store, d, allocs } = canaries()
    store.updateDeploymentAllocHealth(13, { DeploymentID: d.ID, HealthyAllocationIDs: [allocs[0]!.ID], Timestamp: new Date(5_000) })
    const before = store.snapshot()
    expect(() => store.updateDeploymentPromotion(14, { DeploymentID: d.ID, All: true })).toThrow('Task group "web" has 1/2 healthy allocations')
    expect(store.snapshot().deploymentByID(d.ID)).toBe(before.deploymentByID(d.ID))
  })

  it('promotes healthy canaries: groups promoted, canary flags cleared, description reset, eval written', () => {
    const { store, d, allocs, job } = canaries()
    store.updateDeploymentAllocHealth(13, { DeploymentID: d.ID, HealthyAllocationIDs: allocs.map((a) => a.ID), Timestamp: new Date(5_000) })
    const state = store.snapshot().deploymentByID(d.ID)!.TaskGroups!.web!
    expect(state).toMatchObject({ HealthyAllocs: 2, PlacedCanaries: allocs.map((a) => a.ID) })
    const ev = mockEval({ JobID: job.ID })
    store.updateDeploymentPromotion(14, { DeploymentID: d.ID, All: false, Groups: ['web'], Eval: ev })
    const snap = store.snapshot()
    expect(snap.deploymentByID(d.ID)).toMatchObject({ StatusDescription: 'Deployment is running', ModifyIndex: 14 })
    expect(snap.deploymentByID(d.ID)!.TaskGroups!.web!.Promoted).toBe(true)
    for (const a of allocs) expect(snap.allocByID(a.ID)!.DeploymentStatus).toMatchObject({ Canary: false, Healthy: true, ModifyIndex: 14 })
    expect(snap.evalByID(ev.ID)!.CreateIndex).toBe(14)
  })

  it('sets health, counts it once and checks the allocations belong to the deployment', () => {
    const { store, d, allocs, job } = canaries()
    store.updateDeploymentAllocHealth(13, { DeploymentID: d.ID, HealthyAllocationIDs: [allocs[0]!.ID], UnhealthyAllocationIDs: [allocs[1]!.ID], Timestamp: new Date(9) })
    const snap = store.snapshot()
    expect(snap.allocByID(allocs[1]!.ID)!.DeploymentStatus).toMatchObject({ Healthy: false, ModifyIndex: 13 })
    expect(snap.deploymentByID(d.ID)!.TaskGroups!.web).toMatchObject({ HealthyAllocs: 1, UnhealthyAllocs: 1 })
    expect(() => store.updateDeploymentAllocHealth(14, { DeploymentID: d.ID, HealthyAllocationIDs: ['ghost'], Timestamp: new Date(9) })).toThrow(NotFoundError)
    const outsider = mockAlloc(job)
    store.upsertAllocs(14, [outsider])
    expect(() => store.updateDeploymentAllocHealth(15, { DeploymentID: d.ID, HealthyAllocationIDs: [outsider.ID], Timestamp: new Date(9) })).toThrow(/is not part of deployment/)
    store.updateDeploymentAllocHealth(15, { DeploymentID: d.ID, Timestamp: new Date(9), DeploymentUpdate: { DeploymentID: d.ID, Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations' } })
    expect(store.snapshot().deploymentByID(d.ID)!.Status).toBe('failed')
    expect(() => store.updateDeploymentPromotion(16, { DeploymentID: d.ID, All: true })).toThrow(InvalidInputError)
  })
})
