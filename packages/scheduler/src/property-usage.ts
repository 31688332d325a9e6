import type { Allocation, Job } from '@nomadic/structs'
import { allocTerminal } from '@nomadic/structs'
import { resolveTarget } from './constraint.js'
import type { EvalContext } from './context.js'

/**
 * How many of a job's allocations — of one group, or of the whole job — sit on nodes with each
 * value of a node property (existing ones the plan does not stop, plus the plan's placements).
 * `distinct_property` and spread read it; it is made for one placement, while the plan stands
 * still, and counts each property once.
 */
export class PropertyUsage {
  private readonly cache = new Map<string, Map<string, number>>()

  constructor(
    private readonly ctx: EvalContext,
    private readonly job: Job,
    /** The group counted, or undefined for the whole job. */
    private readonly group: string | undefined,
  ) {}

  /** Allocations per value of `target` (`${meta.rack}`, `${node.datacenter}`, …). */
  counts(target: string): Map<string, number> {
    let counts = this.cache.get(target)
    if (counts !== undefined) return counts
    const found = new Map<string, number>()
    const { ctx, job, group } = this
    const stopped = new Set<string>()
    for (const list of Object.values(ctx.plan.NodeUpdate ?? {})) for (const a of list) stopped.add(a.ID)
    const seen = new Set<string>()
    const add = (a: Allocation): void => {
      if (seen.has(a.ID) || a.JobID !== job.ID || (group !== undefined && a.TaskGroup !== group)) return
      seen.add(a.ID)
      const node = ctx.state.nodeByID(a.NodeID)
      if (node === undefined) return
      const resolved = resolveTarget(target, node)
      if (resolved.found) found.set(resolved.value, (found.get(resolved.value) ?? 0) + 1)
    }
    for (const list of Object.values(ctx.plan.NodeAllocation ?? {})) for (const a of list) add(a)
    for (const a of ctx.state.allocsByJob(job.Namespace, job.ID, false)) if (!allocTerminal(a) && !stopped.has(a.ID)) add(a)
    counts = found
    this.cache.set(target, counts)
    return counts
  }
}
