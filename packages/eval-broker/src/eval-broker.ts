import {
  Heap,
  noopLogger,
  noopMetrics,
  systemClock,
  systemRandom,
  type Clock,
  type Logger,
  type Metrics,
  type Random,
} from '@nomadic/runtime'
import type { Evaluation } from '@nomadic/structs'
import {
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_INITIAL_NACK_DELAY_MS,
  DEFAULT_NACK_TIMEOUT_MS,
  DEFAULT_SUBSEQUENT_NACK_DELAY_MS,
  FAILED_QUEUE,
} from './constants.js'
import { DelayQueue } from './delay-queue.js'
import {
  BrokerDisabledError,
  EvalIdMismatchError,
  EvalNotFoundError,
  EvalNotOutstandingError,
  EvalTokenMismatchError,
  InvalidOptionError,
  OutstandingTokenMismatchError,
} from './errors.js'
import { waitMs, waitUntilMs, type BrokerEvaluation } from './evaluation.js'
import { ExpiryList, type Expiring } from './expiry-list.js'
import { JobMap } from './job-map.js'
import { randomToken } from './token.js'
import { WaitList, type WaitOptions } from './wait-list.js'

/** What the broker is built from; every part has a default. */
export interface EvalBrokerComponents {
  /** Source of time for nack timers and delays (default: the system clock). */
  clock?: Clock
  /** Breaks priority ties between scheduler queues and draws delivery tokens (default: Math.random). */
  random?: Random
  logger?: Logger
  metrics?: Metrics
}

/** Tunables, with Nomad's defaults. */
export interface EvalBrokerOptions {
  /** An outstanding eval not acked within this time is nacked (default 60 s). */
  nackTimeoutMs?: number
  /** Deliveries after which a nacked eval goes to the `_failed` queue (default 3). */
  deliveryLimit?: number
  /** Wait before a once-nacked eval is ready again (default 1 s). */
  initialNackDelayMs?: number
  /** After the n-th nack (n ≥ 2) the eval waits (n−1)× this (default 20 s). */
  subsequentNackDelayMs?: number
}

/** One delivery of an evaluation: ack or nack it with `token`. */
export interface Delivery<E> {
  eval: E
  token: string
}

/**
 * How `dequeue` waits: `timeout` ms before resolving undefined (0 or absent: until work arrives);
 * aborting `signal` rejects the pending dequeue with the signal's reason.
 */
export type DequeueOptions = WaitOptions

/** Counts per scheduler queue. */
export interface SchedulerStats {
  ready: number
  unacked: number
}

/** A snapshot of the broker's counters (Nomad's `BrokerStats`). */
export interface BrokerStats {
  /** Evals in ready queues, waiting for a scheduler. */
  totalReady: number
  /** Evals delivered and not yet acked or nacked. */
  totalUnacked: number
  /** Evals waiting behind another eval of the same job. */
  totalBlocked: number
  /** Evals waiting for a `Wait`, `WaitUntil` or nack re-enqueue delay to pass. */
  totalWaiting: number
  byScheduler: Record<string, SchedulerStats>
}

/**
 * The broker's record of an eval it holds, from enqueue until ack. While delivered it carries
 * its token and sits in the nack-timer list (one object per eval keeps the hot path lean).
 */
interface Tracked<E> extends Expiring {
  eval: E
  /** Deliveries so far (Nomad's `evals[id]`). */
  dequeues: number
  /** Insertion order into the heap it is in: the last tie-breaker. */
  seq: number
  /** The delivery token while outstanding, else undefined. */
  token: string | undefined
  /** The queue it was last dequeued from (its type, or `_failed`). */
  queue: ReadyQueue<E> | undefined
  paused: boolean
  /**
   * Set on the eval that holds its job's slot (ready or in flight): the job's other evals,
   * waiting behind it. Handed to the next holder on ack.
   */
  pending: Heap<Tracked<E>> | undefined
}

/** One scheduler type's ready heap and its counters. */
interface ReadyQueue<E> {
  heap: Heap<Tracked<E>>
  ready: number
  unacked: number
}

function compareIndex(a: BrokerEvaluation, b: BrokerEvaluation): number {
  return a.CreateIndex - b.CreateIndex
}

/** Ready-queue order: higher priority first, then older (lower CreateIndex), then arrival. */
function readyLess<E extends BrokerEvaluation>(a: Tracked<E>, b: Tracked<E>): boolean {
  if (a.eval.Priority !== b.eval.Priority) return a.eval.Priority > b.eval.Priority
  const byIndex = compareIndex(a.eval, b.eval)
  return byIndex !== 0 ? byIndex < 0 : a.seq < b.seq
}

/** Within one job Nomad orders by CreateIndex only: priority does not reorder a job's evals. */
function pendingLess<E extends BrokerEvaluation>(a: Tracked<E>, b: Tracked<E>): boolean {
  const byIndex = compareIndex(a.eval, b.eval)
  return byIndex !== 0 ? byIndex < 0 : a.seq < b.seq
}

function positive(option: string, value: number | undefined, fallback: number, allowZero = true): number {
  const v = value ?? fallback
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidOptionError(option, `must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${v}`)
  }
  return v
}

/**
 * Nomad's evaluation broker: an in-memory, leader-only queue that hands evaluations to schedulers
 * with at-least-once delivery. Each job has at most one eval ready or in flight (the others wait
 * in the job's queue); ready evals are ordered per scheduler type by priority, then creation index;
 * a delivery not acked within the nack timeout is nacked; a nacked eval is re-enqueued after a
 * growing delay, and after the delivery limit it moves to the `_failed` queue.
 *
 * @example
 * const broker = new EvalBroker({ clock })
 * broker.setEnabled(true)
 * broker.enqueue(evaluation)
 * const delivery = await broker.dequeue(['service'], { timeout: 1000 })
 * if (delivery) broker.ack(delivery.eval.ID, delivery.token)
 */
export class EvalBroker<E extends BrokerEvaluation = Evaluation> {
  readonly nackTimeoutMs: number
  readonly deliveryLimit: number
  readonly initialNackDelayMs: number
  readonly subsequentNackDelayMs: number

  private readonly clock: Clock
  private readonly random: Random
  private readonly logger: Logger
  private readonly metrics: Metrics

  private enabled = false
  private seq = 0
  /** Every eval the broker holds, by ID: de-duplicates enqueues and counts deliveries. */
  private readonly tracked = new Map<string, Tracked<E>>()
  /** The eval holding each job's single ready/in-flight slot. */
  private readonly jobs = new JobMap<Tracked<E>>()
  private readonly ready = new Map<string, ReadyQueue<E>>()
  private totalUnacked = 0
  /** Re-enqueues of an outstanding eval, by its token: released on ack, dropped on nack. */
  private readonly requeue = new Map<string, E>()
  private readonly delayed: DelayQueue<Tracked<E>>
  private readonly nackTimers: ExpiryList<Tracked<E>>
  private readonly waiters: WaitList<Delivery<E> | undefined, readonly string[]>
  private totalReady = 0
  private totalBlocked = 0
  private readonly eligible: Array<ReadyQueue<E>> = []
  private lastSchedulers: readonly string[] | undefined
  private lastQueues: ReadonlyArray<ReadyQueue<E> | undefined> = []

  constructor(components: EvalBrokerComponents = {}, options: EvalBrokerOptions = {}) {
    this.clock = components.clock ?? systemClock
    this.random = components.random ?? systemRandom
    this.logger = components.logger ?? noopLogger
    this.metrics = components.metrics ?? noopMetrics
    this.nackTimeoutMs = positive('nackTimeoutMs', options.nackTimeoutMs, DEFAULT_NACK_TIMEOUT_MS, false)
    this.deliveryLimit = positive('deliveryLimit', options.deliveryLimit, DEFAULT_DELIVERY_LIMIT, false)
    this.initialNackDelayMs = positive('initialNackDelayMs', options.initialNackDelayMs, DEFAULT_INITIAL_NACK_DELAY_MS)
    this.subsequentNackDelayMs = positive(
      'subsequentNackDelayMs',
      options.subsequentNackDelayMs,
      DEFAULT_SUBSEQUENT_NACK_DELAY_MS,
    )
    this.delayed = new DelayQueue(this.clock, (t) => {
      this.enqueueReady(t, t.eval.Type)
      this.serveWaiters()
    })
    this.nackTimers = new ExpiryList(this.clock, this.nackTimeoutMs, (o) => this.expire(o))
    this.waiters = new WaitList(this.clock)
  }

  /** Whether the broker accepts work (only on the leader). */
  isEnabled(): boolean {
    return this.enabled
  }

  /**
   * Enables the broker on the leader; disabling flushes everything: pending dequeues reject with
   * {@link BrokerDisabledError}, timers stop, and every eval is forgotten.
   */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return
    this.enabled = enabled
    if (!enabled) this.flush()
  }

  /** Same as `setEnabled(false)`: idempotent, and leaves no timer behind. */
  stop(): void {
    this.setEnabled(false)
  }

  /** Enqueues a new evaluation. Ignored when disabled or when the eval ID is already held. */
  enqueue(evaluation: E): void {
    this.processEnqueue(evaluation, '')
    this.serveWaiters()
  }

  /**
   * Enqueues many evaluations at once, each with the delivery token it is re-enqueued under (or
   * ''). An eval that is outstanding under that token is held until the delivery is acked (then
   * enqueued) or nacked (then dropped). Waiting schedulers are served only after all are queued,
   * so they get the highest-priority work.
   */
  enqueueAll(evaluations: Iterable<readonly [E, string]>): void {
    for (const [evaluation, token] of evaluations) this.processEnqueue(evaluation, token)
    this.serveWaiters()
  }

  /**
   * Takes the highest-priority ready eval across the given scheduler queues (ties between queues
   * at random), arming its nack timer. Waits for work up to `timeout` ms (0: without limit) and
   * resolves undefined on timeout. Rejects with {@link BrokerDisabledError} when disabled.
   */
  dequeue(schedulers: readonly string[], options: DequeueOptions = {}): Promise<Delivery<E> | undefined> {
    if (!this.enabled) return Promise.reject(new BrokerDisabledError())
    // An aborted caller must not take work it would then drop until the nack timeout.
    if (options.signal?.aborted) return Promise.reject(options.signal.reason)
    const delivery = this.scan(schedulers)
    if (delivery !== undefined) return Promise.resolve(delivery)
    return this.waiters.wait(schedulers, options, undefined)
  }

  /** Like {@link EvalBroker.dequeue} without waiting: a delivery, or undefined when nothing is ready. */
  tryDequeue(schedulers: readonly string[]): Delivery<E> | undefined {
    if (!this.enabled) throw new BrokerDisabledError()
    return this.scan(schedulers)
  }

  /** The delivery token of an outstanding (delivered, not yet acked) eval, or undefined. */
  outstanding(evalId: string): string | undefined {
    return this.tracked.get(evalId)?.token
  }

  /** Restarts the nack timer of an outstanding eval (the scheduler proved it is alive). */
  outstandingReset(evalId: string, token: string): void {
    const o = this.outstandingFor(evalId, token)
    if (!o.paused) this.nackTimers.arm(o)
  }

  /** Stops the nack timer while the eval's plan waits in the plan queue. */
  pauseNackTimeout(evalId: string, token: string): void {
    const o = this.outstandingFor(evalId, token)
    this.nackTimers.disarm(o)
    o.paused = true
  }

  /** Re-arms a paused nack timer with the full timeout. */
  resumeNackTimeout(evalId: string, token: string): void {
    const o = this.outstandingFor(evalId, token)
    o.paused = false
    this.nackTimers.arm(o)
  }

  /**
   * Acknowledges a delivery: the eval is done. The job's next eval (by creation index) becomes
   * ready, and an eval re-enqueued under this token is enqueued.
   */
  ack(evalId: string, token: string): void {
    const o = this.lookup(evalId, token)
    this.release(o)
    this.tracked.delete(evalId)
    const e = o.eval
    if (this.jobs.get(e.Namespace, e.JobID) === o) {
      const waiting = o.pending
      o.pending = undefined
      const next = waiting?.pop()
      if (next === undefined) {
        this.jobs.delete(e.Namespace, e.JobID)
      } else {
        this.totalBlocked--
        next.pending = waiting!.size > 0 ? waiting : undefined
        this.jobs.set(e.Namespace, e.JobID, next)
        this.enqueueReady(next, next.eval.Type)
      }
    }
    const again = this.requeue.size === 0 ? undefined : this.requeue.get(token)
    if (again !== undefined) {
      this.requeue.delete(token)
      this.processEnqueue(again, '')
    }
    this.serveWaiters()
  }

  /**
   * Negatively acknowledges a delivery: the eval is re-enqueued after the nack delay, or moved to
   * the `_failed` queue once it reached the delivery limit. An eval re-enqueued under this token
   * is dropped.
   */
  nack(evalId: string, token: string): void {
    const o = this.lookup(evalId, token)
    this.requeue.delete(token)
    this.release(o)
    this.redeliver(o)
    this.serveWaiters()
  }

  /** A snapshot of the counters. */
  stats(): BrokerStats {
    const byScheduler: Record<string, SchedulerStats> = {}
    for (const [name, q] of this.ready) byScheduler[name] = { ready: q.ready, unacked: q.unacked }
    return {
      totalReady: this.totalReady,
      totalUnacked: this.totalUnacked,
      totalBlocked: this.totalBlocked,
      totalWaiting: this.delayed.size,
      byScheduler,
    }
  }

  /** Writes the counters as gauges (Nomad's `nomad.broker.*`); call it periodically on the leader. */
  emitStats(): void {
    const s = this.stats()
    this.metrics.gauge('nomad.broker.total_ready', s.totalReady)
    this.metrics.gauge('nomad.broker.total_unacked', s.totalUnacked)
    this.metrics.gauge('nomad.broker.total_blocked', s.totalBlocked)
    this.metrics.gauge('nomad.broker.total_waiting', s.totalWaiting)
    for (const [name, q] of Object.entries(s.byScheduler)) {
      this.metrics.gauge(`nomad.broker.${name}.ready`, q.ready)
      this.metrics.gauge(`nomad.broker.${name}.unacked`, q.unacked)
    }
  }

  private processEnqueue(evaluation: E, token: string): void {
    if (!this.enabled) return
    if (this.tracked.has(evaluation.ID)) {
      // A scheduler re-enqueues the eval it is working on: hold it until that delivery ends.
      if (token !== '' && this.tracked.get(evaluation.ID)!.token === token) this.requeue.set(token, evaluation)
      return
    }
    const t: Tracked<E> = {
      eval: evaluation,
      dequeues: 0,
      seq: 0,
      token: undefined,
      queue: undefined,
      paused: false,
      deadline: 0,
      prev: undefined,
      next: undefined,
      linked: false,
      pending: undefined,
    }
    this.tracked.set(evaluation.ID, t)
    const wait = waitMs(evaluation)
    if (wait > 0) {
      this.delayed.push(t, this.clock.now() + wait)
      return
    }
    const until = waitUntilMs(evaluation)
    if (until !== undefined && until > this.clock.now()) {
      this.delayed.push(t, until)
      return
    }
    this.enqueueReady(t, evaluation.Type)
  }

  /** Puts an eval in `queue`, unless another eval of its job is ready or in flight. */
  private enqueueReady(t: Tracked<E>, queue: string): void {
    const e = t.eval
    const holder = this.jobs.get(e.Namespace, e.JobID)
    if (holder === undefined) {
      this.jobs.set(e.Namespace, e.JobID, t)
    } else if (holder !== t) {
      t.seq = this.seq++
      ;(holder.pending ??= new Heap<Tracked<E>>(pendingLess)).push(t)
      this.totalBlocked++
      return
    }
    let q = this.ready.get(queue)
    if (q === undefined) {
      q = { heap: new Heap<Tracked<E>>(readyLess), ready: 0, unacked: 0 }
      this.ready.set(queue, q)
      this.lastSchedulers = undefined
    }
    t.seq = this.seq++
    q.heap.push(t)
    q.ready++
    this.totalReady++
  }

  private scan(schedulers: readonly string[]): Delivery<E> | undefined {
    const queues = this.queuesFor(schedulers)
    const eligible = this.eligible
    let count = 0
    let best = 0
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]
      const head = q?.heap.peek()
      if (head === undefined) continue
      const priority = head.eval.Priority
      if (count === 0 || priority > best) {
        eligible[0] = q!
        count = 1
        best = priority
      } else if (priority === best) {
        eligible[count++] = q!
      }
    }
    if (count === 0) return undefined
    return this.deliver(count === 1 ? eligible[0]! : eligible[this.random.int(count)]!)
  }

  /**
   * The ready queues of a scheduler list. Workers ask with the same list every time, so the
   * lookup is remembered for the last list (until a queue is created or the broker flushed).
   */
  private queuesFor(schedulers: readonly string[]): ReadonlyArray<ReadyQueue<E> | undefined> {
    if (this.sameAsLast(schedulers)) return this.lastQueues
    this.lastSchedulers = schedulers.slice()
    this.lastQueues = schedulers.map((name) => this.ready.get(name))
    return this.lastQueues
  }

  private sameAsLast(schedulers: readonly string[]): boolean {
    const last = this.lastSchedulers
    if (last === undefined || last.length !== schedulers.length) return false
    for (let i = 0; i < last.length; i++) if (last[i] !== schedulers[i]) return false
    return true
  }

  private deliver(q: ReadyQueue<E>): Delivery<E> {
    const t = q.heap.pop()!
    const token = randomToken(this.random)
    t.token = token
    t.queue = q
    t.paused = false
    t.dequeues++
    this.nackTimers.arm(t)
    this.totalReady--
    this.totalUnacked++
    q.ready--
    q.unacked++
    return { eval: t.eval, token }
  }

  private lookup(evalId: string, token: string): Tracked<E> {
    const t = this.tracked.get(evalId)
    if (t === undefined || t.token === undefined) throw new EvalNotFoundError(evalId)
    if (t.token !== token) {
      // Rare path: say so when the token is another delivery's (a scheduler mixed up its work).
      for (const other of this.tracked.values()) {
        if (other.token === token) throw new EvalIdMismatchError(evalId, other.eval.ID)
      }
      throw new EvalTokenMismatchError(evalId)
    }
    return t
  }

  private outstandingFor(evalId: string, token: string): Tracked<E> {
    const t = this.tracked.get(evalId)
    if (t === undefined || t.token === undefined) throw new EvalNotOutstandingError(evalId)
    if (t.token !== token) throw new OutstandingTokenMismatchError(evalId)
    return t
  }

  /** Ends a delivery's bookkeeping: token, nack timer, counters. */
  private release(t: Tracked<E>): void {
    t.token = undefined
    this.nackTimers.disarm(t)
    this.totalUnacked--
    t.queue!.unacked--
  }

  /** After a nack: back to the ready queue after the nack delay, or to `_failed` at the limit. */
  private redeliver(t: Tracked<E>): void {
    if (t.dequeues >= this.deliveryLimit) {
      this.enqueueReady(t, FAILED_QUEUE)
      return
    }
    const delay = this.nackDelay(t.dequeues)
    if (delay > 0) this.delayed.push(t, this.clock.now() + delay)
    else this.enqueueReady(t, t.eval.Type)
  }

  private nackDelay(dequeues: number): number {
    if (dequeues <= 0) return 0
    if (dequeues === 1) return this.initialNackDelayMs
    return (dequeues - 1) * this.subsequentNackDelayMs
  }

  private expire(o: Tracked<E>): void {
    this.logger.warn('evaluation not acked within the nack timeout', {
      evalId: o.eval.ID,
      nackTimeoutMs: this.nackTimeoutMs,
    })
    this.metrics.counter('nomad.broker.nack_timeout')
    this.requeue.delete(o.token!)
    this.release(o)
    this.redeliver(o)
    this.serveWaiters()
  }

  /** Hands ready work to waiting dequeues, oldest waiter first. */
  private serveWaiters(): void {
    if (this.waiters.size === 0 || this.totalReady === 0) return
    this.waiters.serve(
      (schedulers) => this.scan(schedulers),
      () => this.totalReady > 0,
    )
  }

  private flush(): void {
    this.waiters.flush({ error: () => new BrokerDisabledError() })
    this.nackTimers.clear()
    this.delayed.clear()
    this.tracked.clear()
    this.jobs.clear()
    this.ready.clear()
    this.lastSchedulers = undefined
    this.totalUnacked = 0
    this.requeue.clear()
    this.totalReady = 0
    this.totalBlocked = 0
  }
}
