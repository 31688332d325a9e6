import { lookupTaskGroup } from './filter.js'
import type { Allocation } from './types/allocation.js'
import {
  AllocDesiredStatusEvict,
  AllocDesiredStatusStop,
  EvalStatusBlocked,
  EvalTriggerFailedFollowUp,
  EvalTriggerQueuedAllocs,
  EvalTriggerRollingUpdate,
} from './types/constants.js'
import type { Duration } from './types/common.js'
import type { Evaluation } from './types/evaluation.js'
import type { Job } from './types/job.js'
import type { Plan, PlanResult } from './types/plan.js'
import { newEvaluation } from './defaults.js'

/** Nomad's `Evaluation.MakePlan`: an empty plan for the eval and its job. */
export function makePlan(ev: Pick<Evaluation, 'ID' | 'Priority'>, job: Job | null): Plan {
  return {
    EvalID: ev.ID,
    EvalToken: '',
    Priority: ev.Priority,
    AllAtOnce: job?.AllAtOnce ?? false,
    Job: job,
    NodeUpdate: {},
    NodeAllocation: {},
    NodePreemptions: {},
    SnapshotIndex: 0,
  }
}

function push(map: Record<string, Allocation[]>, node: string, alloc: Allocation): void {
  ;(map[node] ??= []).push(alloc)
}

/**
 * Nomad's `Plan.AppendStoppedAlloc`: a copy of `alloc` without its job and legacy resources,
 * desired status `stop`, optionally a client status and a follow-up eval, added to NodeUpdate.
 * `now` (Unix ms) stamps the AllocState entry Nomad appends.
 */
export function planAppendStoppedAlloc(plan: Plan, alloc: Allocation, desiredDesc: string, clientStatus: string, followupEvalID: string, now: number): void {
  if (plan.Job == null && alloc.Job != null) plan.Job = alloc.Job
  const stopped: Allocation = {
    ...alloc,
    Job: null,
    Resources: null,
    DesiredStatus: AllocDesiredStatusStop,
    DesiredDescription: desiredDesc,
    ClientStatus: clientStatus !== '' ? clientStatus : alloc.ClientStatus,
    AllocStates: [...(alloc.AllocStates ?? []), { Field: 0, Value: clientStatus, Time: new Date(now) }],
    FollowupEvalID: followupEvalID !== '' ? followupEvalID : alloc.FollowupEvalID,
  }
  push((plan.NodeUpdate ??= {}), alloc.NodeID, stopped)
}

/**
 * Nomad's `Plan.AppendPreemptedAlloc`: the minimal allocation the plan carries for a preemption
 * (ID, job, namespace, desired status `evict`, who preempted it, its resources).
 */
export function planAppendPreemptedAlloc(plan: Plan, alloc: Allocation, preemptingAllocID: string): void {
  const preempted: Allocation = {
    ID: alloc.ID,
    Namespace: alloc.Namespace,
    EvalID: '',
    Name: '',
    NodeID: '',
    NodeName: '',
    JobID: alloc.JobID,
    TaskGroup: '',
    DesiredStatus: AllocDesiredStatusEvict,
    DesiredDescription: `Preempted by alloc ID ${preemptingAllocID}`,
    DesiredTransition: {},
    ClientStatus: '',
    ClientDescription: '',
    PreviousAllocation: '',
    NextAllocation: '',
    DeploymentID: '',
    FollowupEvalID: '',
    PreemptedByAllocation: preemptingAllocID,
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
  }
  if (alloc.AllocatedResources != null) preempted.AllocatedResources = alloc.AllocatedResources
  else {
    preempted.TaskResources = alloc.TaskResources ?? null
    preempted.SharedResources = alloc.SharedResources ?? null
  }
  push((plan.NodePreemptions ??= {}), alloc.NodeID, preempted)
}

/** Nomad's `Plan.AppendAlloc`: sets the allocation's job (null: the plan's) and adds it to NodeAllocation. */
export function planAppendAlloc(plan: Plan, alloc: Allocation, job: Job | null): void {
  alloc.Job = job
  push((plan.NodeAllocation ??= {}), alloc.NodeID, alloc)
}

/** Nomad's `Plan.PopUpdate`: removes `alloc` if it is the last stop added for its node. */
export function planPopUpdate(plan: Plan, alloc: Pick<Allocation, 'ID' | 'NodeID'>): void {
  const list = plan.NodeUpdate?.[alloc.NodeID]
  if (list === undefined || list.length === 0 || list[list.length - 1]!.ID !== alloc.ID) return
  list.pop()
  if (list.length === 0) delete plan.NodeUpdate![alloc.NodeID]
}

/** Nomad's `Plan.IsNoOp`: nothing to stop, place or change in deployments. */
export function planIsNoOp(plan: Plan): boolean {
  return (
    Object.keys(plan.NodeUpdate ?? {}).length === 0 &&
    Object.keys(plan.NodeAllocation ?? {}).length === 0 &&
    plan.Deployment == null &&
    (plan.DeploymentUpdates?.length ?? 0) === 0
  )
}

/**
 * Nomad's `Plan.NormalizeAllocations` (0.9.2+): stops keep only ID, DesiredDescription,
 * ClientStatus and FollowupEvalID; preemptions only ID and PreemptedByAllocation. The applier
 * rebuilds the rest from its state (see the planner).
 */
export function planNormalizeAllocations(plan: Plan): void {
  for (const list of Object.values(plan.NodeUpdate ?? {})) {
    list.forEach((a, i) => {
      list[i] = { ID: a.ID, DesiredDescription: a.DesiredDescription, ClientStatus: a.ClientStatus, FollowupEvalID: a.FollowupEvalID } as Allocation
    })
  }
  for (const list of Object.values(plan.NodePreemptions ?? {})) {
    list.forEach((a, i) => {
      list[i] = { ID: a.ID, PreemptedByAllocation: a.PreemptedByAllocation } as Allocation
    })
  }
}

/** Nomad's `PlanResult.IsNoOp`. */
export function planResultIsNoOp(result: PlanResult): boolean {
  return (
    Object.keys(result.NodeUpdate ?? {}).length === 0 &&
    Object.keys(result.NodeAllocation ?? {}).length === 0 &&
    (result.DeploymentUpdates?.length ?? 0) === 0 &&
    result.Deployment == null
  )
}

/** Nomad's `PlanResult.FullCommit`: whether every placement of `plan` was committed, with the counts. */
export function planResultFullCommit(result: PlanResult, plan: Plan): { full: boolean; expected: number; actual: number } {
  let expected = 0
  let actual = 0
  for (const [node, list] of Object.entries(plan.NodeAllocation ?? {})) {
    expected += list.length
    actual += result.NodeAllocation?.[node]?.length ?? 0
  }
  return { full: expected === actual, expected, actual }
}

/** What a follow-up eval needs from the caller: a fresh ID and the time (Unix nanoseconds). */
export interface NewEvalContext {
  id: string
  nowNanos: number
}

function followUp(ev: Evaluation, ctx: NewEvalContext, fields: Partial<Evaluation>): Evaluation {
  return newEvaluation({
    ID: ctx.id,
    Namespace: ev.Namespace,
    Priority: ev.Priority,
    Type: ev.Type,
    JobID: ev.JobID,
    JobModifyIndex: ev.JobModifyIndex,
    PreviousEval: ev.ID,
    CreateTime: ctx.nowNanos,
    ModifyTime: ctx.nowNanos,
    ...fields,
  })
}

/** Nomad's `Evaluation.NextRollingEval`: a pending `rolling-update` eval after `wait`. */
export function nextRollingEval(ev: Evaluation, wait: Duration, ctx: NewEvalContext): Evaluation {
  return followUp(ev, ctx, { TriggeredBy: EvalTriggerRollingUpdate, Wait: wait })
}

/** Nomad's `Evaluation.CreateBlockedEval`: a `blocked` `queued-allocs` eval for the placements that failed. */
export function createBlockedEval(ev: Evaluation, classEligibility: Record<string, boolean> | null, escaped: boolean, quotaReached: string, ctx: NewEvalContext): Evaluation {
  return followUp(ev, ctx, {
    TriggeredBy: EvalTriggerQueuedAllocs,
    Status: EvalStatusBlocked,
    ClassEligibility: classEligibility,
    EscapedComputedClass: escaped,
    QuotaLimitReached: quotaReached,
  })
}

/** Nomad's `Evaluation.CreateFailedFollowUpEval`: a pending `failed-follow-up` eval after `wait`. */
export function createFailedFollowUpEval(ev: Evaluation, wait: Duration, ctx: NewEvalContext): Evaluation {
  return followUp(ev, ctx, { TriggeredBy: EvalTriggerFailedFollowUp, Wait: wait })
}

/** Nomad's `Evaluation.UpdateModifyTime`: now, but always after CreateTime (clocks of servers differ). */
export function updateEvalModifyTime(ev: Evaluation, nowNanos: number): void {
  ev.ModifyTime = nowNanos <= ev.CreateTime ? ev.CreateTime + 1 : nowNanos
}

/** Nomad's `Allocation.ShouldMigrate`: a sticky, migrating disk follows a replacement allocation. */
export function allocShouldMigrate(alloc: Allocation): boolean {
  if (alloc.PreviousAllocation === '') return false
  if (alloc.DesiredStatus === AllocDesiredStatusStop || alloc.DesiredStatus === AllocDesiredStatusEvict) return false
  const disk = lookupTaskGroup(alloc.Job, alloc.TaskGroup)?.EphemeralDisk
  return disk != null && disk.Migrate && disk.Sticky
}
