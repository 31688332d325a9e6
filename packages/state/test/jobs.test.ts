import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { JOB_TRACKED_VERSIONS, NotFoundError, StateStore } from '../src/index.js'
import { mockAlloc, mockEval, mockJob, mockTaskGroup } from './mock.js'

describe('jobs', () => {
  it('registers a job: indexes, version 0, pending status, a zeroed summary per task group, a version entry', () => {
    const store = new StateStore()
    const job = mockJob({ TaskGroups: [mockTaskGroup('web'), mockTaskGroup('db')] })
    store.upsertJob(1000, job)
    const snap = store.snapshot()
    const got = snap.jobByID('default', job.ID)!
    expect(got).toMatchObject({ CreateIndex: 1000, ModifyIndex: 1000, JobModifyIndex: 1000, Version: 0, Status: 'pending' })
    expect(snap.jobsByScheduler('service').map((j) => j.ID)).toEqual([job.ID])
    expect(snap.jobsByScheduler('batch')).toEqual([])
    expect(snap.jobsByIDPrefix('default', 'mock-service').length).toBe(1)
    expect(snap.jobsByIDPrefix('other', 'mock-service').length).toBe(0)
    const summary = snap.jobSummaryByID('default', job.ID)!
    expect(Object.keys(summary.Summary).sort()).toEqual(['db', 'web'])
    expect(summary.Summary.web).toEqual({ Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0 })
    expect(summary.CreateIndex).toBe(1000)
    expect(snap.jobVersionsByID('default', job.ID).map((j) => j.Version)).toEqual([0])
    expect(snap.index('jobs')).toBe(1000)
    expect(snap.index('job_summary')).toBe(1000)
    expect(snap.index('job_version')).toBe(1000)
  })

  it('bumps the version on update, keeping CreateIndex, and adds new task groups to the summary', () => {
    const store = new StateStore()
    const job = mockJob()
    store.upsertJob(1, job)
    store.upsertJob(2, { ...job, TaskGroups: [mockTaskGroup('web'), mockTaskGroup('cache')] })
    const got = store.snapshot().jobByID('default', job.ID)!
    expect(got).toMatchObject({ CreateIndex: 1, ModifyIndex: 2, JobModifyIndex: 2, Version: 1 })
    const summary = store.snapshot().jobSummaryByID('default', job.ID)!
    expect(Object.keys(summary.Summary).sort()).toEqual(['cache', 'web'])
    expect(summary.ModifyIndex).toBe(2)
  })

  it('keeps the last six versions, and the newest stable one even when it is older', () => {
    const store = new StateStore()
    const job = mockJob()
    for (let i = 1; i <= 9; i++) store.upsertJob(i, job)
    expect(store.snapshot().jobVersionsByID('default', job.ID).map((j) => j.Version)).toEqual([8, 7, 6, 5, 4, 3])
    expect(JOB_TRACKED_VERSIONS).toBe(6)

    const other = mockJob()
    store.upsertJob(10, other) // v0
    store.updateJobStability(11, 'default', other.ID, 0, true)
    for (let i = 12; i <= 17; i++) store.upsertJob(i, { ...other, Stable: false }) // v1..v6
    const versions = store.snapshot().jobVersionsByID('default', other.ID)
    expect(versions.map((j) => j.Version)).toEqual([6, 5, 4, 3, 2, 0])
    expect(versions.at(-1)!.Stable).toBe(true)
  })

  it('stamps SubmitTime from the clock when the job has none', () => {
    const clock = new SimClock(5_000)
    const store = new StateStore({ clock })
    const job = mockJob({ SubmitTime: 0 })
    store.upsertJob(1, job)
    expect(store.snapshot().jobByID('default', job.ID)!.SubmitTime).toBe(5_000 * 1e6)
    const given = mockJob({ SubmitTime: 42 })
    store.upsertJob(2, given)
    expect(store.snapshot().jobByID('default', given.ID)!.SubmitTime).toBe(42)
  })

  it('indexes periodic, parameterized and garbage-collectable jobs; system and periodic jobs run until stopped', () => {
    const store = new StateStore()
    const periodic = mockJob({ Type: 'batch', Periodic: { Enabled: true, Spec: '* * * * *', SpecType: 'cron', ProhibitOverlap: false, TimeZone: 'UTC' } })
    const param = mockJob({ Type: 'batch', ParameterizedJob: { Payload: 'optional' } as never })
    const system = mockJob({ Type: 'system' })
    store.upsertJob(1, periodic)
    store.upsertJob(2, param)
    store.upsertJob(3, system)
    const snap = store.snapshot()
    expect(snap.jobsByPeriodic(true).map((j) => j.ID)).toEqual([periodic.ID])
    expect(snap.jobsByParameterized(true).map((j) => j.ID)).toEqual([param.ID])
    expect(snap.jobByID('default', system.ID)!.Status).toBe('running')
    expect(snap.jobByID('default', periodic.ID)!.Status).toBe('running')
    expect(snap.jobsByGC(true)).toEqual([])
    store.upsertJob(4, { ...system, Stop: true })
    expect(store.snapshot().jobByID('default', system.ID)!.Status).toBe('dead')
    expect(store.snapshot().jobsByGC(true).map((j) => j.ID)).toEqual([system.ID])
  })

  it('deletes a job with its versions and summary; an unknown job is an error', () => {
    const store = new StateStore()
    const job = mockJob()
    store.upsertJob(1, job)
    store.upsertJob(2, job)
    store.deleteJob(3, 'default', job.ID)
    const snap = store.snapshot()
    expect(snap.jobByID('default', job.ID)).toBeUndefined()
    expect(snap.jobVersionsByID('default', job.ID)).toEqual([])
    expect(snap.jobSummaryByID('default', job.ID)).toBeUndefined()
    expect(snap.index('jobs')).toBe(3)
    expect(() => store.deleteJob(4, 'default', job.ID)).toThrow(NotFoundError)
    expect(() => store.deleteJob(4, 'default', job.ID)).toThrow('job not found')
  })

  it('marks a version stable without a new version', () => {
    const store = new StateStore()
    const job = mockJob()
    store.upsertJob(1, job)
    store.updateJobStability(2, 'default', job.ID, 0, true)
    const snap = store.snapshot()
    expect(snap.jobByID('default', job.ID)).toMatchObject({ Stable: true, Version: 0, ModifyIndex: 2, JobModifyIndex: 1 })
    expect(snap.jobByIDAndVersion('default', job.ID, 0)!.Stable).toBe(true)
  })

  it('counts child jobs in the parent summary as they move between statuses', () => {
    const store = new StateStore()
    const parent = mockJob({ Type: 'batch', ParameterizedJob: { Payload: 'optional' } as never })
    store.upsertJob(1, parent)
    const child = mockJob({ Type: 'batch', ParentID: parent.ID, Dispatched: true })
    store.upsertJob(2, child)
    expect(store.snapshot().jobSummaryByID('default', parent.ID)!.Children).toEqual({ Pending: 1, Running: 0, Dead: 0 })
    const alloc = mockAlloc(store.snapshot().jobByID('default', child.ID)!)
    store.upsertAllocs(3, [alloc])
    expect(store.snapshot().jobSummaryByID('default', parent.ID)!.Children).toEqual({ Pending: 0, Running: 1, Dead: 0 })
    store.updateAllocsFromClient(4, [{ ...alloc, ClientStatus: 'complete' }])
    expect(store.snapshot().jobByID('default', child.ID)!.Status).toBe('dead')
    expect(store.snapshot().jobSummaryByID('default', parent.ID)!.Children).toEqual({ Pending: 0, Running: 0, Dead: 1 })
    store.deleteJob(5, 'default', child.ID)
    expect(store.snapshot().jobSummaryByID('default', parent.ID)!.Children).toEqual({ Pending: 0, Running: 0, Dead: 0 })
  })

  it('records and deletes periodic launches', () => {
    const store = new StateStore()
    const launch = { ID: 'p', Namespace: 'default', Launch: new Date(1000), CreateIndex: 0, ModifyIndex: 0 }
    store.upsertPeriodicLaunch(1, launch)
    store.upsertPeriodicLaunch(2, { ...launch, Launch: new Date(2000) })
    expect(store.snapshot().periodicLaunchByID('default', 'p')).toMatchObject({ CreateIndex: 1, ModifyIndex: 2 })
    store.deletePeriodicLaunch(3, 'default', 'p')
    expect(store.snapshot().periodicLaunches()).toEqual([])
    expect(() => store.deletePeriodicLaunch(4, 'default', 'p')).toThrow('launch not found')
  })

  it('job status follows evaluations: pending while one is open, dead once they are done', () => {
    const store = new StateStore()
    const job = mockJob({ Type: 'batch' })
    store.upsertJob(1, job)
    const e = mockEval({ JobID: job.ID })
    store.upsertEvals(2, [e])
    expect(store.snapshot().jobByID('default', job.ID)!.Status).toBe('pending')
    store.upsertEvals(3, [{ ...e, Status: 'complete' }])
    expect(store.snapshot().jobByID('default', job.ID)!.Status).toBe('dead')
    expect(store.snapshot().jobsByGC(true).map((j) => j.ID)).toEqual([job.ID])
  })
})
