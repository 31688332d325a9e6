import type { Allocation, Node, TaskGroup } from '@nomadic/structs'
import {
  allocName,
  allocTerminal,
  AllocClientStatusLost,
  NodeStatusDown,
  planAppendAlloc,
  planAppendStoppedAlloc,
  planPopUpdate,
} from '@nomadic/structs'
import { SchedulerBase, type SchedulerOptions } from './base.js'
import { readyNodesInDCs } from './feasible.js'
import type { Planner, State } from './interfaces.js'
import { allocInPlace, allocLost, allocMigrating, allocNotNeeded, allocUpdating } from './reconcile.js'
import { Stack } from './stack.js'
import { tasksUpdated } from './updates.js'

/**
 * Nomad's system scheduler: one allocation of every task group on every feasible node of the
 * job's datacenters, stopped on nodes that go down or drain, updated in place or destructively
 * (at most `update.max_parallel` at a time when set).
 */
export class SystemScheduler extends SchedulerBase {
  protected readonly maxAttempts = 5

  protected async attempt(): Promise<boolean> {
    this.beginAttempt()
    const { ev, job, plan } = this
    const stack = new Stack(this.ctx, 'system', this.state.schedulerConfig()?.SchedulerAlgorithm === 'spread')
    const stopped = job === undefined || job.Stop
    if (!stopped) stack.setJob(job)
    const now = this.clock.now()

    const allocs = this.state.allocsByJob(ev.Namespace, ev.JobID, true).filter((a) => !allocTerminal(a))
    const ready = stopped ? [] : readyNodesInDCs(this.state, job.Datacenters ?? []).nodes
    const byNode = new Map<string, Set<string>>()
    for (const a of allocs) {
      let groups = byNode.get(a.NodeID)
      if (groups === undefined) byNode.set(a.NodeID, (groups = new Set()))
      groups.add(a.TaskGroup)
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
      for (const u of updates.slice(0, maxParallel > 0 ? maxParallel : updates.length)) {
        planAppendStoppedAlloc(plan, u.alloc, allocUpdating, '', '', now)
        if (!this.place(stack, u.tg, u.node, u.alloc)) planPopUpdate(plan, u.alloc)
      }
      // Every group on every ready node that lacks it.
      for (const node of ready) {
        for (const tg of job.TaskGroups ?? []) {
          if (!byNode.get(node.ID)?.has(tg.Name)) this.place(stack, tg, node, undefined)
        }
      }
    }
    return this.submit()
  }

  private place(stack: Stack, tg: TaskGroup, node: Node, previous: Allocation | undefined): boolean {
    this.ctx.resetMetrics()
    stack.setNodes([node])
    const option = stack.select(tg)
    if (option === undefined) {
      // Only a node short of resources counts as a failure; an infeasible node is simply skipped.
      if (this.ctx.metrics.NodesExhausted > 0) this.placementFailed(tg, this.failedTGAllocs[tg.Name] ?? this.ctx.metrics)
      return false
    }
    this.placeOn(option, tg, allocName(this.job!.ID, tg.Name, 0), { PreviousAllocation: previous?.ID ?? '' })
    return true
  }
}

/** A system scheduler. */
export function newSystemScheduler(state: State, planner: Planner, options?: SchedulerOptions): SystemScheduler {
  return new SystemScheduler(state, planner, options)
}
