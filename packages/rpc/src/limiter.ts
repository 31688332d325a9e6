/**
 * Counts open connections per client IP (hashicorp/go-connlimit as Nomad uses it): `acquire`
 * refuses beyond the limit and otherwise returns the release function.
 */
export class ConnLimiter {
  private readonly counts = new Map<string, number>()

  constructor(readonly maxPerIp: number) {}

  /** A release function, or undefined when `ip` already holds `maxPerIp` connections. */
  acquire(ip: string): (() => void) | undefined {
    const count = this.counts.get(ip) ?? 0
    if (count >= this.maxPerIp) return undefined
    this.counts.set(ip, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const now = (this.counts.get(ip) ?? 1) - 1
      if (now <= 0) this.counts.delete(ip)
      else this.counts.set(ip, now)
    }
  }

  /** Connections `ip` holds now. */
  count(ip: string): number {
    return this.counts.get(ip) ?? 0
  }
}
