import type { Allocation, Evaluation, Node } from '@nomadic/structs'
import {
  createBlockedEval,
  EvalStatusBlocked,
  EvalStatusComplete,
  EvalTriggerMaxPlans,
  NodeStatusDown,
  planAppendAlloc,
  planAppendStoppedAlloc,
  planPopUpdate,
} from '@nomadic/structs'
import { SchedulerBase, type SchedulerOptions } from './base.js'
import { readyNodesInDCs } from './feasible.js'
import type { Planner, State } from './interfaces.js'
import { reconcile, type PlacementRequest } from './reconcile.js'
import { Stack } from './stack.js'

export { validTriggers } from './base.js'
export type { SchedulerOptions } from './base.js'

const maxServiceAttempts = 5
const maxBatchAttempts = 2
export const blockedEvalMaxPlanDesc = 'created due to placement conflicts'
export const blockedEvalFailedPlacements = 'created to place remaining allocations'

const noOptions = {}

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
export class GenericScheduler extends SchedulerBase {
  protected readonly maxAttempts: number
  private stack!: Stack
  private blocked: Evaluation | undefined
  private followups: Evaluation[] = []

  constructor(state: State, planner: Planner, private readonly batch: boolean, options: SchedulerOptions = {}) {
    super(state, planner, options)
    this.maxAttempts = batch ? maxBatchAttempts : maxServiceAttempts
  }

  override async process(ev: Evaluation): Promise<void> {
    this.blocked = undefined
    await super.process(ev)
  }

  // Conflicts every time: leave a blocked eval to try again when capacity changes.
  protected override async onAttemptsExhausted(): Promise<void> {
    if (this.blocked === undefined) await this.createBlockedEval(true)
  }

  protected override async onDone(): Promise<void> {
    // A blocked eval that still cannot place everything goes back to being blocked.
    if (this.ev.Status === EvalStatusBlocked && Object.keys(this.failedTGAllocs).length > 0) {
      const elig = this.ctx.eligibility
      await this.planner.reblockEval({ ...this.ev, ClassEligibility: elig.classes(), EscapedComputedClass: elig.hasEscaped() })
      return
    }
    await this.setStatus(EvalStatusComplete, '')
  }

  protected override async setStatus(status: string, description: string, fields: Partial<Evaluation> = {}): Promise<void> {
    await super.setStatus(status, description, { BlockedEval: this.blocked?.ID ?? this.ev.BlockedEval, ...fields })
  }

  protected async attempt(): Promise<boolean> {
    this.beginAttempt()
    this.followups = []
    const algorithm = this.state.schedulerConfig()?.SchedulerAlgorithm
    this.stack = new Stack(this.ctx, this.batch ? 'batch' : 'service', algorithm === 'spread')
    const stopped = this.job === undefined || this.job.Stop
    if (!stopped) this.stack.setJob(this.job!)

    this.computeJobAllocs(stopped)

    for (const followup of this.followups) await this.planner.createEval(followup)
    // Placements that failed leave a blocked eval, once.
    if (Object.keys(this.failedTGAllocs).length > 0 && this.blocked === undefined && this.ev.Status !== EvalStatusBlocked) {
      await this.createBlockedEval(false)
    }
    return this.submit()
  }

  private computeJobAllocs(stopped: boolean): void {
    const ev = this.ev
    const plan = this.plan
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
    this.stack.setNodes(nodes.nodes)
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
    const ctx = this.ctx
    const tg = req.tg
    // Once a group failed, the rest of its placements fail the same way: count, do not retry.
    const failed = this.failedTGAllocs[tg.Name]
    if (failed !== undefined) {
      this.placementFailed(tg, failed)
      return false
    }
    ctx.resetMetrics()
    ctx.metrics.NodesAvailable = { ...byDC }
    let penalty: Set<string> | undefined
    if (req.previous !== undefined && req.reschedule) {
      penalty = new Set([req.previous.NodeID])
      for (const e of req.previous.RescheduleTracker?.Events ?? []) penalty.add(e.PrevNodeID)
    }
    const option = this.stack.select(tg, penalty === undefined ? noOptions : { penaltyNodeIDs: penalty })
    if (option === undefined) {
      this.placementFailed(tg, ctx.metrics)
      return false
    }
    const previous = req.previous
    const alloc = this.placeOn(option, tg, req.name, {
      PreviousAllocation: previous?.ID ?? '',
      DeploymentID: req.deploymentID ?? '',
      DeploymentStatus: req.canary ? { Healthy: null, Timestamp: new Date(0), Canary: true, ModifyIndex: 0 } : null,
      RescheduleTracker: req.reschedule && previous !== undefined
        ? { Events: [...(previous.RescheduleTracker?.Events ?? []), { RescheduleTime: this.nowNanos(), PrevAllocID: previous.ID, PrevNodeID: previous.NodeID, Delay: 0 }] }
        : null,
    })
    const dstate = req.canary ? this.plan.Deployment?.TaskGroups?.[tg.Name] : undefined
    if (dstate != null) dstate.PlacedCanaries = [...(dstate.PlacedCanaries ?? []), alloc.ID]
    return true
  }

  private async createBlockedEval(planFailure: boolean): Promise<void> {
    const elig = this.ctx?.eligibility
    const blocked = createBlockedEval(this.ev, elig?.classes() ?? null, elig?.hasEscaped() ?? false, '', { id: this.newID(), nowNanos: this.nowNanos() })
    if (planFailure) {
      blocked.TriggeredBy = EvalTriggerMaxPlans
      blocked.StatusDescription = blockedEvalMaxPlanDesc
    } else {
      blocked.StatusDescription = blockedEvalFailedPlacements
    }
    this.blocked = blocked
    await this.planner.createEval(blocked)
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

