import { describe, expect, it } from 'vitest'
import type { ApplyPlanResultsRequest, Job } from '@nomadic/structs'
import { NotFoundError, StateStore } from '../src/index.js'
import { mockAlloc, mockDeployment, mockEval, mockJob } from './mock.js'

function setup(): { store: StateStore; job: Job; evalID: string } {
  const store = new StateStore()
  store.upsertJob(10, mockJob())
  const job = store.snapshot().jobs()[0]!
  const e = mockEval({ JobID: job.ID })
  store.upsertEvals(11, [e])
  return { store, job, evalID: e.ID }
}

const request = (r: Partial<ApplyPlanResultsRequest>): ApplyPlanResultsRequest => ({ EvalID: '', ...r })

describe('plan results', () => {
  it('places allocations with the plan job attached and touches the eval', () => {
    const { store, job, evalID } = setup()
    const a = mockAlloc(job, { Job: null, EvalID: evalID })
    store.upsertPlanResults(20, request({ Job: job, AllocsUpdated: [a], EvalID: evalID }))
    const snap = store.snapshot()
    expect(snap.allocByID(a.ID)!.Job).toBe(job)
    expect(snap.allocByID(a.ID)!.CreateIndex).toBe(20)
    expect(snap.evalByID(evalID)!.ModifyIndex).toBe(20)
    expect(snap.jobSummaryByID('default', job.ID)!.Summary.web!.Starting).toBe(1)
  })

  it('denormalizes stopped and preempted diffs against the store', () => {
    const { store, job, evalID } = setup()
    const stop = mockAlloc(job)
    const preempt = mockAlloc(job)
    store.upsertAllocs(12, [stop, preempt])
    store.updateAllocsFromClient(13, [{ ...stop, ClientStatus: 'running' }, { ...preempt, ClientStatus: 'running' }])
    store.upsertPlanResults(20, request({
      Job: job,
      EvalID: evalID,
      AllocsStopped: [{ ID: stop.ID, DesiredDescription: 'alloc not needed', ClientStatus: 'lost', ModifyTime: 77 }],
      AllocsPreempted: [{ ID: preempt.ID, PreemptedByAllocation: 'winner' }],
    }))
    const snap = store.snapshot()
    expect(snap.allocByID(stop.ID)).toMatchObject({ DesiredStatus: 'stop', DesiredDescription: 'alloc not needed', ClientStatus: 'lost', ModifyTime: 77, ModifyIndex: 20 })
    expect(snap.allocByID(stop.ID)!.Job?.ID).toBe(job.ID)
    expect(snap.allocByID(preempt.ID)).toMatchObject({ DesiredStatus: 'evict', PreemptedByAllocation: 'winner', DesiredDescription: 'Preempted by alloc ID winner', ClientStatus: 'running' })
    expect(snap.allocsByNodeTerminal(stop.NodeID, true).map((a) => a.ID)).toEqual([stop.ID])
    expect(snap.jobSummaryByID('default', job.ID)!.Summary.web).toMatchObject({ Running: 1, Lost: 1 })
  })

  it('creates the deployment, applies deployment updates and writes preemption evals', () => {
    const { store, job, evalID } = setup()
    const old = mockDeployment(job)
    store.upsertDeployment(12, old)
    const d = mockDeployment(job)
    const followup = mockEval({ JobID: job.ID })
    store.upsertPlanResults(20, request({
      Job: job,
      EvalID: evalID,
      Deployment: d,
      DeploymentUpdates: [{ DeploymentID: old.ID, Status: 'cancelled', StatusDescription: 'Cancelled due to newer version of job' }],
      PreemptionEvals: [followup],
    }))
    const snap = store.snapshot()
    expect(snap.deploymentByID(d.ID)!.CreateIndex).toBe(20)
    expect(snap.deploymentByID(old.ID)!.Status).toBe('cancelled')
    expect(snap.latestDeploymentByJobID('default', job.ID)!.ID).toBe(d.ID)
    expect(snap.evalByID(followup.ID)!.CreateIndex).toBe(20)
  })

  it('rejects a diff of an unknown allocation or an unknown eval and changes nothing', () => {
    const { store, job, evalID } = setup()
    const a = mockAlloc(job)
    const before = store.snapshot()
    expect(() => store.upsertPlanResults(20, request({ Job: job, AllocsUpdated: [a], AllocsStopped: [{ ID: 'ghost' }], EvalID: evalID }))).toThrow("alloc ghost doesn't exist")
    expect(() => store.upsertPlanResults(20, request({ Job: job, AllocsUpdated: [a], EvalID: 'ghost-eval' }))).toThrow(NotFoundError)
    const after = store.snapshot()
    expect(after.allocs()).toEqual([])
    expect(after.indexes()).toEqual(before.indexes())
    expect(after.evalByID(evalID)).toBe(before.evalByID(evalID))
  })
})

describe('deployments', () => {
  it('updates the status of an active deployment; success marks the job version stable', () => {
    const { store, job } = setup()
    const d = mockDeployment(job)
    store.upsertDeployment(12, d)
    const e = mockEval({ JobID: job.ID })
    store.updateDeploymentStatus(13, { DeploymentUpdate: { DeploymentID: d.ID, Status: 'successful', StatusDescription: 'done' }, Eval: e })
    const snap = store.snapshot()
    expect(snap.deploymentByID(d.ID)).toMatchObject({ Status: 'successful', ModifyIndex: 13, CreateIndex: 12 })
    expect(snap.jobByID('default', job.ID)!.Stable).toBe(true)
    expect(snap.evalByID(e.ID)).toBeDefined()
    expect(() => store.updateDeploymentStatus(14, { DeploymentUpdate: { DeploymentID: d.ID, Status: 'failed', StatusDescription: '' } })).toThrow(/has terminal status/)
    expect(() => store.updateDeploymentStatus(14, { DeploymentUpdate: { DeploymentID: 'nope', Status: 'failed', StatusDescription: '' } })).toThrow(/does not exist/)
  })

  it('lists deployments of the current job unless asked for all, and deletes them', () => {
    const { store, job } = setup()
    const d1 = mockDeployment(job)
    const d2 = mockDeployment(job, { JobCreateIndex: 1 })
    store.upsertDeployment(12, d1)
    store.upsertDeployment(13, d2)
    expect(store.snapshot().deploymentsByJobID('default', job.ID, false).map((d) => d.ID)).toEqual([d1.ID])
    expect(store.snapshot().deploymentsByJobID('default', job.ID, true).length).toBe(2)
    expect(() => store.deleteDeployment(14, [d1.ID, 'nope'])).toThrow('deployment not found')
    store.deleteDeployment(14, [d1.ID])
    expect(store.snapshot().deployments().map((d) => d.ID)).toEqual([d2.ID])
  })
})
