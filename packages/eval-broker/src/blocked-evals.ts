import { noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics, type Timer } from '@nomadic/runtime'
import { EvalTriggerMaxPlans, JobTypeSystem, type Evaluation } from '@nomadic/structs'
import { DEFAULT_PRUNE_INTERVAL_MS, DEFAULT_PRUNE_THRESHOLD_MS } from './constants.js'
import { InvalidOptionError } from './errors.js'
import { latestIndex, type BrokerEvaluation } from './evaluation.js'
import { JobMap } from './job-map.js'
import { WaitList, type WaitOptions } from './wait-list.js'

/** Where unblocked evaluations go: the {@link EvalBroker} (or anything with its `enqueueAll`). */
export interface UnblockTarget<E> {
  enqueueAll(evaluations: Iterable<readonly [E, string]>): void
}

/** What the tracker is built from. */
export interface BlockedEvalsComponents<E> {
  broker: UnblockTarget<E>
  /** Source of time for pruning (default: the system clock). */
  clock?: Clock
  logger?: Logger
  metrics?: Metrics
}

/** Tunables, with Nomad's defaults. */
export interface BlockedEvalsOptions {
  /** How often old unblock indexes are pruned (default 5 min). */
  pruneIntervalMs?: number
  /** Unblock indexes recorded longer ago than this are pruned (default 15 min). */
  pruneThresholdMs?: number
}

/**
 * How `getDuplicates` waits: `timeout` ms before resolving [] (0 or absent: until a duplicate
 * arrives); aborting `signal` rejects with the signal's reason.
 */
export type GetDuplicatesOptions = WaitOptions

/** A snapshot of the tracker's counters (Nomad's `BlockedStats`). */
export interface BlockedStats {
  /** Blocked evals held (captured and escaped). */
  totalBlocked: number
  /** Blocked evals whose constraints escaped computed node classes. */
  totalEscaped: number
  /** Blocked evals held because of a quota limit. */
  totalQuotaLimit: number
  /** System-job evals held for one node. */
  totalSystem: number
  /** Unblock indexes remembered for missed-unblock detection (pruned over time). */
  unblockIndexes: number
}

interface Wrapped<E> {
  eval: E
  token: string
}

interface CapacityChange {
  computedClass: string
  quota: string
}

/** System-job evals are kept one per (job, node); other evals one per job. */
function trackingKey(e: BrokerEvaluation): string {
  return isNodeSystemEval(e) ? `${e.JobID}\u0000${e.NodeID}` : e.JobID
}

function isNodeSystemEval(e: BrokerEvaluation): boolean {
  return e.Type === JobTypeSystem && e.NodeID !== undefined && e.NodeID !== ''
}

/**
 * Nomad's blocked-evaluation tracker: evals that failed to place for lack of capacity wait here
 * until capacity that could run them appears, then go back to the broker. Evals are "captured"
 * by the computed node classes they are eligible for, or "escaped" when their constraints could
 * not be expressed by class (any capacity change releases those); system-job evals are also kept
 * per node. At most one blocked eval is kept per job (per job and node for system jobs): the older
 * one is handed out by {@link BlockedEvals.getDuplicates} to be cancelled. An eval whose scheduler
 * ran on a snapshot older than a relevant unblock is re-enqueued at once instead of blocking.
 *
 * Capacity changes (`unblock`, `unblockQuota`, `unblockClassAndQuota`) only record the index and
 * queue the change, coalesced by class and quota, so the caller (the FSM) never waits; the
 * evals are released in a microtask.
 */
export class BlockedEvals<E extends BrokerEvaluation = Evaluation> {
  readonly pruneIntervalMs: number
  readonly pruneThresholdMs: number

  private readonly broker: UnblockTarget<E>
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly metrics: Metrics

  private enabled = false
  /** Bumped by every flush, so queued capacity changes of an earlier term are dropped. */
  private generation = 0
  private readonly captured = new Map<string, Wrapped<E>>()
  private readonly escaped = new Map<string, Wrapped<E>>()
  /** (namespace, tracking key) → the blocked eval ID. */
  private readonly jobs = new JobMap<string>()
  private readonly byNode = new Map<string, Set<string>>()
  private readonly systemNodesByJob = new JobMap<Set<string>>()
  private readonly unblockIndexes = new Map<string, { index: number; at: number }>()
  private duplicates: E[] = []
  private readonly duplicateWaiters: WaitList<E[]>
  private readonly changes = new Map<string, CapacityChange>()
  private drainQueued = false
  private pruneTimer: Timer | undefined
  private totalQuotaLimit = 0

  constructor(components: BlockedEvalsComponents<E>, options: BlockedEvalsOptions = {}) {
    this.broker = components.broker
    this.clock = components.clock ?? systemClock
    this.logger = components.logger ?? noopLogger
    this.metrics = components.metrics ?? noopMetrics
    this.duplicateWaiters = new WaitList(this.clock)
    this.pruneIntervalMs = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS
    this.pruneThresholdMs = options.pruneThresholdMs ?? DEFAULT_PRUNE_THRESHOLD_MS
    if (!(this.pruneIntervalMs > 0) || !Number.isFinite(this.pruneIntervalMs)) {
      throw new InvalidOptionError('pruneIntervalMs', `must be a positive finite number, got ${this.pruneIntervalMs}`)
    }
    if (!(this.pruneThresholdMs >= 0) || !Number.isFinite(this.pruneThresholdMs)) {
      throw new InvalidOptionError('pruneThresholdMs', `must be a non-negative finite number, got ${this.pruneThresholdMs}`)
    }
  }

  isEnabled(): boolean {
    return this.enabled
  }

  /**
   * Enables tracking on the leader (and starts pruning); disabling flushes everything, resolves
   * pending `getDuplicates` with [] and stops every timer.
   */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return
    this.enabled = enabled
    if (enabled) {
      this.pruneTimer = this.clock.setInterval(() => this.prune(), this.pruneIntervalMs)
    } else {
      this.pruneTimer?.cancel()
      this.pruneTimer = undefined
      this.flush()
    }
  }

  /** Same as `setEnabled(false)`. */
  stop(): void {
    this.setEnabled(false)
  }

  /** Tracks a blocked eval until capacity that could run it appears. */
  block(evaluation: E): void {
    this.processBlock(evaluation, '')
  }

  /**
   * Like {@link BlockedEvals.block} for an eval a scheduler still has outstanding: `token` is its
   * delivery token, so the broker holds the re-enqueue until that delivery is acked.
   */
  reblock(evaluation: E, token: string): void {
    this.processBlock(evaluation, token)
  }

  /** Capacity changed on nodes of `computedClass` at Raft `index`: release what could use it. */
  unblock(computedClass: string, index: number): void {
    if (!this.enabled) return
    this.recordUnblock(computedClass, index)
    this.queueChange(computedClass, '')
  }

  /** Quota `quota` changed at `index`: release evals blocked on it. */
  unblockQuota(quota: string, index: number): void {
    if (!this.enabled || quota === '') return
    this.recordUnblock(quota, index)
    this.queueChange('', quota)
  }

  /** Capacity changed on `computedClass` and, when non-empty, under `quota` (allocs became terminal). */
  unblockClassAndQuota(computedClass: string, quota: string, index: number): void {
    if (!this.enabled) return
    if (quota !== '') this.recordUnblock(quota, index)
    this.recordUnblock(computedClass, index)
    this.queueChange(computedClass, quota)
  }

  /** Releases the system-job evals blocked on node `nodeId` (its capacity changed). */
  unblockNode(nodeId: string, _index?: number): void {
    if (!this.enabled) return
    const ids = this.byNode.get(nodeId)
    if (ids === undefined) return
    const released: Array<[E, string]> = []
    for (const id of [...ids]) {
      const w = this.captured.get(id) ?? this.escaped.get(id)
      if (w === undefined) continue
      this.remove(w)
      released.push([w.eval, w.token])
    }
    this.release(released)
  }

  /** Releases every blocked eval that was blocked after the scheduler ran out of plan attempts. */
  unblockFailed(): void {
    if (!this.enabled) return
    const released: Array<[E, string]> = []
    for (const set of [this.captured, this.escaped]) {
      for (const w of [...set.values()]) {
        if (w.eval.TriggeredBy !== EvalTriggerMaxPlans) continue
        this.remove(w)
        released.push([w.eval, w.token])
      }
    }
    this.release(released)
  }

  /** Stops tracking the job's blocked evals: a later eval of the job completed. */
  untrack(jobId: string, namespace: string): void {
    if (!this.enabled) return
    const nodes = this.systemNodesByJob.get(namespace, jobId)
    if (nodes !== undefined) {
      for (const node of [...nodes]) this.removeById(this.jobs.get(namespace, `${jobId}\u0000${node}`))
    }
    this.removeById(this.jobs.get(namespace, jobId))
  }

  /**
   * The older blocked evals displaced by a newer one of the same job, for the leader to cancel.
   * Resolves at once when there are some, else when one arrives; [] on timeout or when disabled.
   */
  getDuplicates(options: GetDuplicatesOptions = {}): Promise<E[]> {
    if (this.duplicates.length > 0) return Promise.resolve(this.takeDuplicates())
    if (!this.enabled) return Promise.resolve([])
    return this.duplicateWaiters.wait(undefined, options, [])
  }

  /** A snapshot of the counters. */
  stats(): BlockedStats {
    let totalSystem = 0
    for (const ids of this.byNode.values()) totalSystem += ids.size
    return {
      totalBlocked: this.captured.size + this.escaped.size,
      totalEscaped: this.escaped.size,
      totalQuotaLimit: this.totalQuotaLimit,
      totalSystem,
      unblockIndexes: this.unblockIndexes.size,
    }
  }

  /** Writes the counters as gauges (Nomad's `nomad.blocked_evals.*`). */
  emitStats(): void {
    const s = this.stats()
    this.metrics.gauge('nomad.blocked_evals.total_blocked', s.totalBlocked)
    this.metrics.gauge('nomad.blocked_evals.total_escaped', s.totalEscaped)
    this.metrics.gauge('nomad.blocked_evals.total_quota_limit', s.totalQuotaLimit)
  }

  private processBlock(evaluation: E, token: string): void {
    if (!this.enabled) return
    if (this.displaceDuplicate(evaluation)) return
    if (this.missedUnblock(evaluation)) {
      // The scheduler worked on a snapshot older than a relevant capacity change: retry now.
      this.broker.enqueueAll([[evaluation, token]])
      return
    }
    const w: Wrapped<E> = { eval: evaluation, token }
    this.jobs.set(evaluation.Namespace, trackingKey(evaluation), evaluation.ID)
    if (evaluation.QuotaLimitReached) this.totalQuotaLimit++
    if (evaluation.EscapedComputedClass) this.escaped.set(evaluation.ID, w)
    else this.captured.set(evaluation.ID, w)
    if (isNodeSystemEval(evaluation)) {
      const node = evaluation.NodeID!
      let ids = this.byNode.get(node)
      if (ids === undefined) this.byNode.set(node, (ids = new Set()))
      ids.add(evaluation.ID)
      let nodes = this.systemNodesByJob.get(evaluation.Namespace, evaluation.JobID)
      if (nodes === undefined) this.systemNodesByJob.set(evaluation.Namespace, evaluation.JobID, (nodes = new Set()))
      nodes.add(node)
    }
  }

  /**
   * Keeps one blocked eval per job: the newer (by max(CreateIndex, SnapshotIndex)) stays, the
   * older becomes a duplicate. Returns true when the new eval is the duplicate.
   */
  private displaceDuplicate(evaluation: E): boolean {
    const existingId = this.jobs.get(evaluation.Namespace, trackingKey(evaluation))
    if (existingId === undefined) return false
    const existing = this.captured.get(existingId) ?? this.escaped.get(existingId)
    if (existing === undefined) {
      this.logger.error('blocked evaluation is tracked for its job but held nowhere', { evalId: existingId })
      this.jobs.delete(evaluation.Namespace, trackingKey(evaluation))
      return false
    }
    let duplicate: E
    let newIsDuplicate = false
    if (existing.eval.ID === evaluation.ID) {
      // The same eval blocked again: keep the newer copy, nothing to cancel.
      this.remove(existing)
      return false
    }
    if (latestIndex(existing.eval) <= latestIndex(evaluation)) {
      this.remove(existing)
      duplicate = existing.eval
    } else {
      duplicate = evaluation
      newIsDuplicate = true
    }
    this.duplicates.push(duplicate)
    this.metrics.counter('nomad.blocked_evals.duplicates')
    this.wakeDuplicateWaiter()
    return newIsDuplicate
  }

  /** Nomad's missedUnblock: could an unblock since the eval's snapshot have helped it? */
  private missedUnblock(evaluation: E): boolean {
    const snapshot = evaluation.SnapshotIndex ?? 0
    const quota = evaluation.QuotaLimitReached ?? ''
    let max: number = 0
    for (const [key, { index }] of this.unblockIndexes) {
      if (index > max) max = index
      if (quota !== '') {
        if (key !== quota) continue
        return snapshot < index
      }
      const eligible = evaluation.ClassEligibility?.[key]
      // A class the scheduler never saw, or one it could use, changed after its snapshot.
      if ((eligible === undefined || eligible) && snapshot < index) return true
    }
    return evaluation.EscapedComputedClass === true && snapshot < max
  }

  private recordUnblock(key: string, index: number): void {
    this.unblockIndexes.set(key, { index, at: this.clock.now() })
  }

  private queueChange(computedClass: string, quota: string): void {
    this.changes.set(`${computedClass}\u0000${quota}`, { computedClass, quota })
    if (this.drainQueued) return
    this.drainQueued = true
    const generation = this.generation
    queueMicrotask(() => this.drainChanges(generation))
  }

  private drainChanges(generation: number): void {
    this.drainQueued = false
    if (generation !== this.generation || !this.enabled) return
    const changes = [...this.changes.values()]
    this.changes.clear()
    for (const change of changes) this.applyChange(change)
  }

  private applyChange({ computedClass, quota }: CapacityChange): void {
    const released: Array<[E, string]> = []
    if (computedClass !== '') {
      // Any node could be feasible for an escaped eval.
      for (const w of [...this.escaped.values()]) {
        this.remove(w)
        released.push([w.eval, w.token])
      }
    }
    for (const w of [...this.captured.values()]) {
      if (quota !== '' && w.eval.QuotaLimitReached !== quota) continue
      if (w.eval.ClassEligibility?.[computedClass] === false) continue
      this.remove(w)
      released.push([w.eval, w.token])
    }
    this.release(released)
  }

  private release(released: Array<[E, string]>): void {
    if (released.length === 0) return
    this.metrics.counter('nomad.blocked_evals.unblocked', released.length)
    this.broker.enqueueAll(released)
  }

  private removeById(evalId: string | undefined): void {
    if (evalId === undefined) return
    const w = this.captured.get(evalId) ?? this.escaped.get(evalId)
    if (w !== undefined) this.remove(w)
  }

  /** Forgets a blocked eval in every index. */
  private remove(w: Wrapped<E>): void {
    const e = w.eval
    const key = trackingKey(e)
    if (this.jobs.get(e.Namespace, key) === e.ID) this.jobs.delete(e.Namespace, key)
    this.captured.delete(e.ID)
    this.escaped.delete(e.ID)
    if (e.QuotaLimitReached) this.totalQuotaLimit--
    if (isNodeSystemEval(e)) {
      const node = e.NodeID!
      const ids = this.byNode.get(node)
      if (ids !== undefined && ids.delete(e.ID) && ids.size === 0) this.byNode.delete(node)
      const nodes = this.systemNodesByJob.get(e.Namespace, e.JobID)
      if (nodes !== undefined && this.jobs.get(e.Namespace, key) === undefined) {
        nodes.delete(node)
        if (nodes.size === 0) this.systemNodesByJob.delete(e.Namespace, e.JobID)
      }
    }
  }

  private takeDuplicates(): E[] {
    const out = this.duplicates
    this.duplicates = []
    return out
  }

  private wakeDuplicateWaiter(): void {
    this.duplicateWaiters.serve(
      () => this.takeDuplicates(),
      () => this.duplicates.length > 0,
    )
  }

  private prune(): void {
    const cutoff = this.clock.now() - this.pruneThresholdMs
    for (const [key, entry] of this.unblockIndexes) {
      if (entry.at < cutoff) this.unblockIndexes.delete(key)
    }
  }

  private flush(): void {
    this.generation++
    this.captured.clear()
    this.escaped.clear()
    this.jobs.clear()
    this.byNode.clear()
    this.systemNodesByJob.clear()
    this.unblockIndexes.clear()
    this.changes.clear()
    this.duplicates = []
    this.totalQuotaLimit = 0
    this.duplicateWaiters.flush({ value: [] })
  }
}
