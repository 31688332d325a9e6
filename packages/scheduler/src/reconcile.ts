import type { Allocation, DesiredUpdates, Deployment, DeploymentState, DeploymentStatusUpdate, Evaluation, Job, Node, TaskGroup } from '@nomadic/structs'
import {
  allocIndex,
  allocName,
  allocNextRescheduleTime,
  allocServerTerminal,
  allocTerminal,
  AllocClientStatusComplete,
  AllocClientStatusFailed,
  AllocClientStatusLost,
  createFailedFollowUpEval,
  DeploymentStatusCancelled,
  DeploymentStatusFailed,
  DeploymentStatusPaused,
  DeploymentStatusRunning,
  NodeStatusDown,
  zeroTime,
} from '@nomadic/structs'
import { tasksUpdated } from './updates.js'

// Nomad's descriptions of why the scheduler stops an allocation.
export const allocNotNeeded = 'alloc not needed due to job update'
export const allocMigrating = 'alloc is being migrated'
export const allocUpdating = 'alloc is being updated due to job update'
export const allocLost = 'alloc is lost since its node is down'
export const allocInPlace = 'alloc updating in-place'
export const allocRescheduled = 'alloc was rescheduled because it failed'
export const reschedulingFollowupEvalDesc = 'created for delayed rescheduling'

/** An allocation to place. */
export interface PlacementRequest {
  name: string
  tg: TaskGroup
  /** The allocation this one replaces (lost, rescheduled, migrated or destructively updated). */
  previous?: Allocation
  canary: boolean
  reschedule: boolean
  /** The deployment the new allocation belongs to ('' for none). */
  deploymentID?: string
}

/** An allocation to stop. */
export interface StopRequest {
  alloc: Allocation
  description: string
  clientStatus: string
  followupEvalID: string
}

/** What the reconciler decided for a job. */
export interface ReconcileResult {
  /** A deployment to create. */
  deployment: Deployment | undefined
  deploymentUpdates: DeploymentStatusUpdate[]
  place: PlacementRequest[]
  /** Destructive updates and migrations: stop the old one, place its replacement. */
  replace: Array<{ stop: StopRequest; place: PlacementRequest }>
  inplace: Allocation[]
  stop: StopRequest[]
  desiredTGUpdates: Record<string, DesiredUpdates>
  /** Follow-up evals for allocations to reschedule later. */
  followupEvals: Evaluation[]
  /** Allocations whose FollowupEvalID was set (an attribute update in the plan). */
  attributeUpdates: Allocation[]
}

/** What the reconciler needs to know. */
export interface ReconcileInput {
  job: Job | undefined
  batch: boolean
  eval: Evaluation
  /** The job's latest deployment. */
  deployment: Deployment | undefined
  /** Every allocation of the job. */
  allocs: readonly Allocation[]
  /** Nodes of those allocations that are down, draining or gone (null). */
  tainted: ReadonlyMap<string, Node | null>
  nowNanos: number
  newID(): string
}

// Failed allocations due within this window are rescheduled now; later ones are batched into
// follow-up evals of this width.
const rescheduleWindowNanos = 1e9
const batchedFailedAllocWindowNanos = 5e9

function emptyUpdates(): DesiredUpdates {
  return { Ignore: 0, Place: 0, Migrate: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0 }
}

/**
 * Nomad's allocation reconciler: compares what runs with what the job asks for and decides, per
 * task group, what to stop, place, update in place or replace, honouring rolling updates,
 * canaries, migrations off draining nodes, lost allocations and reschedule policies.
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const result: ReconcileResult = {
    deployment: undefined, deploymentUpdates: [], place: [], replace: [], inplace: [], stop: [],
    desiredTGUpdates: {}, followupEvals: [], attributeUpdates: [],
  }
  const { job } = input
  const byGroup = new Map<string, Allocation[]>()
  for (const a of input.allocs) {
    let list = byGroup.get(a.TaskGroup)
    if (list === undefined) byGroup.set(a.TaskGroup, (list = []))
    list.push(a)
  }
  const stopped = job === undefined || job.Stop
  let deployment = input.deployment
  // A deployment of an older version is cancelled when the job changes or stops.
  if (deployment !== undefined && isActive(deployment) && (stopped || deployment.JobVersion !== job.Version || deployment.JobCreateIndex !== job.CreateIndex)) {
    result.deploymentUpdates.push({
      DeploymentID: deployment.ID,
      Status: DeploymentStatusCancelled,
      StatusDescription: stopped ? 'Cancelled because job is stopped' : 'Cancelled due to newer version of job',
    })
    deployment = undefined
  } else if (deployment !== undefined && (stopped || deployment.JobVersion !== job.Version)) {
    deployment = undefined
  }

  const groups = new Set<string>([...byGroup.keys(), ...(stopped ? [] : (job.TaskGroups ?? []).map((g) => g.Name))])
  for (const name of groups) {
    const tg = stopped ? undefined : job.TaskGroups?.find((g) => g.Name === name)
    const updates = (result.desiredTGUpdates[name] = emptyUpdates())
    const allocs = byGroup.get(name) ?? []
    if (tg === undefined) {
      for (const a of allocs) {
        if (allocTerminal(a)) continue
        result.stop.push({ alloc: a, description: allocNotNeeded, clientStatus: '', followupEvalID: '' })
        updates.Stop++
      }
      continue
    }
    const made = reconcileGroup(input, job!, tg, allocs, deployment, result, updates)
    if (made !== undefined) deployment = made
  }
  return result
}

function isActive(d: Deployment): boolean {
  return d.Status === DeploymentStatusRunning || d.Status === DeploymentStatusPaused
}

function reconcileGroup(
  input: ReconcileInput,
  job: Job,
  tg: TaskGroup,
  allocs: readonly Allocation[],
  deployment: Deployment | undefined,
  result: ReconcileResult,
  updates: DesiredUpdates,
): Deployment | undefined {
  const { batch, nowNanos } = input
  const untainted: Allocation[] = []
  const migrate: Allocation[] = []
  const lost: Allocation[] = []
  const rescheduleNow: Allocation[] = []
  const rescheduleLater: Array<{ alloc: Allocation; time: number }> = []

  for (const a of allocs) {
    if (allocServerTerminal(a)) continue
    if (a.ClientStatus === AllocClientStatusFailed) {
      if (a.NextAllocation !== '') continue // already replaced
      const { time, eligible } = allocNextRescheduleTime(a)
      if (!eligible) {
        // Out of attempts: it stays, counted, and is not replaced.
        untainted.push(a)
      } else if (time <= nowNanos + rescheduleWindowNanos || a.DesiredTransition?.ForceReschedule) {
        rescheduleNow.push(a)
      } else {
        rescheduleLater.push({ alloc: a, time })
      }
      continue
    }
    if (allocTerminal(a)) {
      // A finished batch allocation counts as done; a finished service one is replaced.
      if (batch && a.ClientStatus === AllocClientStatusComplete) untainted.push(a)
      continue
    }
    if (input.tainted.has(a.NodeID)) {
      const node = input.tainted.get(a.NodeID)
      if (node == null || node.Status === NodeStatusDown) {
        lost.push(a)
        continue
      }
      if (a.DesiredTransition?.Migrate) {
        migrate.push(a)
        continue
      }
    }
    untainted.push(a)
  }

  // Follow-up evals for allocations that fail later, batched by window.
  rescheduleLater.sort((x, y) => x.time - y.time)
  let batchStart = -Infinity
  let followup: Evaluation | undefined
  for (const { alloc, time } of rescheduleLater) {
    if (followup === undefined || time - batchStart > batchedFailedAllocWindowNanos) {
      batchStart = time
      followup = createFailedFollowUpEval(input.eval, 0, { id: input.newID(), nowNanos })
      followup.WaitUntil = new Date(Math.floor(time / 1e6))
      followup.StatusDescription = reschedulingFollowupEvalDesc
      result.followupEvals.push(followup)
    }
    result.attributeUpdates.push({ ...alloc, FollowupEvalID: followup.ID })
    untainted.push(alloc)
  }

  const strategy = !batch && tg.Update != null && tg.Update.MaxParallel > 0 ? tg.Update : undefined
  const dstate: DeploymentState | undefined = deployment?.TaskGroups?.[tg.Name] ?? undefined
  const promoted = dstate?.Promoted ?? false
  const isCanary = (a: Allocation): boolean =>
    deployment !== undefined && a.DeploymentID === deployment.ID && a.DeploymentStatus?.Canary === true
  const canaries = untainted.filter(isCanary)
  const regular = untainted.filter((a) => !isCanary(a))

  // Names in use, so replacements keep theirs and new ones take the lowest free index.
  const used = new Set<number>()
  for (const a of [...untainted, ...migrate]) used.add(allocIndex(a))

  // Too many: stop the highest indexes first (canaries are not counted until promoted).
  const keep = promoted ? [...regular, ...canaries] : regular
  keep.sort((x, y) => allocIndex(x) - allocIndex(y))
  const running = keep.length + migrate.length
  const excess = Math.max(0, running - tg.Count)
  const stopSet = new Set<string>()
  for (const a of keep.slice(keep.length - Math.min(excess, keep.length))) {
    if (a.ClientStatus === AllocClientStatusComplete || allocTerminal(a)) continue
    stopSet.add(a.ID)
    used.delete(allocIndex(a))
    result.stop.push({ alloc: a, description: allocNotNeeded, clientStatus: '', followupEvalID: '' })
    updates.Stop++
  }
  for (const a of lost) {
    result.stop.push({ alloc: a, description: allocLost, clientStatus: AllocClientStatusLost, followupEvalID: '' })
    updates.Stop++
  }

  // Updates of what keeps running.
  const destructive: Allocation[] = []
  for (const a of keep) {
    if (stopSet.has(a.ID) || allocTerminal(a)) {
      if (!stopSet.has(a.ID)) updates.Ignore++
      continue
    }
    const old = a.Job
    if (old == null || (old.Version === job.Version && old.JobModifyIndex === job.JobModifyIndex)) {
      updates.Ignore++
    } else if (tasksUpdated(job, old, tg.Name)) {
      destructive.push(a)
    } else {
      result.inplace.push({ ...a, Job: job, EvalID: input.eval.ID, DesiredDescription: allocInPlace })
      updates.InPlaceUpdate++
    }
  }

  // Canaries go first when an update is destructive and the deployment is not yet promoted.
  let placeCanaries = 0
  if (strategy !== undefined && strategy.Canary > 0 && destructive.length > 0 && !promoted) {
    placeCanaries = Math.max(0, strategy.Canary - canaries.length)
  }
  const holdForCanaries = strategy !== undefined && strategy.Canary > 0 && !promoted && destructive.length > 0

  // How many destructive updates and migrations may start now.
  let limit = Number.MAX_SAFE_INTEGER
  if (strategy !== undefined) {
    if (deployment !== undefined && (deployment.Status === DeploymentStatusPaused || deployment.Status === DeploymentStatusFailed)) {
      limit = 0
    } else {
      const inflight = untainted.filter((a) => deployment !== undefined && a.DeploymentID === deployment.ID && a.DeploymentStatus?.Healthy !== true && !allocTerminal(a)).length
      limit = Math.max(0, strategy.MaxParallel - inflight)
    }
  }

  // `used` only grows, so the lowest free index never goes down: search on from the last one.
  let lowestFree = 0
  const nextName = (): string => {
    while (used.has(lowestFree)) lowestFree++
    used.add(lowestFree)
    return allocName(job.ID, tg.Name, lowestFree)
  }

  // Free slots go first to replacements of lost and failed allocations (keeping their names),
  // then to new allocations.
  let slots = Math.max(0, tg.Count - (running - stopSet.size))
  const replace = (previous: readonly Allocation[], reschedule: boolean): void => {
    for (const a of previous) {
      if (slots === 0) break
      result.place.push({ name: a.Name, tg, previous: a, canary: false, reschedule })
      used.add(allocIndex(a))
      slots--
      updates.Place++
    }
  }
  replace(lost, false)
  replace(rescheduleNow, true)
  for (; slots > 0; slots--) {
    result.place.push({ name: nextName(), tg, canary: false, reschedule: false })
    updates.Place++
  }

  for (let i = 0; i < placeCanaries; i++) {
    // Canaries take names beyond the count so they do not collide with what they will replace.
    result.place.push({ name: nextName(), tg, canary: true, reschedule: false })
    updates.Canary++
  }

  if (!holdForCanaries) {
    const n = Math.min(limit, destructive.length)
    destructive.sort((x, y) => allocIndex(x) - allocIndex(y))
    for (const a of destructive.slice(0, n)) {
      result.replace.push({
        stop: { alloc: a, description: allocUpdating, clientStatus: '', followupEvalID: '' },
        place: { name: a.Name, tg, previous: a, canary: false, reschedule: false },
      })
      updates.DestructiveUpdate++
    }
    updates.Ignore += destructive.length - n
    limit -= n
  } else {
    updates.Ignore += destructive.length
  }

  const migrateLimit = Math.max(1, tg.Migrate?.MaxParallel ?? 1)
  for (const a of migrate.slice(0, migrateLimit)) {
    result.replace.push({
      stop: { alloc: a, description: allocMigrating, clientStatus: '', followupEvalID: '' },
      place: { name: a.Name, tg, previous: a, canary: false, reschedule: false },
    })
    updates.Migrate++
  }
  updates.Ignore += Math.max(0, migrate.length - migrateLimit)

  // A deployment tracks a service group's rollout of this job version.
  const changing = result.place.some((p) => p.tg === tg) || result.replace.some((r) => r.place.tg === tg)
  if (strategy !== undefined && changing) {
    let d = deployment ?? result.deployment
    if (d === undefined) {
      d = newDeployment(job, input.newID())
      result.deployment = d
    }
    d.TaskGroups ??= {}
    d.TaskGroups[tg.Name] ??= {
      AutoRevert: strategy.AutoRevert,
      AutoPromote: strategy.AutoPromote,
      ProgressDeadline: strategy.ProgressDeadline,
      RequireProgressBy: zeroTime(),
      Promoted: false,
      PlacedCanaries: [],
      DesiredCanaries: strategy.Canary > 0 && destructive.length > 0 ? strategy.Canary : 0,
      DesiredTotal: tg.Count,
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0,
    }
    if (placeCanaries > 0) d.StatusDescription = 'Deployment is running but requires manual promotion'
    for (const p of result.place) if (p.tg === tg) p.deploymentID = d.ID
    for (const r of result.replace) if (r.place.tg === tg) r.place.deploymentID = d.ID
    return d
  }
  return undefined
}

function newDeployment(job: Job, id: string): Deployment {
  return {
    ID: id,
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.ModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: {},
    Status: DeploymentStatusRunning,
    StatusDescription: 'Deployment is running',
    CreateIndex: 0,
    ModifyIndex: 0,
  }
}
