import type { Random } from '@nomadic/runtime'
import type { Allocation, AllocMetric, Constraint, Job, NetworkResource, Node, Plan, TaskGroup } from '@nomadic/structs'
import { addToAllocsUsage, allocsUsage, type AllocsUsage, canAssignOnHeadroom, escapedConstraints, type NetworkHeadroom, nodeComparableReserved, nodeComparableResources } from '@nomadic/structs'
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

/**
 * What a node would run if the plan so far committed, with its network index and resource
 * totals: computed once and reused by every placement until the plan changes on that node.
 */
export interface NodeUsage extends AllocsUsage {
  /** The node object it was computed for (a changed node is a new object). */
  node: Node
  /** How many placements, stops and preemptions of the plan on this node it reflects. */
  placed: number
  stops: number
  preempts: number
  proposed: Allocation[]
  /** What the node offers after what it reserves. */
  availCpu: number
  availMemory: number
  availDisk: number
  /**
   * How many of `proposed` each job's group has (keyed by {@link groupKey}), counted when first
   * asked and then kept up to date: job anti-affinity asks it of every candidate node.
   */
  groups: Map<string, number> | undefined
  /** `netIdx.headroom()`: the node's single address as plain numbers, if it has just one. */
  headroom: NetworkHeadroom | undefined
  /** The last network ask checked against `netIdx` and the answer (see {@link networkProblem}). */
  netAsk: NetworkResource | undefined
  netProblem: string | undefined
}

/**
 * Whether the node's networks can take `ask` (`NetworkIndex.canAssign`), remembered for the
 * ask until the usage changes: a placement looks at a node more than once per evaluation.
 */
export function networkProblem(usage: NodeUsage, ask: NetworkResource): string | undefined {
  if (usage.netAsk !== ask) {
    const quick = usage.headroom === undefined ? null : canAssignOnHeadroom(usage.headroom, ask)
    usage.netProblem = quick === null ? usage.netIdx.canAssign(ask) : quick
    usage.netAsk = ask
  }
  return usage.netProblem
}

/** The key of a job's task group in {@link NodeUsage.groups}. */
export function groupKey(jobID: string, taskGroup: string): string {
  return `${jobID}\u0000${taskGroup}`
}

/** How many of the allocations `usage` proposes belong to the group (`groupKey`). */
export function groupAllocCount(usage: NodeUsage, key: string): number {
  let groups = usage.groups
  if (groups === undefined) {
    groups = new Map()
    for (const a of usage.proposed) countIn(groups, a)
    usage.groups = groups
  }
  return groups.get(key) ?? 0
}

function countIn(groups: Map<string, number>, a: Allocation): void {
  const key = groupKey(a.JobID, a.TaskGroup)
  groups.set(key, (groups.get(key) ?? 0) + 1)
}

function buildUsage(node: Node, proposed: Allocation[], placed: number, stops: number, preempts: number): NodeUsage {
  const { netIdx, collide, cpu, memory, disk } = allocsUsage(node, proposed)
  const total = nodeComparableResources(node)
  const reserved = nodeComparableReserved(node)
  return {
    node, placed, stops, preempts,
    // The usage owns its list (it grows in place); the state's stays as it was.
    proposed: proposed.slice(), netIdx, collide, cpu, memory, disk,
    availCpu: total.Flattened.Cpu.CpuShares - (reserved?.Flattened.Cpu.CpuShares ?? 0),
    availMemory: total.Flattened.Memory.MemoryMB - (reserved?.Flattened.Memory.MemoryMB ?? 0),
    availDisk: total.Shared.DiskMB - (reserved?.Shared.DiskMB ?? 0),
    groups: undefined,
    headroom: netIdx.headroom(),
    netAsk: undefined,
    netProblem: undefined,
  }
}

// A copy of `base` with `added` placed on top (the copy owns its index and lists).
function extend(base: NodeUsage, added: readonly Allocation[], placed: number): NodeUsage {
  const usage: NodeUsage = { ...base, placed, stops: 0, preempts: 0, proposed: [...base.proposed], netIdx: base.netIdx.copy(), groups: base.groups === undefined ? undefined : new Map(base.groups) }
  foldIn(usage, added)
  return usage
}

// Brings an earlier usage of the node up to `live` in place, when `live` is that usage's
// allocations (the very same objects) plus new ones; false (and `previous` untouched)
// otherwise. A live allocation sharing an ID with an earlier one would mean that one is gone
// from `live`, as IDs are unique, so identity is all that needs comparing.
function growInPlace(previous: NodeUsage, live: readonly Allocation[]): boolean {
  const before = previous.proposed
  if (live.length < before.length) return false
  // Stores usually list a node's allocations in the same order each time: compare in place.
  let same = 0
  while (same < before.length && live[same] === before[same]) same++
  if (same === before.length) {
    if (live.length > same) foldIn(previous, live.slice(same))
    return true
  }
  const known = new Set(before)
  let kept = 0
  const added: Allocation[] = []
  for (const a of live) {
    if (known.has(a)) kept++
    else added.push(a)
  }
  if (kept !== before.length) return false
  foldIn(previous, added)
  return true
}

function foldIn(usage: NodeUsage, fresh: readonly Allocation[]): void {
  addToAllocsUsage(usage, fresh)
  usage.headroom = usage.netIdx.headroom()
  usage.netAsk = undefined
  for (const a of fresh) {
    usage.proposed.push(a)
    if (usage.groups !== undefined) countIn(usage.groups, a)
  }
}

/**
 * Keeps each node's usage across evaluations while the state's allocations on it do not change
 * (needs `State.nodeAllocsVersion`), and brings it up to date in place when the node only gained
 * allocations. So it serves one evaluation at a time: a worker keeps one for its lifetime (give
 * workers that run at the same time a cache each). It holds one entry per node.
 */
export class NodeUsageCache {
  private readonly entries = new Map<string, NodeUsageEntry>()

  /** The node's entry, empty the first time. */
  entry(nodeID: string): NodeUsageEntry {
    let e = this.entries.get(nodeID)
    if (e === undefined) this.entries.set(nodeID, (e = { version: 0, usage: undefined, reader: undefined }))
    return e
  }

  /** Forgets everything (after a restore, when versions may repeat). */
  clear(): void {
    this.entries.clear()
  }
}

/** One node's slot in a {@link NodeUsageCache}. */
export interface NodeUsageEntry {
  /** The state's `nodeAllocsVersion` that `usage` reflects. */
  version: number
  usage: NodeUsage | undefined
  /** The evaluation that last read it (which need not check the version again). */
  reader: object | undefined
}

/** Everything one evaluation's placement decisions share. */
export class EvalContext {
  readonly eligibility = new EvalEligibility()
  metrics: AllocMetric = emptyMetric()
  private readonly regexps = new Map<string, RegExp | null>()
  private readonly usage = new Map<string, NodeUsage>()
  private readonly base = new Map<string, NodeUsage>()

  constructor(
    public state: State,
    readonly plan: Plan,
    readonly random: Random,
    private readonly cache?: NodeUsageCache,
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
   * The node's {@link NodeUsage}. Nodes the plan has not touched share the state's usage (kept
   * across evals by a {@link NodeUsageCache}); placements the plan adds are folded into a usage of
   * this eval's own; anything else the plan changes on the node rebuilds that.
   */
  nodeUsage(node: Node): NodeUsage {
    const plan = this.plan
    const placed = plan.NodeAllocation?.[node.ID]
    const stops = plan.NodeUpdate?.[node.ID]?.length ?? 0
    const preempts = plan.NodePreemptions?.[node.ID]?.length ?? 0
    const count = placed?.length ?? 0
    if (count === 0 && stops === 0 && preempts === 0) return this.baseUsage(node)
    const local = this.usage.get(node.ID)
    if (local !== undefined && local.stops === stops && local.preempts === preempts) {
      if (local.placed === count) return local
      const fresh = placed!.slice(local.placed)
      if (count > local.placed && fresh.every((a) => !this.replaces(a, local))) {
        foldIn(local, fresh)
        local.placed = count
        return local
      }
    }
    let usage: NodeUsage
    if (stops === 0 && preempts === 0 && local === undefined) {
      // Only placements so far: the state's usage plus them, unless one replaces an allocation.
      const base = this.baseUsage(node)
      usage = placed!.some((a) => this.replaces(a, base)) ? buildUsage(node, this.proposedAllocs(node.ID), count, stops, preempts) : extend(base, placed!, count)
    } else {
      usage = buildUsage(node, this.proposedAllocs(node.ID), count, stops, preempts)
    }
    this.usage.set(node.ID, usage)
    return usage
  }

  // Whether the placement takes the place of an allocation `usage` counts (an update in place).
  // New allocations have IDs the state has never seen: then only the plan's own placements,
  // which come last in `proposed`, need a look.
  private replaces(placement: Allocation, usage: NodeUsage): boolean {
    const proposed = usage.proposed
    const from = this.state.allocByID(placement.ID) === undefined ? proposed.length - usage.placed : 0
    for (let i = from; i < proposed.length; i++) if (proposed[i]!.ID === placement.ID) return true
    return false
  }

  // The usage of what the state alone runs on the node. Shared: only the cache changes it, and
  // only for a later version of the node. Looked up once per evaluation.
  private baseUsage(node: Node): NodeUsage {
    const state = this.state
    if (this.cache !== undefined && state.nodeAllocsVersion !== undefined) {
      const e = this.cache.entry(node.ID)
      let usage = e.usage
      // The state stands still under one evaluation: once read, the entry is current for it.
      if (e.reader === this && usage !== undefined && usage.node === node) return usage
      const version = state.nodeAllocsVersion(node.ID)
      if (usage === undefined || usage.node !== node || e.version !== version) {
        const live = state.allocsByNodeTerminal(node.ID, false)
        // Usually the node only gained allocations since last time: extend what was known.
        usage = usage !== undefined && usage.node === node && growInPlace(usage, live) ? usage : buildUsage(node, live, 0, 0, 0)
        e.version = version
        e.usage = usage
      }
      e.reader = this
      return usage
    }
    let usage = this.base.get(node.ID)
    if (usage === undefined || usage.node !== node) {
      usage = buildUsage(node, state.allocsByNodeTerminal(node.ID, false), 0, 0, 0)
      this.base.set(node.ID, usage)
    }
    return usage
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

