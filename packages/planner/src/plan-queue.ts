import type { Plan, PlanResult } from '@nomadic/structs'
import { Heap, noopMetrics, systemClock, type Clock, type Metrics } from '@nomadic/runtime'
import { PlanQueueDisabledError } from './errors.js'

/** A plan waiting in the queue, and the way to answer its submitter. */
export interface PendingPlan {
  readonly plan: Plan
  /** When it was enqueued (clock milliseconds). */
  readonly enqueuedAt: number
  /** Answers the submitter: a result, or an error. Only the first answer counts. */
  respond(result: PlanResult | undefined, error?: Error): void
}

/** Options of a {@link PlanQueue}. */
export interface PlanQueueOptions {
  clock?: Clock
  metrics?: Metrics
}

/** Counters of a {@link PlanQueue}. */
export interface PlanQueueStats {
  depth: number
}

interface Entry extends PendingPlan {
  seq: number
}

interface Waiter {
  resolve(plan: PendingPlan | undefined): void
  reject(err: Error): void
}

/**
 * Plans from every scheduler, highest priority first and, within a priority, first come first
 * served — Nomad's plan queue. It works only while enabled (on the leader); disabling it fails
 * every waiting plan with `plan queue is disabled`.
 */
export class PlanQueue {
  private readonly clock: Clock
  private readonly metrics: Metrics
  // Higher priority first, then earlier arrival.
  private readonly heap = new Heap<Entry>((a, b) =>
    a.plan.Priority !== b.plan.Priority ? a.plan.Priority > b.plan.Priority : a.seq < b.seq)
  private readonly waiters: Waiter[] = []
  private seq = 0
  private on = false

  constructor(options: PlanQueueOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.metrics = options.metrics ?? noopMetrics
  }

  /** Whether the queue accepts plans. */
  enabled(): boolean {
    return this.on
  }

  /** Enables the queue (on gaining leadership) or disables it and fails everything waiting. */
  setEnabled(enabled: boolean): void {
    this.on = enabled
    if (enabled) return
    const error = new PlanQueueDisabledError()
    for (const entry of this.heap.clear()) entry.respond(undefined, error)
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
    this.metrics.gauge('nomad.plan.queue_depth', 0)
  }

  /** Queues a plan; the promise settles when the applier answers it. */
  enqueue(plan: Plan): Promise<PlanResult> {
    if (!this.on) return Promise.reject(new PlanQueueDisabledError())
    return new Promise<PlanResult>((resolve, reject) => {
      let answered = false
      const entry: Entry = {
        plan,
        enqueuedAt: this.clock.now(),
        seq: this.seq++,
        respond: (result, error) => {
          if (answered) return
          answered = true
          if (error !== undefined || result === undefined) reject(error ?? new Error('plan answered without a result'))
          else resolve(result)
        },
      }
      const waiter = this.waiters.shift()
      if (waiter !== undefined) waiter.resolve(entry)
      else {
        this.heap.push(entry)
        this.metrics.gauge('nomad.plan.queue_depth', this.heap.size)
      }
    })
  }

  /**
   * The next plan, waiting for one to arrive. Resolves `undefined` when `timeoutMs` passes first;
   * rejects when the queue is disabled or the signal aborts.
   */
  dequeue(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PendingPlan | undefined> {
    if (!this.on) return Promise.reject(new PlanQueueDisabledError())
    const next = this.heap.pop()
    if (next !== undefined) {
      this.metrics.gauge('nomad.plan.queue_depth', this.heap.size)
      return Promise.resolve(next)
    }
    const { timeoutMs, signal } = options
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<PendingPlan | undefined>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : this.clock.setTimeout(() => finish(undefined), timeoutMs)
      const onAbort = (): void => fail(signal?.reason)
      const cleanup = (): void => {
        timer?.cancel()
        signal?.removeEventListener('abort', onAbort)
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
      }
      const finish = (plan: PendingPlan | undefined): void => { cleanup(); resolve(plan) }
      const fail = (err: Error): void => { cleanup(); reject(err) }
      const waiter: Waiter = { resolve: finish, reject: fail }
      this.waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  stats(): PlanQueueStats {
    return { depth: this.heap.size }
  }
}
