import { describe, expect, it } from 'vitest'
import type { Job } from '@nomadic/structs'
import { InvalidInputError, StateStore } from '../src/index.js'
import { mockAlloc, mockDeployment, mockEval, mockJob, mockNode } from './mock.js'

function withJob(overrides: Partial<Job> = {}): { store: StateStore; job: Job } {
  const store = new StateStore()
  store.upsertJob(10, mockJob(overrides))
  const job = store.snapshot().jobs()[0]!
  return { store, job }
}

describe('evaluations', () => {
  it('stamps indexes, finds evals by job and status, and keeps CreateIndex on update', () => {
    const { store, job } = withJob()
    const e = mockEval({ JobID: job.ID })
    store.upsertEvals(11, [e])
    store.upsertEvals(12, [{ ...e, Status: 'blocked' }])
    const snap = store.snapshot()
    expect(snap.evalByID(e.ID)).toMatchObject({ CreateIndex: 11, ModifyIndex: 12, Status: 'blocked' })
    expect(snap.evalsByJob('default', job.ID).map((x) => x.ID)).toEqual([e.ID])
    expect(snap.evalsByJobStatus('default', job.ID, 'blocked').map((x) => x.ID)).toEqual([e.ID])
    expect(snap.evalsByJobStatus('default', job.ID, 'pending')).toEqual([])
    expect(snap.evalsByIDPrefix(e.ID.slice(0, 20)).map((x) => x.ID)).toEqual([e.ID])
    expect(snap.index('evals')).toBe(12)
  })

  it('cancels the job blocked evals when an eval completes without failures', () => {
    const { store, job } = withJob()
    const blocked = mockEval({ JobID: job.ID, Status: 'blocked' })
    const other = mockEval({ JobID: 'other-job', Status: 'blocked' })
    store.upsertEvals(11, [blocked, other])
    store.upsertEvals(12, [mockEval({ JobID: job.ID, Status: 'complete' })])
    const snap = store.snapshot()
    expect(snap.evalByID(blocked.ID)).toMatchObject({ Status: 'canceled', ModifyIndex: 12, StatusDescription: `evaluation "${blocked.ID}" successful` })
    expect(snap.evalByID(other.ID)!.Status).toBe('blocked')
    store.upsertEvals(13, [mockEval({ JobID: 'other-job', Status: 'complete', FailedTGAllocs: { web: {} as never } })])
    expect(store.snapshot().evalByID(other.ID)!.Status).toBe('blocked')
  })

  it('writes queued counts into the job summary', () => {
    const { store, job } = withJob()
    store.upsertEvals(11, [mockEval({ JobID: job.ID, QueuedAllocations: { web: 7, unknown: 3 } })])
    const summary = store.snapshot().jobSummaryByID('default', job.ID)!
    expect(summary.Summary.web!.Queued).toBe(7)
    expect(summary.Summary.unknown).toBeUndefined()
    expect(summary.ModifyIndex).toBe(11)
  })

  it('deletes evals and allocations, skipping absent IDs, and recomputes job status', () => {
    const { store, job } = withJob({ Type: 'batch' })
    const e = mockEval({ JobID: job.ID })
    const a = mockAlloc(job, { ClientStatus: 'complete', DesiredStatus: 'run' })
    store.upsertEvals(11, [e])
    store.upsertAllocs(12, [{ ...a, ClientStatus: 'pending' }])
    store.updateAllocsFromClient(13, [{ ...a, ClientStatus: 'complete' }])
    store.deleteEval(14, [e.ID, 'absent'], [a.ID])
    const snap = store.snapshot()
    expect(snap.evals()).toEqual([])
    expect(snap.allocs()).toEqual([])
    expect(snap.allocsByNode(a.NodeID)).toEqual([])
    expect(snap.index('evals')).toBe(14)
    expect(snap.index('allocs')).toBe(14)
    expect(snap.jobByID('default', job.ID)!.Status).toBe('dead')
  })
})

describe('allocations', () => {
  it('refuses a new allocation without a job and changes nothing', () => {
    const { store, job } = withJob()
    expect(() => store.upsertAllocs(11, [mockAlloc(job), mockAlloc(job, { Job: null })])).toThrow(InvalidInputError)
    expect(store.snapshot().allocs()).toEqual([])
    expect(store.snapshot().jobSummaryByID('default', job.ID)!.Summary.web!.Starting).toBe(0)
  })

  it('indexes by node (terminal flag), job, eval and deployment, and counts the placement', () => {
    const { store, job } = withJob()
    const node = mockNode()
    const d = mockDeployment(job)
    store.upsertDeployment(11, d)
    store.upsertEvals(12, [mockEval({ JobID: job.ID, QueuedAllocations: { web: 2 } })])
    const a = mockAlloc(job, { NodeID: node.ID, DeploymentID: d.ID })
    store.upsertAllocs(13, [a])
    const snap = store.snapshot()
    expect(snap.allocByID(a.ID)).toMatchObject({ CreateIndex: 13, ModifyIndex: 13, AllocModifyIndex: 13 })
    expect(snap.allocsByNode(node.ID).map((x) => x.ID)).toEqual([a.ID])
    expect(snap.allocsByNodeTerminal(node.ID, false).map((x) => x.ID)).toEqual([a.ID])
    expect(snap.allocsByNodeTerminal(node.ID, true)).toEqual([])
    expect(snap.allocsByJob('default', job.ID, false).map((x) => x.ID)).toEqual([a.ID])
    expect(snap.allocsByEval(a.EvalID).map((x) => x.ID)).toEqual([a.ID])
    expect(snap.allocsByDeployment(d.ID).map((x) => x.ID)).toEqual([a.ID])
    expect(snap.jobSummaryByID('default', job.ID)!.Summary.web).toMatchObject({ Starting: 1, Queued: 1 })
    expect(snap.jobByID('default', job.ID)!.Status).toBe('running')
    expect(snap.deploymentByID(d.ID)!.TaskGroups!.web!.PlacedAllocs).toBe(1)
  })

  it('keeps the client authority fields on a scheduler update unless it marks the alloc lost', () => {
    const { store, job } = withJob()
    const a = mockAlloc(job)
    store.upsertAllocs(11, [a])
    store.updateAllocsFromClient(12, [{ ...a, ClientStatus: 'running', TaskStates: { web: { State: 'running' } as never } }])
    store.upsertAllocs(13, [{ ...a, Job: null, ClientStatus: 'pending', TaskStates: null, DesiredStatus: 'stop' }])
    let got = store.snapshot().allocByID(a.ID)!
    expect(got).toMatchObject({ ClientStatus: 'running', DesiredStatus: 'stop', CreateIndex: 11, ModifyIndex: 13 })
    expect(got.TaskStates?.web?.State).toBe('running')
    expect(got.Job?.ID).toBe(job.ID)
    expect(store.snapshot().allocsByNodeTerminal(a.NodeID, true).map((x) => x.ID)).toEqual([a.ID])
    store.upsertAllocs(14, [{ ...a, ClientStatus: 'lost', DesiredStatus: 'stop' }])
    got = store.snapshot().allocByID(a.ID)!
    expect(got.ClientStatus).toBe('lost')
    expect(store.snapshot().jobSummaryByID('default', job.ID)!.Summary.web).toMatchObject({ Running: 0, Lost: 1 })
  })

  it('links a replacement to the allocation it replaces', () => {
    const { store, job } = withJob()
    const prev = mockAlloc(job)
    store.upsertAllocs(11, [prev])
    const next = mockAlloc(job, { PreviousAllocation: prev.ID })
    store.upsertAllocs(12, [next])
    expect(store.snapshot().allocByID(prev.ID)).toMatchObject({ NextAllocation: next.ID, ModifyIndex: 12 })
  })

  it('takes client status, task states, health and modify time from clients; unknown allocs are skipped', () => {
    const { store, job } = withJob()
    const a = mockAlloc(job)
    store.upsertAllocs(11, [a])
    store.updateAllocsFromClient(12, [
      { ...a, ClientStatus: 'running', ClientDescription: 'up', ModifyTime: 99, DesiredStatus: 'stop', DeploymentStatus: { Healthy: true, Timestamp: new Date(5), Canary: false, ModifyIndex: 0 } },
      mockAlloc(job, { ClientStatus: 'running' }),
    ])
    const snap = store.snapshot()
    expect(snap.allocs().length).toBe(1)
    expect(snap.allocByID(a.ID)).toMatchObject({ ClientStatus: 'running', ClientDescription: 'up', DesiredStatus: 'run', ModifyTime: 99, ModifyIndex: 12 })
    expect(snap.allocByID(a.ID)!.DeploymentStatus).toMatchObject({ Healthy: true, ModifyIndex: 12 })
    expect(snap.jobSummaryByID('default', job.ID)!.Summary.web).toMatchObject({ Starting: 0, Running: 1 })
  })

  it('counts deployment health once per allocation and starts the progress deadline', () => {
    const { store, job } = withJob()
    const d = mockDeployment(job)
    d.TaskGroups!.web!.ProgressDeadline = 10 * 60e9
    store.upsertDeployment(11, d)
    const a = mockAlloc(job, { DeploymentID: d.ID, ModifyTime: 1_000 * 1e6, DeploymentStatus: { Healthy: null, Timestamp: new Date(0), Canary: true, ModifyIndex: 0 } })
    store.upsertAllocs(12, [a])
    let state = store.snapshot().deploymentByID(d.ID)!.TaskGroups!.web!
    expect(state).toMatchObject({ PlacedAllocs: 1, HealthyAllocs: 0, PlacedCanaries: [a.ID] })
    expect(state.RequireProgressBy.getTime()).toBe(1_000 + 600_000)
    const healthy = { Healthy: true, Timestamp: new Date(2_000_000), Canary: true, ModifyIndex: 0 }
    store.updateAllocsFromClient(13, [{ ...a, ClientStatus: 'running', DeploymentStatus: healthy }])
    store.updateAllocsFromClient(14, [{ ...a, ClientStatus: 'running', DeploymentStatus: healthy }])
    state = store.snapshot().deploymentByID(d.ID)!.TaskGroups!.web!
    expect(state).toMatchObject({ PlacedAllocs: 1, HealthyAllocs: 1, UnhealthyAllocs: 0 })
    expect(state.RequireProgressBy.getTime()).toBe(2_000_000 + 600_000)
    store.updateAllocsFromClient(15, [{ ...a, ClientStatus: 'running', DeploymentStatus: { ...healthy, Healthy: false } }])
    state = store.snapshot().deploymentByID(d.ID)!.TaskGroups!.web!
    expect(state).toMatchObject({ HealthyAllocs: 0, UnhealthyAllocs: 1 })
  })

  it('sets desired transitions and writes their evals', () => {
    const { store, job } = withJob()
    const a = mockAlloc(job)
    store.upsertAllocs(11, [a])
    const e = mockEval({ JobID: job.ID })
    store.updateAllocsDesiredTransitions(12, { [a.ID]: { Migrate: true }, absent: { Migrate: true } }, [e])
    expect(store.snapshot().allocByID(a.ID)).toMatchObject({ DesiredTransition: { Migrate: true }, ModifyIndex: 12 })
    expect(store.snapshot().evalByID(e.ID)!.CreateIndex).toBe(12)
  })

  it('leaves allocations of an earlier job with the same ID out unless asked for all', () => {
    const { store, job } = withJob()
    const old = mockAlloc(job)
    store.upsertAllocs(11, [old])
    store.deleteJob(12, 'default', job.ID)
    store.upsertJob(13, mockJob({ ID: job.ID }))
    const fresh = store.snapshot().jobByID('default', job.ID)!
    const a = mockAlloc(fresh)
    store.upsertAllocs(14, [a])
    expect(store.snapshot().allocsByJob('default', job.ID, false).map((x) => x.ID)).toEqual([a.ID])
    expect(store.snapshot().allocsByJob('default', job.ID, true).length).toBe(2)
    expect(store.snapshot().jobSummaryByID('default', job.ID)!.Summary.web!.Starting).toBe(1)
  })

  it('rebuilds job summaries from the allocations', () => {
    const { store, job } = withJob()
    const allocs = [mockAlloc(job), mockAlloc(job), mockAlloc(job)]
    store.upsertAllocs(11, allocs)
    store.updateAllocsFromClient(12, [{ ...allocs[0]!, ClientStatus: 'running' }, { ...allocs[1]!, ClientStatus: 'failed' }])
    store.upsertJobSummary(13, { ...store.snapshot().jobSummaryByID('default', job.ID)!, Summary: { web: { Queued: 9, Complete: 9, Failed: 9, Running: 9, Starting: 9, Lost: 9 } } })
    store.reconcileJobSummaries(14)
    const summary = store.snapshot().jobSummaryByID('default', job.ID)!
    expect(summary.Summary.web).toEqual({ Queued: 0, Complete: 0, Failed: 1, Running: 1, Starting: 1, Lost: 0 })
    expect(summary).toMatchObject({ CreateIndex: job.CreateIndex, ModifyIndex: 14 })
  })
})
