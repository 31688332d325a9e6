import { systemClock, systemRandom, type Clock, type Random } from '@nomadic/runtime'
import type { Allocation, AllocMetric, Evaluation, Job, Node, Plan, PlanResult } from '@nomadic/structs'
import {
  AllocClientStatusPending,
  AllocDesiredStatusRun,
  createBlockedEval,
  EvalStatusBlocked,
  EvalStatusComplete,
  EvalStatusFailed,
  EvalTriggerMaxPlans,
  makePlan,
  NodeStatusDown,
  planAppendAlloc,
  planAppendStoppedAlloc,
  planIsNoOp,
  planPopUpdate,
  planResultFullCommit,
  updateEvalModifyTime,
} from '@nomadic/structs'
import { EvalContext, type NodeUsageCache } from './context.js'
import { SchedulerError } from './errors.js'
import { readyNodesInDCs } from './feasible.js'
import { randomUUID } from './ids.js'
import type { Planner, Scheduler, State } from './interfaces.js'
import { reconcile, type PlacementRequest } from './reconcile.js'
import { retryMax } from './retry.js'
import { Stack } from './stack.js'

/** Options shared by the schedulers. */
export interface SchedulerOptions {
  clock?: Clock
  random?: Random
  /** Per-node work kept across evaluations; a worker passes the same one to every scheduler. */
  usageCache?: NodeUsageCache
}

/** The trigger reasons a scheduler accepts (Nomad's list). */
export const validTriggers = new Set([
  'job-register', 'job-deregister', 'periodic-job', 'node-drain', 'node-update', 'alloc-stop', 'scheduled',
  'rolling-update', 'deployment-watcher', 'failed-follow-up', 'max-plan-attempts', 'alloc-failure',
  'queued-allocs', 'preemption', 'job-scaling',
])

const maxServiceAttempts = 5
const maxBatchAttempts = 2
export const blockedEvalMaxPlanDesc = 'created due to placement conflicts'
export const blockedEvalFailedPlacements = 'created to place remaining allocations'

/** Nodes of the allocations that are down, draining or gone. */
export function taintedNodes(state: State, allocs: readonly Allocation[]): Map<string, Node | null> {
  const out = new Map<string, Node | null>()
  for (const a of allocs) {
    if (out.has(a.NodeID)) continue
    const node = state.nodeByID(a.NodeID)
    if (node === undefined) out.set(a.NodeID, null)
    else if (node.Status === NodeStatusDown || node.Drain) out.set(a.NodeID, node)
  }
  return out
}

/**
 * Nomad's generic scheduler for `service` and `batch` jobs: reconcile, place through the stack,
 * submit the plan, retry on conflicts (5 attempts for service, 2 for batch, reset on progress),
 * block what could not be placed.
 */
export class GenericScheduler implements Scheduler {
  private readonly clock: Clock
  private readonly random: Random
  private ev!: Evaluation
  private job: Job | undefined
  private plan: Plan | undefined
  private planResult: PlanResult | undefined
  private ctx: EvalContext | undefined
  private stack: Stack | undefined
  private blocked: Evaluation | undefined
  private failedTGAllocs: Record<string, AllocMetric> = {}
  private queued: Record<string, number> = {}
  private followups: Evaluation[] = []

  constructor(
    private state: State,
    private readonly planner: Planner,
    private readonly batch: boolean,
    options: SchedulerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? systemRandom
    this.usageCache = options.usageCache
  }

  private readonly usageCache: NodeUsageCache | undefined

  private nowNanos(): number {
    return this.clock.now() * 1e6
  }

  private newID(): string {
    return randomUUID(this.random)
  }

  async process(ev: Evaluation): Promise<void> {
    this.ev = ev
    this.blocked = undefined
    this.failedTGAllocs = {}
    this.queued = {}
    if (!validTriggers.has(ev.TriggeredBy)) {
      await this.setStatus(EvalStatusFailed, `scheduler cannot handle '${ev.TriggeredBy}' evaluation reason`)
      return
    }
    const limit = this.batch ? maxBatchAttempts : maxServiceAttempts
    try {
      await retryMax(limit, () => this.attempt(), () => this.progressMade())
    } catch (err) {
      if (!(err instanceof SchedulerError) || err.code !== 'SCHEDULER_MAX_ATTEMPTS') throw err
      // Conflicts every time: leave a blocked eval to try again when capacity changes.
      if (this.blocked === undefined) await this.createBlockedEval(true)
      await this.setStatus(EvalStatusFailed, err.message)
      return
    }
    // A blocked eval that still cannot place everything goes back to being blocked.
    if (ev.Status === EvalStatusBlocked && Object.keys(this.failedTGAllocs).length > 0) {
      const e: Evaluation = { ...ev, ClassEligibility: this.ctx!.eligibility.classes(), EscapedComputedClass: this.ctx!.eligibility.hasEscaped() }
      await this.planner.reblockEval(e)
      return
    }
    await this.setStatus(EvalStatusComplete, '')
  }

  private progressMade(): boolean {
    const r = this.planResult
    if (r === undefined) return false
    return Object.keys(r.NodeUpdate ?? {}).length > 0 || Object.keys(r.NodeAllocation ?? {}).length > 0 ||
      r.Deployment != null || (r.DeploymentUpdates?.length ?? 0) > 0
  }

  private async attempt(): Promise<boolean> {
    const ev = this.ev
    this.planResult = undefined
    this.job = this.state.jobByID(ev.Namespace, ev.JobID)
    const plan = (this.plan = makePlan(ev, this.job ?? null))
    plan.SnapshotIndex = ev.SnapshotIndex
    this.failedTGAllocs = {}
    this.followups = []
    const ctx = (this.ctx = new EvalContext(this.state, plan, this.random, this.usageCache))
    const algorithm = this.state.schedulerConfig()?.SchedulerAlgorithm
    const stack = (this.stack = new Stack(ctx, this.batch ? 'batch' : 'service', algorithm === 'spread'))
    const stopped = this.job === undefined || this.job.Stop
    if (!stopped) stack.setJob(this.job!)

    this.computeJobAllocs(stopped)

    for (const followup of this.followups) await this.planner.createEval(followup)
    // Placements that failed leave a blocked eval, once.
    if (Object.keys(this.failedTGAllocs).length > 0 && this.blocked === undefined && ev.Status !== EvalStatusBlocked) {
      await this.createBlockedEval(false)
    }
    if (planIsNoOp(plan) && !ev.AnnotatePlan) return true

    const { result, newState } = await this.planner.submitPlan(plan)
    this.planResult = result
    if (newState !== undefined) {
      this.state = newState
      return false
    }
    return planResultFullCommit(result, plan).full
  }

  private computeJobAllocs(stopped: boolean): void {
    const ev = this.ev
    const plan = this.plan!
    const job = this.job
    const allocs = this.state.allocsByJob(ev.Namespace, ev.JobID, true)
    const deployment = this.batch ? undefined : this.state.latestDeploymentByJobID(ev.Namespace, ev.JobID)
    const results = reconcile({
      job: stopped ? undefined : job,
      batch: this.batch,
      eval: ev,
      deployment,
      allocs,
      tainted: taintedNodes(this.state, allocs),
      nowNanos: this.nowNanos(),
      newID: () => this.newID(),
    })
    if (ev.AnnotatePlan) plan.Annotations = { DesiredTGUpdates: results.desiredTGUpdates }
    plan.Deployment = results.deployment ?? null
    plan.DeploymentUpdates = results.deploymentUpdates
    this.followups = results.followupEvals
    const now = this.clock.now()

    for (const s of results.stop) planAppendStoppedAlloc(plan, s.alloc, s.description, s.clientStatus, s.followupEvalID, now)
    for (const a of results.inplace) planAppendAlloc(plan, a, job ?? null)
    for (const a of results.attributeUpdates) planAppendAlloc(plan, a, job ?? null)
    if (stopped || job === undefined) return

    const nodes = readyNodesInDCs(this.state, job.Datacenters ?? [])
    this.stack!.setNodes(nodes.nodes)
    this.queued = {}
    for (const r of results.replace) {
      planAppendStoppedAlloc(plan, r.stop.alloc, r.stop.description, r.stop.clientStatus, r.stop.followupEvalID, now)
      if (!this.place(r.place, nodes.byDC)) {
        // The replacement found no home: keep the old allocation running.
        planPopUpdate(plan, r.stop.alloc)
      }
    }
    for (const p of results.place) this.place(p, nodes.byDC)
  }

  private place(req: PlacementRequest, byDC: Record<string, number>): boolean {
    const ctx = this.ctx!
    const tg = req.tg
    // Once a group failed, the rest of its placements fail the same way: count, do not retry.
    const failed = this.failedTGAllocs[tg.Name]
    if (failed !== undefined) {
      failed.CoalescedFailures++
      this.queued[tg.Name] = (this.queued[tg.Name] ?? 0) + 1
      return false
    }
    ctx.resetMetrics()
    ctx.metrics.NodesAvailable = { ...byDC }
    const penalty = new Set<string>()
    if (req.previous !== undefined && req.reschedule) {
      penalty.add(req.previous.NodeID)
      for (const e of req.previous.RescheduleTracker?.Events ?? []) penalty.add(e.PrevNodeID)
    }
    const option = this.stack!.select(tg, { penaltyNodeIDs: penalty })
    if (option === undefined) {
      this.failedTGAllocs[tg.Name] = ctx.metrics
      this.queued[tg.Name] = (this.queued[tg.Name] ?? 0) + 1
      return false
    }
    const job = this.job!
    const now = this.nowNanos()
    const alloc: Allocation = {
      ID: this.newID(),
      Namespace: job.Namespace,
      EvalID: this.ev.ID,
      Name: req.name,
      NodeID: option.node.ID,
      NodeName: option.node.Name,
      JobID: job.ID,
      Job: job,
      TaskGroup: tg.Name,
      AllocatedResources: { Tasks: option.tasks, Shared: option.shared },
      Metrics: ctx.metrics,
      DesiredStatus: AllocDesiredStatusRun,
      DesiredDescription: '',
      DesiredTransition: {},
      ClientStatus: AllocClientStatusPending,
      ClientDescription: '',
      PreviousAllocation: req.previous?.ID ?? '',
      NextAllocation: '',
      DeploymentID: req.deploymentID ?? '',
      DeploymentStatus: req.canary ? { Healthy: null, Timestamp: new Date(0), Canary: true, ModifyIndex: 0 } : null,
      RescheduleTracker: req.reschedule && req.previous !== undefined
        ? { Events: [...(req.previous.RescheduleTracker?.Events ?? []), { RescheduleTime: now, PrevAllocID: req.previous.ID, PrevNodeID: req.previous.NodeID, Delay: 0 }] }
        : null,
      FollowupEvalID: '',
      PreemptedByAllocation: '',
      CreateIndex: 0,
      ModifyIndex: 0,
      AllocModifyIndex: 0,
      CreateTime: now,
      ModifyTime: now,
    }
    if (req.canary && this.plan!.Deployment?.TaskGroups?.[tg.Name] != null) {
      const state = this.plan!.Deployment.TaskGroups[tg.Name]!
      state.PlacedCanaries = [...(state.PlacedCanaries ?? []), alloc.ID]
    }
    planAppendAlloc(this.plan!, alloc, job)
    return true
  }

  private async createBlockedEval(planFailure: boolean): Promise<void> {
    const ctx = this.ctx
    const blocked = createBlockedEval(
      this.ev,
      ctx?.eligibility.classes() ?? null,
      ctx?.eligibility.hasEscaped() ?? false,
      '',
      { id: this.newID(), nowNanos: this.nowNanos() },
    )
    if (planFailure) {
      blocked.TriggeredBy = EvalTriggerMaxPlans
      blocked.StatusDescription = blockedEvalMaxPlanDesc
    } else {
      blocked.StatusDescription = blockedEvalFailedPlacements
    }
    this.blocked = blocked
    await this.planner.createEval(blocked)
  }

  private async setStatus(status: string, description: string): Promise<void> {
    const ev: Evaluation = {
      ...this.ev,
      Status: status,
      StatusDescription: description,
      BlockedEval: this.blocked?.ID ?? this.ev.BlockedEval,
      FailedTGAllocs: Object.keys(this.failedTGAllocs).length > 0 ? this.failedTGAllocs : null,
      QueuedAllocations: { ...this.queued },
    }
    updateEvalModifyTime(ev, this.nowNanos())
    await this.planner.updateEval(ev)
  }
}


/** A service scheduler. */
export function newServiceScheduler(state: State, planner: Planner, options?: SchedulerOptions): GenericScheduler {
  return new GenericScheduler(state, planner, false, options)
}

/** A batch scheduler. */
export function newBatchScheduler(state: State, planner: Planner, options?: SchedulerOptions): GenericScheduler {
  return new GenericScheduler(state, planner, true, options)
}

