import type { Constraint, Job, Node, TaskGroup } from '@nomadic/structs'
import { NodeSchedulingEligible, NodeStatusReady } from '@nomadic/structs'
import { bump, ClassFeasibility, groupConstraints, groupDrivers, type EvalContext } from './context.js'
import { constraintString, ConstraintDistinctHosts, ConstraintDistinctProperty, nodeMatches, resolveTarget } from './constraint.js'
import type { State } from './interfaces.js'
import type { PropertyUsage } from './property-usage.js'

/** Nodes that can take work in the job's datacenters, and how many each datacenter has. */
export function readyNodesInDCs(state: State, datacenters: readonly string[]): { nodes: Node[]; byDC: Record<string, number> } {
  const wanted = new Set(datacenters)
  const byDC: Record<string, number> = {}
  for (const dc of datacenters) byDC[dc] = 0
  const nodes: Node[] = []
  for (const node of state.nodes()) {
    if (node.Status !== NodeStatusReady || node.Drain || node.SchedulingEligibility !== NodeSchedulingEligible) continue
    if (!wanted.has(node.Datacenter)) continue
    nodes.push(node)
    byDC[node.Datacenter] = (byDC[node.Datacenter] ?? 0) + 1
  }
  return { nodes, byDC }
}

function driverHealthy(node: Node, driver: string): boolean {
  const info = node.Drivers?.[driver]
  if (info != null) return info.Detected && info.Healthy
  const attr = node.Attributes?.[`driver.${driver}`]
  return attr !== undefined && ['1', 'true', 't', 'TRUE', 'True', 'T'].includes(attr)
}

/**
 * Feasibility of nodes for a job's task groups, memoized per computed class unless the job's or
 * group's constraints look at unique attributes. Filtered nodes are counted in the metrics.
 */
export class FeasibilityChecker {
  private job: Job | undefined

  constructor(private readonly ctx: EvalContext) {}

  setJob(job: Job): void {
    this.job = job
    this.ctx.eligibility.setJob(job)
  }

  feasible(node: Node, tg: TaskGroup): boolean {
    const ctx = this.ctx
    const elig = ctx.eligibility
    const cls = node.ComputedClass
    if (elig.jobEscapes() || cls === '') {
      if (!this.jobChecks(node)) return false
    } else {
      const status = elig.jobStatus(cls)
      if (status === ClassFeasibility.Ineligible) return this.classFiltered(cls)
      if (status === ClassFeasibility.Unknown) {
        const ok = this.jobChecks(node)
        elig.setJobStatus(ok, cls)
        if (!ok) return false
      }
    }
    if (elig.groupEscapes(tg.Name) || cls === '') return this.groupChecks(node, tg)
    const status = elig.groupStatus(tg.Name, cls)
    if (status === ClassFeasibility.Ineligible) return this.classFiltered(cls)
    if (status === ClassFeasibility.Eligible) return true
    const ok = this.groupChecks(node, tg)
    elig.setGroupStatus(ok, tg.Name, cls)
    return ok
  }

  private classFiltered(cls: string): false {
    this.ctx.metrics.NodesFiltered++
    bump(this.ctx.metrics.ClassFiltered, cls)
    return false
  }

  private filtered(reason: string): false {
    this.ctx.metrics.NodesFiltered++
    bump(this.ctx.metrics.ConstraintFiltered, reason)
    return false
  }

  private constraintsHold(node: Node, constraints: readonly Constraint[]): boolean {
    for (const c of constraints) {
      if (!nodeMatches(node, c, (p) => this.ctx.regexp(p))) return this.filtered(constraintString(c))
    }
    return true
  }

  private jobChecks(node: Node): boolean {
    return this.constraintsHold(node, this.job?.Constraints ?? [])
  }

  private groupChecks(node: Node, tg: TaskGroup): boolean {
    for (const driver of groupDrivers(tg)) {
      if (!driverHealthy(node, driver)) return this.filtered('missing drivers')
    }
    for (const vol of Object.values(tg.Volumes ?? {})) {
      if (vol.Type === 'host' && node.HostVolumes?.[vol.Source] == null) return this.filtered('missing compatible host volumes')
    }
    return this.constraintsHold(node, groupConstraints(tg))
  }
}

/**
 * `distinct_hosts` and `distinct_property`: they depend on where the job's allocations are,
 * including the ones this plan places, so they are checked per node, never memoized.
 */
export class DistinctChecker {
  private job: Job | undefined

  constructor(private readonly ctx: EvalContext) {}

  setJob(job: Job): void {
    this.job = job
    this.perGroup.clear()
  }

  // Which distinct constraints apply to each group, worked out once per job.
  private readonly perGroup = new Map<string, { hostsJob: boolean; hostsGroup: boolean; properties: Array<readonly [Constraint, string | undefined]> }>()

  /** `usage(group)` counts the job's allocations by property, for the group or (undefined) the job. */
  feasible(node: Node, tg: TaskGroup, usage: (group: string | undefined) => PropertyUsage): boolean {
    const job = this.job
    if (job === undefined) return true
    let rules = this.perGroup.get(tg.Name)
    if (rules === undefined) {
      const jobLevel = job.Constraints ?? []
      const groupLevel = groupConstraints(tg)
      rules = {
        hostsJob: jobLevel.some((c) => c.Operand === ConstraintDistinctHosts),
        hostsGroup: groupLevel.some((c) => c.Operand === ConstraintDistinctHosts),
        properties: [
          ...jobLevel.filter((x) => x.Operand === ConstraintDistinctProperty).map((x) => [x, undefined] as const),
          ...groupLevel.filter((x) => x.Operand === ConstraintDistinctProperty).map((x) => [x, tg.Name] as const),
        ],
      }
      this.perGroup.set(tg.Name, rules)
    }
    const { hostsJob, hostsGroup } = rules
    if (hostsJob || hostsGroup) {
      for (const a of this.ctx.nodeUsage(node).proposed) {
        if (a.JobID !== job.ID || a.Namespace !== job.Namespace) continue
        if (hostsJob || a.TaskGroup === tg.Name) {
          return this.filtered('distinct_hosts')
        }
      }
    }
    for (const [c, scope] of rules.properties) {
      const { value, found } = resolveTarget(c.LTarget, node)
      if (!found) return this.filtered(`missing property ${c.LTarget}`)
      const limit = c.RTarget === '' ? 1 : Number.parseInt(c.RTarget, 10)
      if (!Number.isFinite(limit) || limit < 1) return this.filtered(`invalid distinct_property limit ${c.RTarget}`)
      if ((usage(scope).counts(c.LTarget).get(value) ?? 0) >= limit) return this.filtered(`distinct_property: ${c.LTarget}=${value} used by ${limit} allocs`)
    }
    return true
  }

  private filtered(reason: string): false {
    this.ctx.metrics.NodesFiltered++
    bump(this.ctx.metrics.ConstraintFiltered, reason)
    return false
  }
}
