import { shuffle } from '@nomadic/runtime'
import type { Affinity, Job, Node, Spread, TaskGroup } from '@nomadic/structs'
import { groupKey, type EvalContext } from './context.js'
import { DistinctChecker, FeasibilityChecker } from './feasible.js'
import { binPack, groupAffinities, groupSpreads, jobAntiAffinity, nodeAffinity, normalize, spreadScore, type RankedNode } from './rank.js'
import { PropertyUsage } from './property-usage.js'

/** Options of one placement. */
export interface SelectOptions {
  /** Nodes where the allocation being replaced failed: they get a −1 score. */
  penaltyNodeIDs?: ReadonlySet<string>
}

// Low-scoring options the limit passes over before it takes them anyway.
const maxSkip = 3
const skipScoreThreshold = 0

/**
 * The placement stack: nodes in random order (continuing where the last placement stopped),
 * feasibility, distinct hosts and properties, bin packing, job anti-affinity, rescheduling
 * penalty, node affinity, spread, normalization, the limit (with skipping of low scores) and the
 * best score. `system` stacks score every feasible node and have no limit.
 */
export class Stack {
  private nodes: Node[] = []
  private cursor = 0
  private baseLimit = 2
  private job: Job | undefined
  // Per group, the nodes (by position in `nodes`) already found feasible in this evaluation:
  // that cannot change while the job and nodes stay, and checking again has no side effects.
  private readonly known = new Map<TaskGroup, Uint8Array>()
  // What each group's placements share: its affinities, spreads and anti-affinity key.
  private readonly groups = new Map<TaskGroup, { affinities: Affinity[]; spreads: Spread[]; antiAffinityKey: string }>()
  private readonly feasibility: FeasibilityChecker
  private readonly distinct: DistinctChecker

  constructor(
    private readonly ctx: EvalContext,
    private readonly kind: 'service' | 'batch' | 'system',
    private readonly spreadAlgorithm = false,
  ) {
    this.feasibility = new FeasibilityChecker(ctx)
    this.distinct = new DistinctChecker(ctx)
  }

  setNodes(nodes: readonly Node[]): void {
    this.nodes = shuffle(this.ctx.random, nodes.slice())
    this.cursor = 0
    this.known.clear()
    const n = this.nodes.length
    this.baseLimit = this.kind === 'batch' ? 2 : this.kind === 'system' ? Number.MAX_SAFE_INTEGER : Math.max(2, Math.ceil(Math.log2(Math.max(n, 1))))
  }

  setJob(job: Job): void {
    this.job = job
    this.known.clear()
    this.groups.clear()
    this.feasibility.setJob(job)
    this.distinct.setJob(job)
  }

  /** The best node for one allocation of the group, or undefined when none can take it. */
  select(tg: TaskGroup, options: SelectOptions = {}): RankedNode | undefined {
    const job = this.job
    if (job === undefined) throw new Error('select called before setJob')
    const ctx = this.ctx
    const started = performance.now()
    let asks = this.groups.get(tg)
    if (asks === undefined) {
      asks = { affinities: groupAffinities(job, tg), spreads: groupSpreads(job, tg), antiAffinityKey: groupKey(job.ID, tg.Name) }
      this.groups.set(tg, asks)
    }
    const { affinities, spreads, antiAffinityKey } = asks
    // Affinities and spreads need every node scored to mean anything.
    const limit = affinities.length > 0 || spreads.length > 0 ? Number.MAX_SAFE_INTEGER : this.baseLimit
    // The job's allocations by node property, counted once for this placement.
    let usages: Map<string | undefined, PropertyUsage> | undefined
    const usage = (group: string | undefined): PropertyUsage => {
      usages ??= new Map()
      let u = usages.get(group)
      if (u === undefined) usages.set(group, (u = new PropertyUsage(ctx, job, group)))
      return u
    }

    const taken: RankedNode[] = []
    const skipped: RankedNode[] = []
    const n = this.nodes.length
    let known = this.known.get(tg)
    if (known === undefined) this.known.set(tg, (known = new Uint8Array(n)))
    let visited = 0
    while (visited < n && taken.length < limit) {
      const slot = (this.cursor + visited) % n
      const node = this.nodes[slot]!
      visited++
      ctx.metrics.NodesEvaluated++
      if (known[slot] === 0) {
        if (!this.feasibility.feasible(node, tg)) continue
        known[slot] = 1
      }
      if (!this.distinct.feasible(node, tg, usage)) continue
      const option = binPack(ctx, node, tg, this.spreadAlgorithm)
      if (option === undefined) continue
      jobAntiAffinity(option, antiAffinityKey, tg)
      if (options.penaltyNodeIDs?.has(node.ID)) option.scores.push(-1)
      nodeAffinity(ctx, option, affinities)
      if (spreads.length > 0) spreadScore(option, tg, spreads, usage(tg.Name))
      normalize(option)
      if (option.finalScore <= skipScoreThreshold && skipped.length < maxSkip && limit !== Number.MAX_SAFE_INTEGER) {
        skipped.push(option)
        continue
      }
      taken.push(option)
    }
    this.cursor = n === 0 ? 0 : (this.cursor + visited) % n
    while (taken.length < limit && skipped.length > 0) taken.push(skipped.shift()!)

    let best: RankedNode | undefined
    for (;;) {
      best = undefined
      for (const option of taken) {
        if (best === undefined || option.finalScore > best.finalScore) best = option
      }
      if (best?.finalize === undefined || best.finalize()) break
      // Its ports could not be drawn after all: the next best then.
      taken.splice(taken.indexOf(best), 1)
      ctx.metrics.NodesExhausted++
    }
    if (best !== undefined) {
      ctx.metrics.ScoreMetaData = [{ NodeID: best.node.ID, Scores: { final: best.finalScore }, NormScore: best.finalScore }]
    }
    ctx.metrics.AllocationTime = Math.round((performance.now() - started) * 1e6)
    return best
  }
}
