import { systemClock, systemRandom, type Clock, type Random } from '@nomadic/runtime'
import type { Allocation, AllocMetric, Evaluation, Job, Node, Plan, PlanResult, TaskGroup } from '@nomadic/structs'
import {
  EvalStatusComplete,
  EvalStatusFailed,
  makePlan,
  newAllocation,
  planAppendAlloc,
  planIsNoOp,
  planResultFullCommit,
  updateEvalModifyTime,
} from '@nomadic/structs'
import { EvalContext, type NodeUsageCache } from './context.js'
import { SchedulerError } from './errors.js'
import { randomUUID } from './ids.js'
import type { Planner, Scheduler, State } from './interfaces.js'
import type { RankedNode } from './rank.js'
import { retryMax } from './retry.js'

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

/**
 * What the generic and system schedulers share: the retry loop around attempts, a fresh plan
 * and eval context per attempt, plan submission with a state refresh after a partial commit,
 * new allocations, placement failures and the eval's final status.
 */
export abstract class SchedulerBase implements Scheduler {
  protected readonly clock: Clock
  protected readonly random: Random
  private readonly usageCache: NodeUsageCache | undefined
  protected ev!: Evaluation
  protected job: Job | undefined
  protected plan!: Plan
  protected ctx!: EvalContext
  private planResult: PlanResult | undefined
  protected failedTGAllocs: Record<string, AllocMetric> = {}
  protected queued: Record<string, number> = {}

  constructor(protected state: State, protected readonly planner: Planner, options: SchedulerOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? systemRandom
    this.usageCache = options.usageCache
  }

  /** How many attempts without progress before giving up. */
  protected abstract readonly maxAttempts: number

  /** One pass: plan what the eval asks for; true when done, false to try again. */
  protected abstract attempt(): Promise<boolean>

  /** Called when the attempts run out, before the eval is failed. */
  protected async onAttemptsExhausted(): Promise<void> {}

  /** Called when the attempts succeeded: finishes the eval. */
  protected async onDone(): Promise<void> {
    await this.setStatus(EvalStatusComplete, '')
  }

  async process(ev: Evaluation): Promise<void> {
    this.ev = ev
    this.failedTGAllocs = {}
    this.queued = {}
    if (!validTriggers.has(ev.TriggeredBy)) {
      await this.setStatus(EvalStatusFailed, `scheduler cannot handle '${ev.TriggeredBy}' evaluation reason`)
      return
    }
    try {
      await retryMax(this.maxAttempts, () => this.attempt(), () => this.progressMade())
    } catch (err) {
      if (!(err instanceof SchedulerError) || err.code !== 'SCHEDULER_MAX_ATTEMPTS') throw err
      await this.onAttemptsExhausted()
      await this.setStatus(EvalStatusFailed, err.message)
      return
    }
    await this.onDone()
  }

  protected nowNanos(): number {
    return this.clock.now() * 1e6
  }

  protected newID(): string {
    return randomUUID(this.random)
  }

  /** Starts an attempt: the job as the state has it now, an empty plan, a fresh context. */
  protected beginAttempt(): void {
    this.planResult = undefined
    this.failedTGAllocs = {}
    this.queued = {}
    this.job = this.state.jobByID(this.ev.Namespace, this.ev.JobID)
    this.plan = makePlan(this.ev, this.job ?? null)
    this.plan.SnapshotIndex = this.ev.SnapshotIndex
    this.ctx = new EvalContext(this.state, this.plan, this.random, this.usageCache)
  }

  /**
   * Submits the plan (unless there is nothing in it). True when everything committed; after a
   * partial commit the state the planner hands back replaces ours and the attempt must repeat.
   */
  protected async submit(): Promise<boolean> {
    if (planIsNoOp(this.plan) && !this.ev.AnnotatePlan) return true
    const { result, newState } = await this.planner.submitPlan(this.plan)
    this.planResult = result
    if (newState !== undefined) {
      this.state = newState
      return false
    }
    return planResultFullCommit(result, this.plan).full
  }

  private progressMade(): boolean {
    const r = this.planResult
    if (r === undefined) return false
    return Object.keys(r.NodeUpdate ?? {}).length > 0 || Object.keys(r.NodeAllocation ?? {}).length > 0 ||
      r.Deployment != null || (r.DeploymentUpdates?.length ?? 0) > 0
  }

  /** Records a placement that found no node (later ones of the group coalesce into it). */
  protected placementFailed(tg: TaskGroup, metrics: AllocMetric): void {
    const prev = this.failedTGAllocs[tg.Name]
    if (prev !== undefined) prev.CoalescedFailures++
    else this.failedTGAllocs[tg.Name] = metrics
    this.queued[tg.Name] = (this.queued[tg.Name] ?? 0) + 1
  }

  /** A new allocation of the group on the chosen node, added to the plan. */
  protected placeOn(option: RankedNode, tg: TaskGroup, name: string, fields: Partial<Allocation> = {}): Allocation {
    const job = this.job!
    const node: Node = option.node
    const now = this.nowNanos()
    const alloc = newAllocation({
      ID: this.newID(),
      Namespace: job.Namespace,
      EvalID: this.ev.ID,
      Name: name,
      NodeID: node.ID,
      NodeName: node.Name,
      JobID: job.ID,
      Job: job,
      TaskGroup: tg.Name,
      AllocatedResources: { Tasks: option.tasks, Shared: option.shared },
      Metrics: this.ctx.metrics,
      CreateTime: now,
      ModifyTime: now,
      ...fields,
    })
    planAppendAlloc(this.plan, alloc, job)
    return alloc
  }

  /** Sets the eval's final status, with the placement failures and queued counts. */
  protected async setStatus(status: string, description: string, fields: Partial<Evaluation> = {}): Promise<void> {
    const ev: Evaluation = {
      ...this.ev,
      Status: status,
      StatusDescription: description,
      FailedTGAllocs: Object.keys(this.failedTGAllocs).length > 0 ? this.failedTGAllocs : null,
      QueuedAllocations: { ...this.queued },
      ...fields,
    }
    updateEvalModifyTime(ev, this.nowNanos())
    await this.planner.updateEval(ev)
  }
}
