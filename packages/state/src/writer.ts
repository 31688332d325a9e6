import type {
  Allocation,
  AllocationDiff,
  ApplyPlanResultsRequest,
  Deployment,
  DeploymentStatusUpdate,
  DesiredTransition,
  DrainStrategy,
  Evaluation,
  Job,
  Node,
  NodeEvent,
} from '@nomadic/structs'
import { InvalidInputError, NotFoundError } from './errors.js'
import { compoundKey, type WriteTxn } from './memdb/db.js'
import { StateReader } from './reader.js'
import { allocTerminal, deploymentActive, evalTerminal, isParameterized, isPeriodic } from './rules.js'
import { SINGLETON, Tables, versionKey, type TableName } from './schema.js'
import type { DeploymentAllocHealthRequest, DeploymentPromoteRequest, JobSummary, PeriodicLaunch, TaskGroupSummary } from './types.js'

/** Job versions kept per job (structs.JobTrackedVersions). */
export const JOB_TRACKED_VERSIONS = 6
/** Node events kept per node (structs.MaxRetainedNodeEvents). */
export const MAX_RETAINED_NODE_EVENTS = 10

const NODE_REGISTERED = 'Node registered'
const NODE_REREGISTERED = 'Node re-registered'

function emptyTaskGroupSummary(): TaskGroupSummary {
  return { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0 }
}

function copySummary(s: JobSummary): JobSummary {
  const summary: Record<string, TaskGroupSummary> = {}
  for (const tg in s.Summary) summary[tg] = { ...s.Summary[tg]! }
  return { ...s, Summary: summary, Children: s.Children == null ? s.Children : { ...s.Children } }
}

function copyDeployment(d: Deployment): Deployment {
  const groups: NonNullable<Deployment['TaskGroups']> = {}
  for (const tg in d.TaskGroups ?? {}) {
    const state = d.TaskGroups![tg]!
    groups[tg] = { ...state, PlacedCanaries: state.PlacedCanaries == null ? state.PlacedCanaries : [...state.PlacedCanaries] }
  }
  return { ...d, TaskGroups: d.TaskGroups == null ? d.TaskGroups : groups }
}

function hasHealth(a: Allocation | undefined): boolean {
  return a?.DeploymentStatus?.Healthy != null
}

/**
 * The body of Nomad's write transactions: one instance per transaction, stamping `index` on
 * what it writes and keeping the job summaries, job statuses, deployments and per-table indexes
 * in step, as state_store.go does. Reads see the transaction's own writes.
 */
export class StateWriter extends StateReader {
  private readonly bumped = new Set<string>()
  /** Summaries this transaction created: not yet visible to anyone, so updated in place. */
  private readonly ownSummaries = new WeakSet<JobSummary>()

  constructor(
    private readonly txn: WriteTxn,
    readonly raftIndex: number,
  ) {
    super(txn)
  }

  /** Records `raftIndex` as the last index that modified `table` (once per transaction). */
  bumpIndex(table: TableName | string): void {
    if (this.bumped.has(table)) return
    this.bumped.add(table)
    this.txn.insert(Tables.index, { Key: table, Value: this.raftIndex })
  }

  /** Writes one object and bumps its table's index. */
  put<T>(table: TableName, obj: T): void {
    this.txn.insert(table, obj)
    this.bumpIndex(table)
  }

  /** Deletes one object by primary key and bumps its table's index; returns it. */
  remove<T>(table: TableName, primary: string): T | undefined {
    const removed = this.txn.delete<T>(table, primary)
    if (removed !== undefined) this.bumpIndex(table)
    return removed
  }

  // ---- nodes ---------------------------------------------------------------------------------

  upsertNode(input: Node): void {
    const node: Node = { ...input }
    const existing = this.nodeByID(node.ID)
    if (existing !== undefined) {
      node.CreateIndex = existing.CreateIndex
      node.ModifyIndex = this.raftIndex
      node.Events = existing.Events
      if (existing.Status === 'down' && node.Status !== 'down') {
        this.appendNodeEvents(node, [this.clusterEvent(NODE_REREGISTERED, node.StatusUpdatedAt)])
      }
      // The server owns drain and eligibility: a client re-registering cannot change them.
      node.Drain = existing.Drain
      node.SchedulingEligibility = existing.SchedulingEligibility
      node.DrainStrategy = existing.DrainStrategy
    } else {
      node.Events = [this.clusterEvent(NODE_REGISTERED, node.StatusUpdatedAt)]
      node.CreateIndex = this.raftIndex
      node.ModifyIndex = this.raftIndex
    }
    this.put(Tables.nodes, node)
  }

  deleteNodes(ids: readonly string[]): void {
    if (ids.length === 0) throw new InvalidInputError('node ids missing')
    for (const id of ids) {
      if (this.remove(Tables.nodes, id) === undefined) throw new NotFoundError(`node not found: ${id}`)
    }
  }

  updateNodeStatus(id: string, status: string, updatedAt: number, event?: NodeEvent | null): void {
    const node = this.copyNode(id)
    if (event) this.appendNodeEvents(node, [event])
    node.Status = status
    node.StatusUpdatedAt = updatedAt
    node.ModifyIndex = this.raftIndex
    this.put(Tables.nodes, node)
  }

  updateNodeDrain(id: string, drain: DrainStrategy | null | undefined, markEligible: boolean, updatedAt: number, event?: NodeEvent | null): void {
    const node = this.copyNode(id)
    if (event) this.appendNodeEvents(node, [event])
    node.DrainStrategy = drain ?? null
    node.Drain = drain != null
    if (drain != null) node.SchedulingEligibility = 'ineligible'
    else if (markEligible) node.SchedulingEligibility = 'eligible'
    node.StatusUpdatedAt = updatedAt
    node.ModifyIndex = this.raftIndex
    this.put(Tables.nodes, node)
  }

  updateNodeEligibility(id: string, eligibility: string, updatedAt: number, event?: NodeEvent | null): void {
    if (eligibility !== 'eligible' && eligibility !== 'ineligible') {
      throw new InvalidInputError(`invalid scheduling eligibility "${eligibility}"`)
    }
    const node = this.copyNode(id)
    if (node.DrainStrategy != null && eligibility === 'eligible') {
      throw new InvalidInputError("can not set node's scheduling eligibility to eligible while it is draining")
    }
    if (event) this.appendNodeEvents(node, [event])
    node.SchedulingEligibility = eligibility
    node.StatusUpdatedAt = updatedAt
    node.ModifyIndex = this.raftIndex
    this.put(Tables.nodes, node)
  }

  private copyNode(id: string): Node {
    const existing = this.nodeByID(id)
    if (existing === undefined) throw new NotFoundError(`node not found: ${id}`)
    return { ...existing }
  }

  private clusterEvent(message: string, statusUpdatedAt: number): NodeEvent {
    return { Message: message, Subsystem: 'Cluster', Details: null, Timestamp: new Date(statusUpdatedAt * 1000), CreateIndex: 0 }
  }

  private appendNodeEvents(node: Node, events: NodeEvent[]): void {
    const all = [...(node.Events ?? []), ...events.map((e) => ({ ...e, CreateIndex: this.raftIndex }))]
    node.Events = all.slice(Math.max(0, all.length - MAX_RETAINED_NODE_EVENTS))
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /** Nomad's upsertJobImpl: versions, status, summary, version history. */
  upsertJob(input: Job, keepVersion: boolean): void {
    const job: Job = { ...input }
    const existing = this.jobByID(job.Namespace, job.ID)
    if (existing !== undefined) {
      job.CreateIndex = existing.CreateIndex
      job.ModifyIndex = this.raftIndex
      if (!keepVersion) {
        job.JobModifyIndex = this.raftIndex
        job.Version = existing.Version + 1
      }
      job.Status = this.jobStatus(job, false)
    } else {
      job.CreateIndex = this.raftIndex
      job.ModifyIndex = this.raftIndex
      job.JobModifyIndex = this.raftIndex
      job.Version = 0
      job.Status = this.jobStatus(job, false)
      this.updateParentChildren(job, '', job.Status)
    }
    this.updateSummaryWithJob(job)
    this.put(Tables.jobs, job)
    this.upsertJobVersion(job)
  }

  deleteJob(namespace: string, id: string): void {
    const job = this.jobByID(namespace, id)
    if (job === undefined) throw new NotFoundError('job not found')
    if (job.ParentID !== '') this.updateParentChildren(job, job.Status, '')
    this.remove(Tables.jobs, compoundKey(namespace, id))
    for (const version of this.jobVersionsByID(namespace, id)) {
      this.remove(Tables.jobVersion, compoundKey(namespace, id, versionKey(version.Version)))
    }
    this.remove(Tables.jobSummary, compoundKey(namespace, id))
  }

  /** Marks one job version stable or not, without a new version (updateJobStabilityImpl). */
  updateJobStability(namespace: string, id: string, version: number, stable: boolean): void {
    const job = this.jobByIDAndVersion(namespace, id, version)
    if (job === undefined || job.Stable === stable) return
    const current = this.jobByID(namespace, id)
    if (current !== undefined && current.Version === version) {
      this.upsertJob({ ...current, Stable: stable }, true)
    } else {
      this.put(Tables.jobVersion, { ...job, Stable: stable })
    }
  }

  private upsertJobVersion(job: Job): void {
    this.put(Tables.jobVersion, job)
    const all = this.jobVersionsByID(job.Namespace, job.ID)
    if (all.length <= JOB_TRACKED_VERSIONS) return
    // Keep the newest stable version even when it is the oldest of the kept set.
    const stable = all.findIndex((j) => j.Stable)
    if (stable === JOB_TRACKED_VERSIONS) {
      const t = all[JOB_TRACKED_VERSIONS - 1]!
      all[JOB_TRACKED_VERSIONS - 1] = all[JOB_TRACKED_VERSIONS]!
      all[JOB_TRACKED_VERSIONS] = t
    }
    for (const old of all.slice(JOB_TRACKED_VERSIONS)) {
      this.remove(Tables.jobVersion, compoundKey(old.Namespace, old.ID, versionKey(old.Version)))
    }
  }

  /** Nomad's getJobStatus. */
  private jobStatus(job: Job, evalDelete: boolean): string {
    if (job.Type === 'system' || isParameterized(job) || isPeriodic(job)) return job.Stop ? 'dead' : 'running'
    const allocs = this.allocsByJob(job.Namespace, job.ID, true)
    for (const a of allocs) if (!allocTerminal(a)) return 'running'
    const evals = this.evalsByJob(job.Namespace, job.ID)
    for (const e of evals) if (!evalTerminal(e)) return 'pending'
    if (evalDelete || evals.length > 0 || allocs.length > 0) return 'dead'
    return 'pending'
  }

  /** Recomputes (or forces) the status of each job; jobs that vanished are skipped. */
  setJobStatuses(jobs: Map<string, { namespace: string; id: string; force: string }>, evalDelete: boolean): void {
    for (const { namespace, id, force } of jobs.values()) {
      const job = this.jobByID(namespace, id)
      if (job === undefined) continue
      const status = force !== '' ? force : this.jobStatus(job, evalDelete)
      if (status === job.Status) continue
      this.put(Tables.jobs, { ...job, Status: status, ModifyIndex: this.raftIndex })
      this.updateParentChildren(job, job.Status, status)
    }
  }

  /** Moves a child job between the Pending/Running/Dead counts of its parent's summary. */
  private updateParentChildren(child: Job, oldStatus: string, newStatus: string): void {
    if (child.ParentID === '') return
    const existing = this.jobSummaryByID(child.Namespace, child.ParentID)
    if (existing === undefined) return
    const summary = copySummary(existing)
    const children = (summary.Children ??= { Pending: 0, Running: 0, Dead: 0 })
    const field = (s: string): 'Pending' | 'Running' | 'Dead' | undefined =>
      s === 'pending' ? 'Pending' : s === 'running' ? 'Running' : s === 'dead' ? 'Dead' : undefined
    const from = field(oldStatus)
    const to = field(newStatus)
    if (oldStatus !== '' && from === undefined) throw new InvalidInputError(`unknown old job status "${oldStatus}"`)
    if (newStatus !== '' && to === undefined) throw new InvalidInputError(`unknown new job status "${newStatus}"`)
    if (from) children[from]--
    if (to) children[to]++
    summary.ModifyIndex = this.raftIndex
    this.put(Tables.jobSummary, summary)
  }

  /** Adds a zeroed count for each new task group (groups removed from the job stay). */
  private updateSummaryWithJob(job: Job): void {
    const existing = this.jobSummaryByID(job.Namespace, job.ID)
    let changed = existing === undefined
    const summary: JobSummary =
      existing === undefined
        ? { JobID: job.ID, Namespace: job.Namespace, Summary: {}, Children: { Pending: 0, Running: 0, Dead: 0 }, CreateIndex: this.raftIndex, ModifyIndex: this.raftIndex }
        : copySummary(existing)
    for (const tg of job.TaskGroups ?? []) {
      if (summary.Summary[tg.Name] === undefined) {
        summary.Summary[tg.Name] = emptyTaskGroupSummary()
        changed = true
      }
    }
    if (changed) {
      summary.ModifyIndex = this.raftIndex
      this.put(Tables.jobSummary, summary)
    }
  }

  /** Writes a job summary as given (Nomad's UpsertJobSummary, used by tests and restores). */
  upsertJobSummary(summary: JobSummary): void {
    this.put(Tables.jobSummary, { ...summary, ModifyIndex: this.raftIndex })
  }

  /** Rebuilds every job's summary from its allocations (ReconcileJobSummaries). */
  reconcileJobSummaries(): void {
    for (const job of this.jobs()) {
      const summary: JobSummary = {
        JobID: job.ID,
        Namespace: job.Namespace,
        Summary: {},
        Children: this.jobSummaryByID(job.Namespace, job.ID)?.Children ?? { Pending: 0, Running: 0, Dead: 0 },
        CreateIndex: job.CreateIndex,
        ModifyIndex: this.raftIndex,
      }
      for (const tg of job.TaskGroups ?? []) summary.Summary[tg.Name] = emptyTaskGroupSummary()
      for (const a of this.allocsByJob(job.Namespace, job.ID, true)) {
        if (a.Job?.CreateIndex !== job.CreateIndex) continue
        const tg = (summary.Summary[a.TaskGroup] ??= emptyTaskGroupSummary())
        countClientStatus(tg, a.ClientStatus, 1)
      }
      this.put(Tables.jobSummary, summary)
    }
    this.bumpIndex(Tables.jobSummary)
  }

  upsertPeriodicLaunch(launch: PeriodicLaunch): void {
    const existing = this.periodicLaunchByID(launch.Namespace, launch.ID)
    this.put(Tables.periodicLaunch, {
      ...launch,
      CreateIndex: existing?.CreateIndex ?? this.raftIndex,
      ModifyIndex: this.raftIndex,
    })
  }

  deletePeriodicLaunch(namespace: string, id: string): void {
    if (this.remove(Tables.periodicLaunch, compoundKey(namespace, id)) === undefined) {
      throw new NotFoundError('launch not found')
    }
  }

  // ---- evaluations ---------------------------------------------------------------------------

  upsertEvals(evals: readonly Evaluation[]): void {
    const jobs = new Map<string, { namespace: string; id: string; force: string }>()
    for (const e of evals) {
      this.upsertEval(e)
      jobs.set(compoundKey(e.Namespace, e.JobID), { namespace: e.Namespace, id: e.JobID, force: '' })
    }
    this.setJobStatuses(jobs, false)
  }

  /** Nomad's nestedUpsertEval: queued counts into the summary, blocked evals cancelled on success. */
  private upsertEval(input: Evaluation): void {
    const e: Evaluation = { ...input }
    const existing = this.evalByID(e.ID)
    const summary = this.jobSummaryByID(e.Namespace, e.JobID)
    if (summary !== undefined && e.QueuedAllocations) {
      const copy = copySummary(summary)
      let changed = false
      for (const [tg, queued] of Object.entries(e.QueuedAllocations)) {
        const s = copy.Summary[tg]
        if (s !== undefined && s.Queued !== queued) {
          s.Queued = queued
          changed = true
        }
      }
      if (changed) {
        copy.ModifyIndex = this.raftIndex
        this.put(Tables.jobSummary, copy)
      }
    }
    if (e.Status === 'complete' && Object.keys(e.FailedTGAllocs ?? {}).length === 0) {
      for (const blocked of this.evalsByJobStatus(e.Namespace, e.JobID, 'blocked')) {
        this.put(Tables.evals, {
          ...blocked,
          Status: 'canceled',
          StatusDescription: `evaluation "${blocked.ID}" successful`,
          ModifyIndex: this.raftIndex,
        })
      }
    }
    e.CreateIndex = existing?.CreateIndex ?? this.raftIndex
    e.ModifyIndex = this.raftIndex
    this.put(Tables.evals, e)
  }

  deleteEvals(evalIDs: readonly string[], allocIDs: readonly string[]): void {
    const jobs = new Map<string, { namespace: string; id: string; force: string }>()
    for (const id of evalIDs) {
      const e = this.remove<Evaluation>(Tables.evals, id)
      if (e !== undefined) jobs.set(compoundKey(e.Namespace, e.JobID), { namespace: e.Namespace, id: e.JobID, force: '' })
    }
    for (const id of allocIDs) this.remove(Tables.allocs, id)
    this.bumpIndex(Tables.evals)
    this.bumpIndex(Tables.allocs)
    this.setJobStatuses(jobs, true)
  }

  private touchEval(id: string): void {
    const e = this.evalByID(id)
    if (e === undefined) throw new NotFoundError(`unable to find eval id "${id}"`)
    this.put(Tables.evals, { ...e, ModifyIndex: this.raftIndex })
  }

  // ---- allocations ---------------------------------------------------------------------------

  /** Nomad's upsertAllocsImpl. */
  upsertAllocs(inputs: readonly Allocation[]): void {
    const jobs = new Map<string, { namespace: string; id: string; force: string }>()
    // A plan's allocations mostly share one job: reuse its entry instead of joining its key again.
    let lastJob: { namespace: string; id: string; force: string } | undefined
    for (const input of inputs) {
      const alloc: Allocation = { ...input }
      const existing = this.allocByID(alloc.ID)
      if (existing === undefined) {
        if (alloc.Job == null) throw new InvalidInputError(`attempting to upsert allocation "${alloc.ID}" without a job`)
        alloc.CreateIndex = this.raftIndex
        alloc.ModifyIndex = this.raftIndex
        alloc.AllocModifyIndex = this.raftIndex
        if (alloc.DeploymentStatus != null) alloc.DeploymentStatus = { ...alloc.DeploymentStatus, ModifyIndex: this.raftIndex }
      } else {
        alloc.CreateIndex = existing.CreateIndex
        alloc.ModifyIndex = this.raftIndex
        alloc.AllocModifyIndex = this.raftIndex
        // The client is the authority on task states and, unless the server marks it lost, status.
        alloc.TaskStates = existing.TaskStates
        if (alloc.ClientStatus !== 'lost') {
          alloc.ClientStatus = existing.ClientStatus
          alloc.ClientDescription = existing.ClientDescription
        }
        if (alloc.Job == null) alloc.Job = existing.Job
      }
      this.updateDeploymentWithAlloc(alloc, existing)
      this.updateSummaryWithAlloc(alloc, existing)
      this.txn.insert(Tables.allocs, alloc, existing)
      if (alloc.PreviousAllocation) {
        const prev = this.allocByID(alloc.PreviousAllocation)
        if (prev !== undefined) {
          this.txn.insert(Tables.allocs, { ...prev, NextAllocation: alloc.ID, ModifyIndex: this.raftIndex })
        }
      }
      const force = allocTerminal(alloc) ? '' : 'running'
      if (lastJob !== undefined && lastJob.id === alloc.JobID && lastJob.namespace === alloc.Namespace) {
        lastJob.force = force
      } else {
        const key = compoundKey(alloc.Namespace, alloc.JobID)
        lastJob = jobs.get(key)
        if (lastJob === undefined) {
          lastJob = { namespace: alloc.Namespace, id: alloc.JobID, force }
          jobs.set(key, lastJob)
        } else {
          lastJob.force = force
        }
      }
    }
    this.bumpIndex(Tables.allocs)
    this.setJobStatuses(jobs, false)
  }

  /** Takes what the client is the authority on; allocations the store no longer has are skipped. */
  updateAllocsFromClient(updates: readonly Allocation[]): void {
    for (const update of updates) {
      const existing = this.allocByID(update.ID)
      if (existing === undefined) continue
      const alloc: Allocation = {
        ...existing,
        ClientStatus: update.ClientStatus,
        ClientDescription: update.ClientDescription,
        TaskStates: update.TaskStates,
        ModifyIndex: this.raftIndex,
        ModifyTime: update.ModifyTime,
      }
      if (existing.DeploymentStatus != null && update.DeploymentStatus != null) {
        alloc.DeploymentStatus = {
          ...existing.DeploymentStatus,
          Healthy: update.DeploymentStatus.Healthy,
          Timestamp: update.DeploymentStatus.Timestamp,
          ModifyIndex: this.raftIndex,
        }
      } else if (update.DeploymentStatus != null) {
        alloc.DeploymentStatus = { ...update.DeploymentStatus, ModifyIndex: this.raftIndex }
      }
      this.updateDeploymentWithAlloc(alloc, existing)
      this.updateSummaryWithAlloc(alloc, existing)
      this.txn.insert(Tables.allocs, alloc, existing)
      const jobs = new Map([[compoundKey(existing.Namespace, existing.JobID), { namespace: existing.Namespace, id: existing.JobID, force: allocTerminal(alloc) ? '' : 'running' }]])
      this.setJobStatuses(jobs, false)
    }
    this.bumpIndex(Tables.allocs)
  }

  /** Sets the server's desired transition of allocations and writes follow-up evals. */
  updateAllocsDesiredTransitions(transitions: Record<string, DesiredTransition>, evals: readonly Evaluation[]): void {
    for (const [id, t] of Object.entries(transitions)) {
      const existing = this.allocByID(id)
      if (existing === undefined) continue
      const merged: DesiredTransition = { ...existing.DesiredTransition }
      if (t.Migrate != null) merged.Migrate = t.Migrate
      if (t.Reschedule != null) merged.Reschedule = t.Reschedule
      if (t.ForceReschedule != null) merged.ForceReschedule = t.ForceReschedule
      this.txn.insert(Tables.allocs, { ...existing, DesiredTransition: merged, ModifyIndex: this.raftIndex })
    }
    for (const e of evals) this.upsertEval(e)
    this.bumpIndex(Tables.allocs)
  }

  /** Nomad's updateSummaryWithAlloc: moves the allocation between its task group's counts. */
  private updateSummaryWithAlloc(alloc: Allocation, existing: Allocation | undefined): void {
    if (alloc.Job == null) return
    const current = this.jobSummaryByID(alloc.Namespace, alloc.JobID)
    if (current === undefined) {
      if (this.jobByID(alloc.Namespace, alloc.JobID) === undefined) return
      throw new InvalidInputError(`job summary for job "${alloc.JobID}" in namespace "${alloc.Namespace}" is not present`)
    }
    // The allocation belongs to an earlier job registered under the same ID.
    if (current.CreateIndex !== alloc.Job.CreateIndex) return
    if (current.Summary[alloc.TaskGroup] === undefined) {
      throw new InvalidInputError(`unable to find task group in the job summary: ${alloc.TaskGroup}`)
    }
    const own = this.ownSummaries.has(current)
    const summary = own ? current : copySummary(current)
    const tg = summary.Summary[alloc.TaskGroup]!
    let changed = false
    if (existing === undefined) {
      if (alloc.ClientStatus === 'pending') {
        tg.Starting++
        if (tg.Queued > 0) tg.Queued--
        changed = true
      }
    } else if (existing.ClientStatus !== alloc.ClientStatus) {
      countClientStatus(tg, alloc.ClientStatus, 1)
      // Failed and complete are final counts: Nomad never takes them back.
      if (existing.ClientStatus === 'running' || existing.ClientStatus === 'pending' || existing.ClientStatus === 'lost') {
        countClientStatus(tg, existing.ClientStatus, -1)
      }
      changed = true
    }
    if (changed && !own) {
      summary.ModifyIndex = this.raftIndex
      this.ownSummaries.add(summary)
      this.put(Tables.jobSummary, summary)
    }
  }

  // ---- plan results --------------------------------------------------------------------------

  /** Applies a committed plan: diffs denormalized against the store, then one upsert. */
  upsertPlanResults(req: ApplyPlanResultsRequest): void {
    const stopped = this.denormalizeDiffs(req.AllocsStopped ?? [])
    const preempted = this.denormalizeDiffs(req.AllocsPreempted ?? [])
    const nodePreemptions = this.denormalizeAllocs(req.NodePreemptions ?? [])
    if (req.Deployment) this.upsertDeployment(req.Deployment)
    for (const u of req.DeploymentUpdates ?? []) this.updateDeploymentStatus(u)
    if (req.EvalID) this.touchEval(req.EvalID)
    const placed = [...(req.Alloc ?? []), ...(req.AllocsUpdated ?? [])].map((a) =>
      a.Job == null && !allocTerminal(a) && req.Job != null ? { ...a, Job: req.Job } : a,
    )
    this.upsertAllocs([...placed, ...nodePreemptions, ...stopped, ...preempted])
    if (req.PreemptionEvals && req.PreemptionEvals.length > 0) this.upsertEvals(req.PreemptionEvals)
  }

  private denormalizeDiffs(diffs: readonly AllocationDiff[]): Allocation[] {
    return diffs.map((diff) => {
      const alloc = this.allocByID(diff.ID)
      if (alloc === undefined) throw new NotFoundError(`alloc ${diff.ID} doesn't exist`)
      const copy: Allocation = { ...alloc }
      if (diff.PreemptedByAllocation) {
        copy.PreemptedByAllocation = diff.PreemptedByAllocation
        copy.DesiredDescription = `Preempted by alloc ID ${diff.PreemptedByAllocation}`
        copy.DesiredStatus = 'evict'
      } else {
        copy.DesiredDescription = diff.DesiredDescription ?? ''
        copy.DesiredStatus = 'stop'
        if (diff.ClientStatus) copy.ClientStatus = diff.ClientStatus
      }
      if (diff.ModifyTime) copy.ModifyTime = diff.ModifyTime
      return copy
    })
  }

  /** Old-style preemptions carry whole allocations that may lack their job. */
  private denormalizeAllocs(allocs: readonly AllocationDiff[]): Allocation[] {
    return allocs.map((diff) => {
      const alloc = this.allocByID(diff.ID)
      if (alloc === undefined) throw new NotFoundError(`alloc ${diff.ID} doesn't exist`)
      return { ...alloc, ...diff, Job: diff.Job ?? alloc.Job } as Allocation
    })
  }

  // ---- deployments ---------------------------------------------------------------------------

  upsertDeployment(input: Deployment): void {
    const d = { ...input }
    const existing = this.deploymentByID(d.ID)
    d.CreateIndex = existing?.CreateIndex ?? this.raftIndex
    d.ModifyIndex = this.raftIndex
    this.put(Tables.deployment, d)
    if (d.Status === 'successful') this.updateJobStability(d.Namespace, d.JobID, d.JobVersion, true)
  }

  deleteDeployments(ids: readonly string[]): void {
    if (ids.length === 0) throw new InvalidInputError('deployment ids missing')
    for (const id of ids) {
      if (this.remove(Tables.deployment, id) === undefined) throw new NotFoundError('deployment not found')
    }
  }

  updateDeploymentStatus(u: DeploymentStatusUpdate): void {
    const d = this.activeDeployment(u.DeploymentID)
    const copy = { ...d, Status: u.Status, StatusDescription: u.StatusDescription, ModifyIndex: this.raftIndex }
    this.put(Tables.deployment, copy)
    if (copy.Status === 'successful') this.updateJobStability(copy.Namespace, copy.JobID, copy.JobVersion, true)
  }

  private activeDeployment(id: string): Deployment {
    const d = this.deploymentByID(id)
    if (d === undefined) throw new NotFoundError(`Deployment ID "${id}" couldn't be updated as it does not exist`)
    if (!deploymentActive(d)) throw new InvalidInputError(`Deployment "${d.ID}" has terminal status "${d.Status}":`)
    return d
  }

  /**
   * Promotes canaries (Nomad's UpdateDeploymentPromotion): every promoted group needs as many
   * healthy canaries as it wants, or nothing changes; promoted canaries stop being canaries.
   */
  updateDeploymentPromotion(req: DeploymentPromoteRequest): void {
    const d = this.activeDeployment(req.DeploymentID)
    const groups = new Set(req.Groups ?? [])
    const promoting = (tg: string): boolean => req.All || groups.has(tg)
    const canaries = new Set<string>()
    for (const state of Object.values(d.TaskGroups ?? {})) for (const id of state.PlacedCanaries ?? []) canaries.add(id)
    const healthy = new Map<string, number>()
    const promotable: Allocation[] = []
    for (const a of this.allocsByDeployment(d.ID)) {
      if (!canaries.has(a.ID) || !promoting(a.TaskGroup)) continue
      if (allocTerminal(a) || a.DeploymentStatus?.Healthy !== true) continue
      healthy.set(a.TaskGroup, (healthy.get(a.TaskGroup) ?? 0) + 1)
      promotable.push(a)
    }
    const short: string[] = []
    for (const [tg, state] of Object.entries(d.TaskGroups ?? {})) {
      if (!promoting(tg) || state.DesiredCanaries === 0) continue
      const have = healthy.get(tg) ?? 0
      if (have < state.DesiredCanaries) short.push(`Task group "${tg}" has ${have}/${state.DesiredCanaries} healthy allocations`)
    }
    if (short.length > 0) throw new InvalidInputError(short.join('; '))
    const copy = copyDeployment(d)
    for (const [tg, state] of Object.entries(copy.TaskGroups ?? {})) if (promoting(tg)) state.Promoted = true
    const needsPromotion = Object.values(copy.TaskGroups ?? {}).some((g) => g.DesiredCanaries > 0 && !g.Promoted)
    if (copy.Status === 'running' && !needsPromotion) copy.StatusDescription = 'Deployment is running'
    this.upsertDeployment(copy)
    if (req.Eval) this.upsertEvals([req.Eval])
    for (const a of promotable) {
      this.txn.insert(Tables.allocs, {
        ...a,
        DeploymentStatus: { ...a.DeploymentStatus!, Canary: false, ModifyIndex: this.raftIndex },
        ModifyIndex: this.raftIndex,
        AllocModifyIndex: this.raftIndex,
      })
    }
    this.bumpIndex(Tables.allocs)
  }

  /** Sets allocations' deployment health (Nomad's UpdateDeploymentAllocHealth), then the rest. */
  updateDeploymentAllocHealth(req: DeploymentAllocHealthRequest): void {
    this.activeDeployment(req.DeploymentID)
    const set = (id: string, healthy: boolean): void => {
      const old = this.allocByID(id)
      if (old === undefined) throw new NotFoundError(`unknown alloc "${id}"`)
      if (old.DeploymentID !== req.DeploymentID) throw new InvalidInputError(`alloc "${id}" is not part of deployment "${req.DeploymentID}"`)
      const alloc: Allocation = {
        ...old,
        DeploymentStatus: { Canary: false, ...old.DeploymentStatus, Healthy: healthy, Timestamp: req.Timestamp, ModifyIndex: this.raftIndex },
        ModifyIndex: this.raftIndex,
      }
      this.updateDeploymentWithAlloc(alloc, old)
      this.txn.insert(Tables.allocs, alloc, old)
    }
    const healthy = req.HealthyAllocationIDs ?? []
    const unhealthy = req.UnhealthyAllocationIDs ?? []
    for (const id of healthy) set(id, true)
    for (const id of unhealthy) set(id, false)
    if (healthy.length + unhealthy.length > 0) this.bumpIndex(Tables.allocs)
    if (req.DeploymentUpdate) this.updateDeploymentStatus(req.DeploymentUpdate)
    if (req.Job) this.upsertJob(req.Job, false)
    if (req.Eval) this.upsertEvals([req.Eval])
  }

  /** Nomad's updateDeploymentWithAlloc: placed, healthy and unhealthy counts and progress deadline. */
  private updateDeploymentWithAlloc(alloc: Allocation, existing: Allocation | undefined): void {
    if (!alloc.DeploymentID) return
    const d = this.deploymentByID(alloc.DeploymentID)
    if (d === undefined || d.TaskGroups?.[alloc.TaskGroup] === undefined) return
    let placed = 0
    let healthy = 0
    let unhealthy = 0
    const existingHealth = hasHealth(existing)
    const allocHealth = hasHealth(alloc)
    if (existing === undefined || existing.DeploymentID !== alloc.DeploymentID) {
      placed++
    } else if (!existingHealth && allocHealth) {
      if (alloc.DeploymentStatus!.Healthy) healthy++
      else unhealthy++
    } else if (existingHealth && allocHealth && existing.DeploymentStatus!.Healthy && !alloc.DeploymentStatus!.Healthy) {
      healthy--
      unhealthy++
    }
    if (placed === 0 && healthy === 0 && unhealthy === 0) return
    if (alloc.DeploymentStatus != null && healthy + unhealthy !== 0) {
      alloc.DeploymentStatus = { ...alloc.DeploymentStatus, ModifyIndex: this.raftIndex }
    }
    const copy = copyDeployment(d)
    copy.ModifyIndex = this.raftIndex
    const state = copy.TaskGroups![alloc.TaskGroup]!
    state.PlacedAllocs += placed
    state.HealthyAllocs += healthy
    state.UnhealthyAllocs += unhealthy
    if (alloc.DeploymentStatus?.Canary) {
      const canaries = state.PlacedCanaries ?? []
      if (!canaries.includes(alloc.ID)) state.PlacedCanaries = [...canaries, alloc.ID]
    }
    if (state.ProgressDeadline !== 0) {
      const deadlineMs = state.ProgressDeadline / 1e6
      const current = state.RequireProgressBy instanceof Date ? state.RequireProgressBy.getTime() : 0
      if (placed !== 0 && current <= 0) {
        state.RequireProgressBy = new Date(alloc.ModifyTime / 1e6 + deadlineMs)
      } else if (healthy !== 0 && alloc.DeploymentStatus?.Timestamp instanceof Date) {
        const by = alloc.DeploymentStatus.Timestamp.getTime() + deadlineMs
        if (by > current) state.RequireProgressBy = new Date(by)
      }
    }
    this.upsertDeployment(copy)
  }

  // ---- singletons ----------------------------------------------------------------------------

  /** Writes a singleton row keeping its CreateIndex; with `cas`, only when ModifyIndex matches. */
  setConfig<T extends { CreateIndex: number; ModifyIndex: number }>(table: TableName, config: T, cas?: number): boolean {
    const existing = this.txn.get<T>(table, 'id', SINGLETON)
    if (cas !== undefined) {
      if (cas === 0 && existing !== undefined) return false
      if (cas !== 0 && (existing === undefined || existing.ModifyIndex !== cas)) return false
    }
    this.put(table, { ...config, CreateIndex: existing?.CreateIndex ?? this.raftIndex, ModifyIndex: this.raftIndex })
    return true
  }
}


function countClientStatus(tg: TaskGroupSummary, status: string, delta: number): void {
  switch (status) {
    case 'running':
      tg.Running = Math.max(0, tg.Running + delta)
      break
    case 'pending':
      tg.Starting = Math.max(0, tg.Starting + delta)
      break
    case 'failed':
      tg.Failed += delta
      break
    case 'complete':
      tg.Complete += delta
      break
    case 'lost':
      tg.Lost = Math.max(0, tg.Lost + delta)
      break
  }
}
