import type { Affinity, AllocatedTaskResources, AllocatedSharedResources, Job, NetworkResource, Node, Spread, TaskGroup, TaskLifecycleConfig } from '@nomadic/structs'
import { allocComparableResources, BinPackingMaxFitScore, binPackFitOfFree, NetworkAssignError, NetworkIndex, spreadFitOfFree } from '@nomadic/structs'
import { bump, groupAllocCount, networkProblem, type EvalContext, type NodeUsage } from './context.js'
import { nodeMatches, resolveTarget } from './constraint.js'
import type { PropertyUsage } from './property-usage.js'

/** A node that can take the task group, with what it would be given and how it scored. */
export interface RankedNode {
  node: Node
  /** What the node runs if the plan so far commits. */
  usage: NodeUsage
  scores: number[]
  finalScore: number
  /** What the allocation is given: filled in by `finalize` when there is one. */
  tasks: Record<string, AllocatedTaskResources>
  shared: AllocatedSharedResources
  /** Completes the option once chosen (draws its ports); false when that fails after all. */
  finalize?: () => boolean
}

/** What a task group asks of a node, computed once per group. */
interface GroupAsk {
  cpu: number
  memory: number
  disk: number
  /** How many network asks the group and its tasks make. */
  networks: number
  /** The single network ask, when there is exactly one. */
  only: NetworkResource | undefined
}

const groupAsks = new WeakMap<TaskGroup, GroupAsk>()

function groupAsk(tg: TaskGroup): GroupAsk {
  let ask = groupAsks.get(tg)
  if (ask !== undefined) return ask
  const { tasks, shared } = resourcesFor(tg, (list) => [...(list ?? [])])
  const lifecycles: Record<string, TaskLifecycleConfig | null> = {}
  for (const task of tg.Tasks ?? []) lifecycles[task.Name] = task.Lifecycle ?? null
  const c = allocComparableResources({ AllocatedResources: { Tasks: tasks, TaskLifecycles: lifecycles, Shared: { ...shared, Networks: null } } })
  const all = [...(tg.Networks ?? []), ...(tg.Tasks ?? []).flatMap((t) => t.Resources?.Networks ?? [])]
  ask = {
    cpu: c.Flattened.Cpu.CpuShares,
    memory: c.Flattened.Memory.MemoryMB,
    disk: c.Shared.DiskMB,
    networks: all.length,
    only: all.length === 1 ? all[0] : undefined,
  }
  groupAsks.set(tg, ask)
  return ask
}

// The resources of one allocation of the group, with networks from `networksOf`.
function resourcesFor(
  tg: TaskGroup,
  networksOf: (asks: readonly NetworkResource[] | null | undefined) => NetworkResource[],
): { tasks: Record<string, AllocatedTaskResources>; shared: AllocatedSharedResources } {
  const tasks: Record<string, AllocatedTaskResources> = {}
  for (const task of tg.Tasks ?? []) {
    tasks[task.Name] = {
      Cpu: { CpuShares: task.Resources?.CPU ?? 0 },
      Memory: { MemoryMB: task.Resources?.MemoryMB ?? 0 },
      Networks: networksOf(task.Resources?.Networks),
    }
  }
  return { tasks, shared: { DiskMB: tg.EphemeralDisk?.SizeMB ?? 0, Networks: networksOf(tg.Networks) } }
}

/**
 * Bin packing: whether the group fits on the node and how well (the fit score), or undefined
 * (node exhausted). What the allocation is given — ports drawn from the node's network index —
 * is built by `finalize` for the node that wins, not for every candidate.
 */
export function binPack(ctx: EvalContext, node: Node, tg: TaskGroup, spreadAlgorithm: boolean): RankedNode | undefined {
  const usage = ctx.nodeUsage(node)
  if (usage.collide) return exhausted(ctx, node, 'network: port collision')
  const ask = groupAsk(tg)
  if (ask.networks > 1) return binPackManyNetworks(ctx, node, tg, spreadAlgorithm, ask, usage)
  if (ask.only !== undefined) {
    const problem = networkProblem(usage, ask.only)
    if (problem !== undefined) return exhausted(ctx, node, `network: ${problem}`)
  }
  const dimension = exhaustedDimension(usage, ask)
  if (dimension !== undefined) return exhausted(ctx, node, dimension)
  const score = fitScore(usage, usage.cpu + ask.cpu, usage.memory + ask.memory, spreadAlgorithm)
  return new BinPackOption(ctx, node, usage, tg, score)
}

// A candidate of the single-network path: its ports are drawn only if it wins. A class rather
// than a closure per candidate, as every feasible node visited makes one.
class BinPackOption implements RankedNode {
  scores: number[]
  finalScore: number
  tasks: Record<string, AllocatedTaskResources> = noTasks
  shared: AllocatedSharedResources = noShared

  constructor(
    private readonly ctx: EvalContext,
    readonly node: Node,
    readonly usage: NodeUsage,
    private readonly tg: TaskGroup,
    score: number,
  ) {
    this.scores = [score]
    this.finalScore = score
  }

  finalize(): boolean {
    let failed = false
    const built = resourcesFor(this.tg, (list) => (list ?? []).map((n) => {
      try {
        return this.usage.netIdx.assignNetwork(n, this.ctx.random)
      } catch (err) {
        if (!(err instanceof NetworkAssignError)) throw err
        failed = true
        return n
      }
    }))
    this.tasks = built.tasks
    this.shared = built.shared
    return !failed
  }
}

// What a candidate is given until it is finalized (replaced then, never changed).
const noTasks: Record<string, AllocatedTaskResources> = Object.freeze({}) as Record<string, AllocatedTaskResources>
const noShared: AllocatedSharedResources = Object.freeze({ DiskMB: 0 })

// The first of cpu, memory and disk the group would run the node out of, in allocsFit's order.
function exhaustedDimension(usage: NodeUsage, ask: GroupAsk): string | undefined {
  if (usage.cpu + ask.cpu > usage.availCpu) return 'cpu'
  if (usage.memory + ask.memory > usage.availMemory) return 'memory'
  if (usage.disk + ask.disk > usage.availDisk) return 'disk'
  return undefined
}

// The bin-packing (or spread) fit of the node running `cpu` and `memory`, normalized to [0, 1]:
// structs' scoreFitBinPack / scoreFitSpread, from the totals the usage keeps.
function fitScore(usage: NodeUsage, cpu: number, memory: number, spreadAlgorithm: boolean): number {
  const freeCpu = 1 - cpu / usage.availCpu
  const freeMemory = 1 - memory / usage.availMemory
  return (spreadAlgorithm ? spreadFitOfFree(freeCpu, freeMemory) : binPackFitOfFree(freeCpu, freeMemory)) / BinPackingMaxFitScore
}

// Several network asks must see each other's ports, so they are assigned now, on an index of
// their own that also checks the bandwidth they add up to.
function binPackManyNetworks(ctx: EvalContext, node: Node, tg: TaskGroup, spreadAlgorithm: boolean, ask: GroupAsk, usage: NodeUsage): RankedNode | undefined {
  const netIdx = new NetworkIndex()
  netIdx.setNode(node)
  netIdx.addAllocs(usage.proposed)
  let problem: string | undefined
  const built = resourcesFor(tg, (list) => {
    const out: NetworkResource[] = []
    for (const n of list ?? []) {
      if (problem !== undefined) break
      try {
        const offer = netIdx.assignNetwork(n, ctx.random)
        netIdx.addReserved(offer)
        out.push(offer)
      } catch (err) {
        if (!(err instanceof NetworkAssignError)) throw err
        problem = `network: ${err.reason}`
      }
    }
    return out
  })
  if (problem !== undefined) return exhausted(ctx, node, problem)
  const dimension = exhaustedDimension(usage, ask)
  if (dimension !== undefined) return exhausted(ctx, node, dimension)
  if (netIdx.overcommitted()) return exhausted(ctx, node, 'bandwidth exceeded')
  const score = fitScore(usage, usage.cpu + ask.cpu, usage.memory + ask.memory, spreadAlgorithm)
  return { node, usage, scores: [score], finalScore: score, tasks: built.tasks, shared: built.shared }
}

function exhausted(ctx: EvalContext, node: Node, dimension: string): undefined {
  ctx.metrics.NodesExhausted++
  bump(ctx.metrics.ClassExhausted, node.ComputedClass)
  bump(ctx.metrics.DimensionExhausted, dimension)
  return undefined
}

/**
 * Job anti-affinity: a penalty for every allocation of the same group already on the node.
 * `key` is the group's {@link groupKey}.
 */
export function jobAntiAffinity(option: RankedNode, key: string, tg: TaskGroup): void {
  const collisions = groupAllocCount(option.usage, key)
  if (collisions > 0) option.scores.push(-(collisions + 1) / Math.max(1, tg.Count))
}

/** Every affinity that applies to a task group: the job's, the group's and its tasks'. */
export function groupAffinities(job: Job, tg: TaskGroup): Affinity[] {
  return [...(job.Affinities ?? []), ...(tg.Affinities ?? []), ...(tg.Tasks ?? []).flatMap((t) => t.Affinities ?? [])]
}

/** Node affinity: the matching weights over the sum of all weights. */
export function nodeAffinity(ctx: EvalContext, option: RankedNode, affinities: readonly Affinity[]): void {
  if (affinities.length === 0) return
  let total = 0
  let sum = 0
  for (const a of affinities) {
    sum += Math.abs(a.Weight)
    if (nodeMatches(option.node, a, (p) => ctx.regexp(p))) total += a.Weight
  }
  if (total !== 0 && sum > 0) option.scores.push(total / sum)
}

/** Every spread that applies to a task group: the job's and the group's. */
export function groupSpreads(job: Job, tg: TaskGroup): Spread[] {
  return [...(job.Spreads ?? []), ...(tg.Spreads ?? [])]
}

/**
 * Spread: per attribute, how far the node's value is below its desired share (with targets), or
 * a boost toward the least used value (without), weighted; −1 for a node lacking the attribute.
 */
export function spreadScore(option: RankedNode, tg: TaskGroup, spreads: readonly Spread[], usage: PropertyUsage): void {
  if (spreads.length === 0) return
  const sumWeights = spreads.reduce((s, sp) => s + sp.Weight, 0) || 1
  let total = 0
  for (const spread of spreads) {
    const { value, found } = resolveTarget(spread.Attribute, option.node)
    if (!found) {
      total -= 1
      continue
    }
    const counts = usage.counts(spread.Attribute)
    const used = counts.get(value) ?? 0
    const weight = spread.Weight / sumWeights
    const targets = spread.SpreadTarget ?? []
    if (targets.length > 0) {
      const named = targets.find((t) => t.Value === value)
      const implicit = 100 - targets.reduce((s, t) => s + t.Percent, 0)
      const percent = named?.Percent ?? (implicit > 0 ? implicit : 0)
      const desired = (percent / 100) * tg.Count
      total += desired <= 0 ? -1 : ((desired - (used + 1)) / desired) * weight
    } else {
      total += evenSpreadBoost(counts, value) * weight
    }
  }
  if (total !== 0) option.scores.push(total)
}

function evenSpreadBoost(counts: ReadonlyMap<string, number>, value: string): number {
  if (counts.size === 0) return 0
  let min = Infinity
  let max = 0
  for (const c of counts.values()) {
    min = Math.min(min, c)
    max = Math.max(max, c)
  }
  const current = counts.get(value) ?? 0
  if (current < min) return 1
  if (current !== min) return min === 0 ? -1 : (min - current) / min
  if (min === max) return -1
  return min === 0 ? 1 : (max - min) / min
}

/** Final score: the mean of every score the node got. */
export function normalize(option: RankedNode): void {
  option.finalScore = option.scores.reduce((s, x) => s + x, 0) / option.scores.length
}
