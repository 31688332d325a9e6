import { describe, expect, it } from 'vitest'
import {
  GoTime,
  Minute,
  Second,
  allocLastEventTime,
  allocNextDelay,
  allocNextRescheduleTime,
  allocRescheduleEligible,
  allocShouldMigrate,
  allocShouldReschedule,
  createBlockedEval,
  createFailedFollowUpEval,
  filterTerminalAllocs,
  makePlan,
  mockAlloc,
  mockEval,
  mockJob,
  nextRollingEval,
  planAppendAlloc,
  planAppendPreemptedAlloc,
  planAppendStoppedAlloc,
  planIsNoOp,
  planNormalizeAllocations,
  planPopUpdate,
  planResultFullCommit,
  planResultIsNoOp,
  removeAllocs,
  allocIndex,
  allocName,
  timeToUnixNanos,
  updateEvalModifyTime,
  type Allocation,
} from '../src/index.js'

describe('plans', () => {
  it('collects stops, placements and preemptions per node', () => {
    const ev = mockEval()
    const job = mockJob()
    const plan = makePlan(ev, job)
    expect(plan).toMatchObject({ EvalID: ev.ID, Priority: 50, AllAtOnce: false })
    expect(planIsNoOp(plan)).toBe(true)
    const running = mockAlloc()
    planAppendStoppedAlloc(plan, running, 'alloc not needed', 'complete', 'follow', 1_000)
    const stopped = plan.NodeUpdate![running.NodeID]![0]!
    expect(stopped).toMatchObject({ ID: running.ID, DesiredStatus: 'stop', DesiredDescription: 'alloc not needed', ClientStatus: 'complete', FollowupEvalID: 'follow', Job: null })
    expect(stopped.AllocStates![0]).toEqual({ Field: 0, Value: 'complete', Time: new Date(1_000) })
    expect(running.DesiredStatus).toBe('run')
    expect(planIsNoOp(plan)).toBe(false)
    const placed = mockAlloc()
    planAppendAlloc(plan, placed, null)
    expect(plan.NodeAllocation![placed.NodeID]).toEqual([placed])
    const victim = mockAlloc()
    planAppendPreemptedAlloc(plan, victim, placed.ID)
    expect(plan.NodePreemptions![victim.NodeID]![0]).toMatchObject({ ID: victim.ID, DesiredStatus: 'evict', PreemptedByAllocation: placed.ID, DesiredDescription: `Preempted by alloc ID ${placed.ID}` })
    planNormalizeAllocations(plan)
    expect(plan.NodeUpdate![running.NodeID]![0]).toEqual({ ID: running.ID, DesiredDescription: 'alloc not needed', ClientStatus: 'complete', FollowupEvalID: 'follow' })
    expect(plan.NodePreemptions![victim.NodeID]![0]).toEqual({ ID: victim.ID, PreemptedByAllocation: placed.ID })
    planPopUpdate(plan, { ID: 'other', NodeID: running.NodeID })
    expect(plan.NodeUpdate![running.NodeID]).toHaveLength(1)
    planPopUpdate(plan, running)
    expect(plan.NodeUpdate![running.NodeID]).toBeUndefined()
  })

  it('compares results with plans', () => {
    const plan = makePlan(mockEval(), null)
    const a = mockAlloc()
    const b = { ...mockAlloc(), NodeID: 'n2' }
    planAppendAlloc(plan, a, null)
    planAppendAlloc(plan, b, null)
    const partial = { NodeAllocation: { [a.NodeID]: [a] }, RefreshIndex: 10, AllocIndex: 0 }
    expect(planResultFullCommit(partial, plan)).toEqual({ full: false, expected: 2, actual: 1 })
    expect(planResultIsNoOp(partial)).toBe(false)
    expect(planResultIsNoOp({ RefreshIndex: 0, AllocIndex: 0 })).toBe(true)
  })
})

describe('follow-up evals', () => {
  it('chain to the eval they follow', () => {
    const ev = { ...mockEval(), JobModifyIndex: 7, CreateTime: 5 }
    const ctx = { id: 'new', nowNanos: 100 }
    expect(createBlockedEval(ev, { 'v1:1': true }, true, '', ctx)).toMatchObject({
      ID: 'new', Status: 'blocked', TriggeredBy: 'queued-allocs', PreviousEval: ev.ID, JobID: ev.JobID, JobModifyIndex: 7,
      ClassEligibility: { 'v1:1': true }, EscapedComputedClass: true, CreateTime: 100, ModifyTime: 100,
    })
    expect(nextRollingEval(ev, 30 * Second, ctx)).toMatchObject({ Status: 'pending', TriggeredBy: 'rolling-update', Wait: 30 * Second })
    expect(createFailedFollowUpEval(ev, Minute, ctx)).toMatchObject({ Status: 'pending', TriggeredBy: 'failed-follow-up', Wait: Minute })
    updateEvalModifyTime(ev, 3)
    expect(ev.ModifyTime).toBe(6)
    updateEvalModifyTime(ev, 50)
    expect(ev.ModifyTime).toBe(50)
  })
})

describe('allocation lists and names', () => {
  it('removes by ID and keeps the newest terminal alloc per name', () => {
    const [a, b, c] = [mockAlloc(), mockAlloc(), mockAlloc()]
    expect(removeAllocs([a!, b!, c!], [b!])).toEqual([a, c])
    const old = { ...mockAlloc(), Name: 'x', ClientStatus: 'failed', CreateIndex: 1 }
    const newer = { ...mockAlloc(), Name: 'x', DesiredStatus: 'stop', CreateIndex: 5 }
    const live = mockAlloc()
    const { live: kept, terminalByName } = filterTerminalAllocs([old, live, newer])
    expect(kept).toEqual([live])
    expect(terminalByName.get('x')).toBe(newer)
  })
  it('names allocations as Nomad does', () => {
    expect(allocName('job', 'web', 3)).toBe('job.web[3]')
    expect(allocIndex({ Name: 'job.web[12]', JobID: 'job', TaskGroup: 'web' })).toBe(12)
    expect(allocIndex({ Name: 'x', JobID: 'job', TaskGroup: 'web' })).toBe(0)
  })
})

describe('rescheduling', () => {
  function failed(fn: 'constant' | 'exponential' | 'fibonacci', delays: number[], attempts = 0, unlimited = true): Allocation {
    const a = mockAlloc()
    a.ClientStatus = 'failed'
    a.ModifyTime = 1_000 * 1e9
    a.Job!.TaskGroups![0]!.ReschedulePolicy = { Attempts: attempts, Interval: 10 * Minute, Delay: 5 * Second, DelayFunction: fn, MaxDelay: Minute, Unlimited: unlimited }
    a.RescheduleTracker = { Events: delays.map((d, i) => ({ RescheduleTime: (900 + i) * 1e9, PrevAllocID: 'p', PrevNodeID: 'n', Delay: d })) }
    return a
  }
  it('computes delays per delay function, capped and reset at the ceiling', () => {
    expect(allocNextDelay(failed('constant', [5 * Second]))).toBe(5 * Second)
    expect(allocNextDelay(failed('exponential', [5 * Second, 10 * Second]))).toBe(20 * Second)
    expect(allocNextDelay(failed('fibonacci', [5 * Second, 10 * Second]))).toBe(15 * Second)
    expect(allocNextDelay(failed('exponential', []))).toBe(5 * Second)
    // 40 s doubled passes the 1 min ceiling; the last attempt was long ago, so it starts over.
    expect(allocNextDelay(failed('exponential', [40 * Second]))).toBe(5 * Second)
  })
  it('counts attempts within the interval', () => {
    const a = failed('constant', [5 * Second, 5 * Second], 2, false)
    const policy = a.Job!.TaskGroups![0]!.ReschedulePolicy!
    expect(allocRescheduleEligible(a, policy, 1_000 * 1e9)).toBe(false)
    expect(allocRescheduleEligible(a, policy, 10_000 * 1e9)).toBe(true)
    expect(allocShouldReschedule(a, policy, 10_000 * 1e9)).toBe(true)
    expect(allocShouldReschedule({ ...a, DesiredStatus: 'stop' }, policy, 10_000 * 1e9)).toBe(false)
    expect(allocNextRescheduleTime(a)).toEqual({ time: 1_000 * 1e9 + 5 * Second, eligible: false })
    expect(allocNextRescheduleTime(failed('constant', [], 0, true))).toEqual({ time: 1_000 * 1e9 + 5 * Second, eligible: true })
  })
  it('takes the failure time from the tasks when they finished', () => {
    const a = failed('constant', [])
    a.TaskStates = { web: { State: 'dead', Failed: true, Restarts: 0, LastRestart: new Date(0), StartedAt: new Date(0), FinishedAt: new GoTime(2_000_000, 123, -1) } }
    expect(allocLastEventTime(a)).toBe(2_000 * 1e9 + 123)
    expect(timeToUnixNanos(new Date(1))).toBe(1_000_000)
  })
  it('migrates sticky disks only', () => {
    const a = mockAlloc()
    a.PreviousAllocation = 'prev'
    expect(allocShouldMigrate(a)).toBe(false)
    a.Job!.TaskGroups![0]!.EphemeralDisk = { Sticky: true, Migrate: true, SizeMB: 10 }
    expect(allocShouldMigrate(a)).toBe(true)
  })
})

describe('clone', () => {
  it('deep-copies data-model values and keeps Go times exact', async () => {
    const { clone, mockAlloc: alloc } = await import('../src/index.js')
    const a = alloc()
    a.TaskStates = { web: { State: 'running', Failed: false, Restarts: 0, LastRestart: new GoTime(5_000, 5_000_123, 60), StartedAt: new Date(7), FinishedAt: new Date(8) } }
    a.Job!.Payload = new Uint8Array([1, 2, 3])
    const b = clone(a)
    expect(b).toEqual(a)
    expect(b.TaskStates!['web']!.LastRestart).toBeInstanceOf(GoTime)
    expect((b.TaskStates!['web']!.LastRestart as GoTime).nanosecond).toBe(5_000_123)
    b.Job!.TaskGroups![0]!.Count = 99
    b.Job!.Payload![0] = 9
    expect(a.Job!.TaskGroups![0]!.Count).toBe(10)
    expect(a.Job!.Payload![0]).toBe(1)
  })
})
