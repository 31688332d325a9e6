import type { Random } from '@nomadic/runtime'
import type { Allocation, AllocMetric, Constraint, Job, Plan, TaskGroup } from '@nomadic/structs'
import { escapedConstraints } from '@nomadic/structs'
import type { State } from './interfaces.js'

/** What is known of a computed node class for a job or task group. */
export const enum ClassFeasibility {
  Unknown = 0,
  Ineligible = 1,
  Eligible = 2,
}

/**
 * Memoized feasibility per computed node class: nodes of one class share every attribute a
 * constraint can look at, unless the constraint targets a unique attribute (then it "escapes").
 */
export class EvalEligibility {
  private readonly job = new Map<string, ClassFeasibility>()
  private readonly groups = new Map<string, Map<string, ClassFeasibility>>()
  private jobEscaped = false
  private readonly groupEscaped = new Map<string, boolean>()

  setJob(job: Job): void {
    this.jobEscaped = escapedConstraints(job.Constraints ?? []).length > 0
    for (const tg of job.TaskGroups ?? []) {
      const constraints = [...(tg.Constraints ?? []), ...(tg.Tasks ?? []).flatMap((t) => t.Constraints ?? [])]
      this.groupEscaped.set(tg.Name, escapedConstraints(constraints).length > 0)
    }
  }

  hasEscaped(): boolean {
    return this.jobEscaped || [...this.groupEscaped.values()].some(Boolean)
  }

  jobEscapes(): boolean {
    return this.jobEscaped
  }

  groupEscapes(tg: string): boolean {
    return this.groupEscaped.get(tg) ?? false
  }

  jobStatus(cls: string): ClassFeasibility {
    return this.job.get(cls) ?? ClassFeasibility.Unknown
  }

  setJobStatus(eligible: boolean, cls: string): void {
    this.job.set(cls, eligible ? ClassFeasibility.Eligible : ClassFeasibility.Ineligible)
  }

  groupStatus(tg: string, cls: string): ClassFeasibility {
    return this.groups.get(tg)?.get(cls) ?? ClassFeasibility.Unknown
  }

  setGroupStatus(eligible: boolean, tg: string, cls: string): void {
    let m = this.groups.get(tg)
    if (m === undefined) this.groups.set(tg, (m = new Map()))
    m.set(cls, eligible ? ClassFeasibility.Eligible : ClassFeasibility.Ineligible)
  }

  /** Classes known eligible (true) or not (false), for a blocked eval's ClassEligibility. */
  classes(): Record<string, boolean> {
    const out: Record<string, boolean> = {}
    for (const [cls, f] of this.job) {
      if (f === ClassFeasibility.Eligible) out[cls] = true
      else if (f === ClassFeasibility.Ineligible) out[cls] = false
    }
    for (const m of this.groups.values()) {
      for (const [cls, f] of m) {
        if (f === ClassFeasibility.Eligible) out[cls] = true
        else if (f === ClassFeasibility.Ineligible && !(cls in out)) out[cls] = false
      }
    }
    return out
  }
}

export function emptyMetric(): AllocMetric {
  return {
    NodesEvaluated: 0, NodesFiltered: 0, NodesAvailable: {}, ClassFiltered: {}, ConstraintFiltered: {},
    NodesExhausted: 0, ClassExhausted: {}, DimensionExhausted: {}, QuotaExhausted: [], ScoreMetaData: [],
    AllocationTime: 0, CoalescedFailures: 0,
  }
}

export function bump(map: Record<string, number> | null | undefined, key: string): void {
  if (map != null) map[key] = (map[key] ?? 0) + 1
}

/** Everything one evaluation's placement decisions share. */
export class EvalContext {
  readonly eligibility = new EvalEligibility()
  metrics: AllocMetric = emptyMetric()
  private readonly regexps = new Map<string, RegExp | null>()

  constructor(
    public state: State,
    readonly plan: Plan,
    readonly random: Random,
  ) {}

  resetMetrics(): void {
    this.metrics = emptyMetric()
  }

  /** A compiled regular expression, cached; null for an invalid one. */
  regexp(pattern: string): RegExp | null {
    let re = this.regexps.get(pattern)
    if (re === undefined) {
      try {
        re = new RegExp(pattern)
      } catch {
        re = null
      }
      this.regexps.set(pattern, re)
    }
    return re
  }

  /**
   * The allocations a node would run if the plan so far committed: its non-terminal ones, less
   * what the plan stops or preempts, with the plan's placements added (replacing same IDs).
   */
  proposedAllocs(nodeID: string): Allocation[] {
    const existing = this.state.allocsByNodeTerminal(nodeID, false)
    const update = this.plan.NodeUpdate?.[nodeID]
    const preempt = this.plan.NodePreemptions?.[nodeID]
    const place = this.plan.NodeAllocation?.[nodeID]
    if (update === undefined && preempt === undefined && place === undefined) return existing
    const drop = new Set<string>()
    for (const a of update ?? []) drop.add(a.ID)
    for (const a of preempt ?? []) drop.add(a.ID)
    for (const a of place ?? []) drop.add(a.ID)
    const out = existing.filter((a) => !drop.has(a.ID))
    for (const a of place ?? []) out.push(a)
    return out
  }
}

/** Every constraint that applies to a task group: its own and its tasks'. */
export function groupConstraints(tg: TaskGroup): Constraint[] {
  return [...(tg.Constraints ?? []), ...(tg.Tasks ?? []).flatMap((t) => t.Constraints ?? [])]
}

/** Drivers the task group's tasks need. */
export function groupDrivers(tg: TaskGroup): string[] {
  return [...new Set((tg.Tasks ?? []).map((t) => t.Driver).filter((d) => d !== ''))]
}

