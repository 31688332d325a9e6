import { Heap } from './heap.js'

/** A scheduled callback that can be cancelled before it runs. */
export interface Timer {
  /** Cancels the callback; a no-op once it has run or was cancelled. */
  cancel(): void
}

/**
 * The source of time for every nomadic component. Inject {@link SystemClock} in production and
 * {@link SimClock} in tests and simulations, so a whole cluster can run in simulated time.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch (Unix epoch for the system clock). */
  now(): number
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer
  /** Runs `fn` every `ms` milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): Timer
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      timer.cancel()
      reject(signal?.reason)
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The real clock: Node's timers and `Date.now()`. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now()
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, Math.max(0, ms))
    return { cancel: () => clearTimeout(handle) }
  }

  setInterval(fn: () => void, ms: number): Timer {
    const handle = setInterval(fn, Math.max(1, ms))
    return { cancel: () => clearInterval(handle) }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }
}

/** A shared system clock for components constructed without one. */
export const systemClock: Clock = new SystemClock()

interface SimTimer {
  due: number
  seq: number
  fn: () => void
  interval: number
  cancelled: boolean
}

/**
 * A simulated clock: time moves only when the test says so, and timers due at the same instant
 * run in the order they were set, so a simulation driven by one seed replays exactly.
 */
export class SimClock implements Clock {
  private current: number
  private seq = 0
  private readonly heap = new Heap<SimTimer>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq))

  constructor(start = 0) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.schedule(fn, Math.max(0, ms), 0)
  }

  setInterval(fn: () => void, ms: number): Timer {
    const every = Math.max(1, ms)
    return this.schedule(fn, every, every)
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }

  /** Number of timers waiting to run. */
  pending(): number {
    return this.heap.toArray().filter((t) => !t.cancelled).length
  }

  /** When the next timer is due, or undefined when none is waiting. */
  nextDue(): number | undefined {
    this.dropCancelled()
    return this.heap.peek()?.due
  }

  /**
   * Runs the earliest timer, moving time to its due instant. Returns false when no timer waits.
   * Promise continuations the callback starts run only when the caller yields; prefer
   * {@link SimClock.stepAsync} when the code under test is async.
   */
  step(): boolean {
    this.dropCancelled()
    const timer = this.heap.pop()
    if (timer === undefined) return false
    this.current = Math.max(this.current, timer.due)
    if (timer.interval > 0) {
      timer.due = this.current + timer.interval
      timer.seq = this.seq++
      this.heap.push(timer)
    }
    timer.fn()
    return true
  }

  /** Runs every timer due within the next `ms` milliseconds, then sets the time to now + ms. */
  advance(ms: number): void {
    const until = this.current + ms
    for (;;) {
      const due = this.nextDue()
      if (due === undefined || due > until) break
      this.step()
    }
    this.current = until
  }

  /** Like {@link SimClock.step}, then lets pending promise continuations run. */
  async stepAsync(): Promise<boolean> {
    const ran = this.step()
    await flushMicrotasks()
    return ran
  }

  /** Like {@link SimClock.advance}, letting promise continuations run after every timer. */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.current + ms
    await flushMicrotasks()
    for (;;) {
      const due = this.nextDue()
      if (due === undefined || due > until) break
      await this.stepAsync()
    }
    this.current = until
  }

  private schedule(fn: () => void, delay: number, interval: number): Timer {
    const timer: SimTimer = { due: this.current + delay, seq: this.seq++, fn, interval, cancelled: false }
    this.heap.push(timer)
    return { cancel: () => { timer.cancelled = true } }
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop()
  }
}

/** Lets every queued promise continuation run (several rounds, for chained awaits). */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}
