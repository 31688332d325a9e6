import type { Clock, Timer } from '@nomadic/runtime'

/** How a caller waits: a timeout in ms (0 or absent: none) and an AbortSignal. */
export interface WaitOptions {
  timeout?: number
  signal?: AbortSignal
}

interface Waiter<T, D> {
  data: D
  resolve(value: T): void
  reject(error: unknown): void
  timer: Timer | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/**
 * Callers waiting for something (a ready eval, a duplicate), served oldest first. Each wait ends
 * when it is served, when its timeout passes on the injected clock (resolving `onTimeout`), when
 * its signal aborts (rejecting with the signal's reason), or when the list is flushed.
 */
export class WaitList<T, D = undefined> {
  private waiters: Array<Waiter<T, D>> = []

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.waiters.length
  }

  /** Waits; `data` is what {@link WaitList.serve} is given for this caller. */
  wait(data: D, options: WaitOptions, onTimeout: T): Promise<T> {
    const { timeout = 0, signal } = options
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T, D> = { data, resolve, reject, timer: undefined, signal, onAbort: undefined }
      if (timeout > 0) {
        w.timer = this.clock.setTimeout(() => {
          this.remove(w)
          resolve(onTimeout)
        }, timeout)
      }
      if (signal !== undefined) {
        w.onAbort = () => {
          this.remove(w)
          reject(signal.reason)
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.waiters.push(w)
    })
  }

  /**
   * Offers work to the waiters, oldest first, while `more()` says there is some: `take` returns
   * the value for a waiter, or undefined when nothing fits it (it keeps waiting).
   */
  serve(take: (data: D) => T | undefined, more: () => boolean): void {
    const waiters = this.waiters
    for (let i = 0; i < waiters.length && more(); ) {
      const w = waiters[i]!
      const value = take(w.data)
      if (value === undefined) {
        i++
        continue
      }
      waiters.splice(i, 1)
      this.settle(w)
      w.resolve(value)
    }
  }

  /** Ends every wait: rejected with `error` when given, else resolved with `value`. */
  flush(outcome: { error: () => unknown } | { value: T }): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) {
      this.settle(w)
      if ('error' in outcome) w.reject(outcome.error())
      else w.resolve(outcome.value)
    }
  }

  private remove(w: Waiter<T, D>): void {
    const i = this.waiters.indexOf(w)
    if (i >= 0) this.waiters.splice(i, 1)
    this.settle(w)
  }

  private settle(w: Waiter<T, D>): void {
    w.timer?.cancel()
    if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort)
  }
}
