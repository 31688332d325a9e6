import type { Clock, Timer } from '@nomadic/runtime'

/**
 * Minimum suspicion timeout: `suspicionMult × max(1, log10(max(1, n))) × probeInterval`
 * (memberlist's `suspicionTimeout`; the result is whole milliseconds).
 */
export function suspicionTimeout(suspicionMult: number, n: number, probeInterval: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)))
  return Math.floor(suspicionMult * nodeScale * probeInterval)
}

/**
 * Time left on a suspicion after `confirmations` of `k` wanted, `elapsed` ms in: Lifeguard's
 * timeout shrinks logarithmically from `max` to `min` as independent peers confirm.
 */
export function remainingSuspicionTime(confirmations: number, k: number, elapsed: number, min: number, max: number): number {
  const frac = k > 0 ? Math.log(confirmations + 1) / Math.log(k + 1) : 1
  const raw = Math.floor(max - frac * (max - min))
  const timeout = Math.max(raw, min)
  return timeout - elapsed
}

/** One node's suspicion: a timer that confirmations from distinct peers pull in. */
export class Suspicion {
  private readonly confirmations = new Set<string>()
  private n = 0
  private timer: Timer | undefined
  private readonly start: number
  private fired = false

  constructor(
    private readonly clock: Clock,
    from: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    // The accuser cannot confirm its own suspicion.
    this.confirmations.add(from)
    this.start = clock.now()
    const timeout = k < 1 ? min : max
    this.timer = clock.setTimeout(() => this.fire(), timeout)
  }

  /** Registers a confirmation; true when it was new (and so worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.fired || this.n >= this.k) return false
    if (this.confirmations.has(from)) return false
    this.confirmations.add(from)
    this.n++
    const remaining = remainingSuspicionTime(this.n, this.k, this.clock.now() - this.start, this.min, this.max)
    this.timer?.cancel()
    if (remaining > 0) this.timer = this.clock.setTimeout(() => this.fire(), remaining)
    else this.timer = this.clock.setTimeout(() => this.fire(), 0)
    return true
  }

  cancel(): void {
    this.fired = true
    this.timer?.cancel()
    this.timer = undefined
  }

  private fire(): void {
    if (this.fired) return
    this.fired = true
    this.timer = undefined
    this.onTimeout(this.n)
  }
}
