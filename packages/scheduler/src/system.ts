import { systemClock, systemRandom, type Clock, type Random } from '@nomadic/runtime'
import type { Allocation, AllocMetric, Evaluation, Job, Node, Plan, PlanResult, TaskGroup } from '@nomadic/structs'
import {
  allocName,
  allocTerminal,
  AllocClientStatusLost,
  AllocClientStatusPending,
  AllocDesiredStatusRun,
  EvalStatusComplete,
  EvalStatusFailed,
  makePlan,
  NodeStatusDown,
  planAppendAlloc,
  planAppendStoppedAlloc,
  planIsNoOp,
  planPopUpdate,
  planResultFullCommit,
  updateEvalModifyTime,
} from '@nomadic/structs'
import { EvalContext } from './context.js'
import { SchedulerError } from './errors.js'
import { readyNodesInDCs } from './feasible.js'
import { validTriggers, type SchedulerOptions } from './generic.js'
import { randomUUID } from './ids.js'
import type { Planner, Scheduler, State } from './interfaces.js'
import { allocInPlace, allocLost, allocMigrating, allocNotNeeded, allocUpdating } from './reconcile.js'
import { retryMax } from './retry.js'
import { Stack } from './stack.js'
import { tasksUpdated } from './updates.js'

const maxSystemScheduleAttempts = 5

/**
 * Nomad's system scheduler: one allocation of every task group on every feasible node of the
 * job's datacenters, stopped on nodes that go down or drain, updated in place or destructively
 * (at most `update.max_parallel` at a time when set).
 */
export class SystemScheduler implements Scheduler {
  private readonly clock: Clock
  private readonly random: Random
  private ev!: Evaluation
  private job: Job | undefined
  private plan: Plan | undefined
  private planResult: PlanResult | undefined
  private ctx: EvalContext | undefined
  private failedTGAllocs: Record<string, AllocMetric> = {}
  private queued: Record<string, number> = {}

  constructor(private state: State, private readonly planner: Planner, options: SchedulerOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? systemRandom
    this.usageCache = options.usageCache
  }

  private readonly usageCache: SchedulerOptions['usageCache']

  async process(ev: Evaluation): Promise<void> {
    this.ev = ev
    if (!validTriggers.has(ev.TriggeredBy)) {
      await this.setStatus(EvalStatusFailed, `scheduler cannot handle '${ev.TriggeredBy}' evaluation reason`)
      return
    }
    try {
      await retryMax(maxSystemScheduleAttempts, () => this.attempt(), () => this.progressMade())
    } catch (err) {
      if (!(err instanceof SchedulerError) || err.code !== 'SCHEDULER_MAX_ATTEMPTS') throw err
      await this.setStatus(EvalStatusFailed, err.message)
      return
    }
    await this.setStatus(EvalStatusComplete, '')
  }

  private progressMade(): boolean {
    const r = this.planResult
    return r !== undefined && (Object.keys(r.NodeUpdate ?? {}).length > 0 || Object.keys(r.NodeAllocation ?? {}).length > 0)
  }

  private async attempt(): Promise<boolean> {
    const ev = this.ev
    this.planResult = undefined
    this.failedTGAllocs = {}
    this.queued = {}
    const job = (this.job = this.state.jobByID(ev.Namespace, ev.JobID))
    const plan = (this.plan = makePlan(ev, job ?? null))
    plan.SnapshotIndex = ev.SnapshotIndex
    const ctx = (this.ctx = new EvalContext(this.state, plan, this.random, this.usageCache))
    const stack = new Stack(ctx, 'system', this.state.schedulerConfig()?.SchedulerAlgorithm === 'spread')
    const stopped = job === undefined || job.Stop
    if (!stopped) stack.setJob(job)
    const now = this.clock.now()

    const allocs = this.state.allocsByJob(ev.Namespace, ev.JobID, true).filter((a) => !allocTerminal(a))
    const ready = stopped ? [] : readyNodesInDCs(this.state, job.Datacenters ?? []).nodes
    const byNode = new Map<string, Map<string, Allocation>>()
    for (const a of allocs) {
      let m = byNode.get(a.NodeID)
      if (m === undefined) byNode.set(a.NodeID, (m = new Map()))
      m.set(a.TaskGroup, a)
    }

    // What runs and should not, or must change.
    const updates: Array<{ alloc: Allocation; tg: TaskGroup; node: Node }> = []
    for (const a of allocs) {
      const tg = stopped ? undefined : job.TaskGroups?.find((g) => g.Name === a.TaskGroup)
      const node = this.state.nodeByID(a.NodeID)
      if (tg === undefined) {
        planAppendStoppedAlloc(plan, a, allocNotNeeded, '', '', now)
      } else if (node === undefined || node.Status === NodeStatusDown) {
        planAppendStoppedAlloc(plan, a, allocLost, AllocClientStatusLost, '', now)
      } else if (node.Drain) {
        planAppendStoppedAlloc(plan, a, allocMigrating, '', '', now)
      } else if (!(job!.Datacenters ?? []).includes(node.Datacenter)) {
        planAppendStoppedAlloc(plan, a, allocNotNeeded, '', '', now)
      } else if (a.Job != null && (a.Job.Version !== job!.Version || a.Job.JobModifyIndex !== job!.JobModifyIndex)) {
        if (tasksUpdated(job!, a.Job, tg.Name)) updates.push({ alloc: a, tg, node })
        else planAppendAlloc(plan, { ...a, Job: job!, EvalID: ev.ID, DesiredDescription: allocInPlace }, job!)
      }
    }
    if (!stopped) {
      const maxParallel = job.Update?.MaxParallel ?? 0
      const limit = maxParallel > 0 ? maxParallel : updates.length
      for (const u of updates.slice(0, limit)) {
        planAppendStoppedAlloc(plan, u.alloc, allocUpdating, '', '', now)
        stack.setNodes([u.node])
        if (!this.place(stack, u.tg, u.node, u.alloc)) planPopUpdate(plan, u.alloc)
      }
      // Every group on every ready node that lacks it.
      for (const node of ready) {
        for (const tg of job.TaskGroups ?? []) {
          if (byNode.get(node.ID)?.has(tg.Name)) continue
          stack.setNodes([node])
          this.place(stack, tg, node, undefined)
        }
      }
    }

    if (planIsNoOp(plan)) return true
    const { result, newState } = await this.planner.submitPlan(plan)
    this.planResult = result
    if (newState !== undefined) {
      this.state = newState
      return false
    }
    return planResultFullCommit(result, plan).full
  }

  private place(stack: Stack, tg: TaskGroup, node: Node, previous: Allocation | undefined): boolean {
    const ctx = this.ctx!
    ctx.resetMetrics()
    const option = stack.select(tg)
    if (option === undefined) {
      // Only a node short of resources counts as a failure; an infeasible node is simply skipped.
      if (ctx.metrics.NodesExhausted > 0) {
        const prev = this.failedTGAllocs[tg.Name]
        if (prev !== undefined) prev.CoalescedFailures++
        else this.failedTGAllocs[tg.Name] = ctx.metrics
        this.queued[tg.Name] = (this.queued[tg.Name] ?? 0) + 1
      }
      return false
    }
    const job = this.job!
    const now = this.clock.now() * 1e6
    const alloc: Allocation = {
      ID: randomUUID(this.random),
      Namespace: job.Namespace,
      EvalID: this.ev.ID,
      Name: allocName(job.ID, tg.Name, 0),
      NodeID: node.ID,
      NodeName: node.Name,
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
      PreviousAllocation: previous?.ID ?? '',
      NextAllocation: '',
      DeploymentID: '',
      FollowupEvalID: '',
      PreemptedByAllocation: '',
      CreateIndex: 0,
      ModifyIndex: 0,
      AllocModifyIndex: 0,
      CreateTime: now,
      ModifyTime: now,
    }
    planAppendAlloc(this.plan!, alloc, job)
    return true
  }

  private async setStatus(status: string, description: string): Promise<void> {
    const ev: Evaluation = {
      ...this.ev,
      Status: status,
      StatusDescription: description,
      FailedTGAllocs: Object.keys(this.failedTGAllocs).length > 0 ? this.failedTGAllocs : null,
      QueuedAllocations: { ...this.queued },
    }
    updateEvalModifyTime(ev, this.clock.now() * 1e6)
    await this.planner.updateEval(ev)
  }
}

/** A system scheduler. */
export function newSystemScheduler(state: State, planner: Planner, options?: SchedulerOptions): SystemScheduler {
  return new SystemScheduler(state, planner, options)
}
