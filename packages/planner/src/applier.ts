import type { Plan, PlanResult } from '@nomadic/structs'
import { noopLogger, noopMetrics, systemClock, type Clock, type Logger, type Metrics } from '@nomadic/runtime'
import { PlanApplierStoppedError, PlannerError } from './errors.js'
import { evaluatePlan, isNoOp } from './evaluate.js'
import { NodeFitCache } from './fit-cache.js'
import type { PlanQueue, PendingPlan } from './plan-queue.js'
import { OptimisticSnapshot, type PlanSnapshot } from './snapshot.js'

/** What the applier needs from the server around it. */
export interface PlanApplierOptions {
  queue: PlanQueue
  /** A state snapshot at or after `minIndex` (the state store's `snapshotMinIndex`). */
  snapshot(minIndex: number, signal: AbortSignal): Promise<PlanSnapshot>
  /**
   * Commits the result (through Raft in the server) and resolves with its index once snapshots
   * taken at that index show it.
   */
  apply(plan: Plan, result: PlanResult): Promise<number>
  /** Nodes of one plan evaluated at once (Nomad: half the CPUs, at least 1). Default 2. */
  concurrency?: number
  clock?: Clock
  logger?: Logger
  metrics?: Metrics
}

interface InFlight {
  done: Promise<number | undefined>
  settled: boolean
}

/**
 * Nomad's plan applier: takes plans from the queue one at a time, evaluates each against the
 * state, and commits what fits. Evaluation of plan N+1 overlaps the commit of plan N by
 * evaluating against an optimistic snapshot that already holds N; N+1 is committed only after N.
 */
export class PlanApplier {
  private readonly options: PlanApplierOptions
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly metrics: Metrics
  private abort: AbortController | undefined
  private loop: Promise<void> | undefined
  // Plans are evaluated one at a time, so one cache serves them all.
  private readonly fitCache = new NodeFitCache()

  constructor(options: PlanApplierOptions) {
    const concurrency = options.concurrency ?? 2
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
    }
    this.options = { ...options, concurrency }
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? noopLogger
    this.metrics = options.metrics ?? noopMetrics
  }

  /** Starts the loop (on gaining leadership, after enabling the queue). */
  start(): void {
    if (this.loop !== undefined) return
    const abort = new AbortController()
    this.abort = abort
    this.loop = this.run(abort.signal).catch((err: unknown) => {
      if (!abort.signal.aborted) this.logger.error('plan applier stopped on an error', { error: String(err) })
    })
  }

  /** Stops the loop; a plan being evaluated is answered with an error. Idempotent. */
  async stop(): Promise<void> {
    const loop = this.loop
    if (loop === undefined) return
    this.abort?.abort(new PlanApplierStoppedError())
    await loop
    this.loop = undefined
    this.abort = undefined
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { queue, snapshot, apply } = this.options
    let snap: PlanSnapshot | undefined
    let prevIndex = 0
    let inFlight: InFlight | undefined

    // Waits for the plan in flight. Returns false when it failed to commit.
    const settle = async (): Promise<boolean> => {
      if (inFlight === undefined) return true
      const index = await inFlight.done
      inFlight = undefined
      // A failed commit leaves the optimistic snapshot wrong; a good one makes it stale.
      snap = undefined
      if (index === undefined) return false
      prevIndex = Math.max(prevIndex, index)
      return true
    }

    while (!signal.aborted) {
      let pending: PendingPlan | undefined
      try {
        pending = await queue.dequeue({ signal })
      } catch (err) {
        if (signal.aborted) break
        // Disabled: leadership is going away; wait for stop() or re-enable.
        this.logger.debug('plan queue unavailable', { error: String(err) })
        await this.clock.sleep(100, signal).catch(() => {})
        continue
      }
      if (pending === undefined) continue
      const plan = pending.plan
      try {
        if (inFlight?.settled === true) await settle()
        if (snap !== undefined && snap.latestIndex('allocs') < Math.max(prevIndex, plan.SnapshotIndex ?? 0)) {
          // The scheduler saw newer state than ours. A fresh snapshot must not miss the plan still
          // committing, so let that finish first.
          await settle()
          snap = undefined
        }
        snap ??= await snapshot(Math.max(prevIndex, plan.SnapshotIndex ?? 0), signal)

        const started = this.clock.now()
        let result = await evaluatePlan(snap, plan, { concurrency: this.options.concurrency!, fitCache: this.fitCache })
        this.metrics.timing('nomad.plan.evaluate', this.clock.now() - started)

        if (isNoOp(result)) {
          // Nothing to commit. If a refresh is needed, it must cover the plan still committing.
          if (result.RefreshIndex !== 0 && inFlight !== undefined) {
            await settle()
            result.RefreshIndex = Math.max(result.RefreshIndex, prevIndex)
          }
          pending.respond(result)
          continue
        }

        // Commit in order: wait for the previous plan, then evaluate the next against a snapshot
        // holding this one.
        if (inFlight !== undefined) {
          const committed = await settle()
          snap = await snapshot(Math.max(prevIndex, plan.SnapshotIndex ?? 0), signal)
          // This plan was judged as if the previous one had committed (its stops freeing room):
          // that did not happen, so judge it again.
          if (!committed) result = await evaluatePlan(snap, plan, { concurrency: this.options.concurrency!, fitCache: this.fitCache })
          if (isNoOp(result)) {
            pending.respond(result)
            continue
          }
        }
        snap = new OptimisticSnapshot(snap!, result)
        inFlight = this.dispatch(apply, pending, result)
      } catch (err) {
        pending.respond(undefined, err instanceof Error ? err : new Error(String(err)))
      }
    }
    if (inFlight !== undefined) await inFlight.done
  }

  private dispatch(apply: PlanApplierOptions['apply'], pending: PendingPlan, result: PlanResult): InFlight {
    const started = this.clock.now()
    const flight: InFlight = { settled: false, done: Promise.resolve(undefined) }
    flight.done = apply(pending.plan, result).then(
      (index) => {
        flight.settled = true
        this.metrics.timing('nomad.plan.apply', this.clock.now() - started)
        result.AllocIndex = index
        if (result.RefreshIndex !== 0) result.RefreshIndex = Math.max(result.RefreshIndex, index)
        pending.respond(result)
        return index
      },
      (err: unknown) => {
        flight.settled = true
        this.logger.error('failed to apply plan', { evalID: pending.plan.EvalID, error: String(err) })
        pending.respond(undefined, new PlannerError('PLAN_APPLY_FAILED', `failed to apply plan: ${String(err)}`, { cause: err }))
        return undefined
      },
    )
    return flight
  }
}
