/** Labels that qualify a metric. */
export type Labels = Record<string, string>

/** The metrics sink every component takes; the default discards everything. */
export interface Metrics {
  /** Adds `value` (default 1) to a counter. */
  counter(name: string, value?: number, labels?: Labels): void
  /** Sets a gauge. */
  gauge(name: string, value: number, labels?: Labels): void
  /** Records a duration in milliseconds. */
  timing(name: string, ms: number, labels?: Labels): void
}

export const noopMetrics: Metrics = {
  counter: () => {},
  gauge: () => {},
  timing: () => {},
}

function key(name: string, labels?: Labels): string {
  if (labels === undefined) return name
  const parts = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`)
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`
}

/** Summary of the timings recorded under one name. */
export interface TimingSummary {
  count: number
  sum: number
  min: number
  max: number
}

/** Keeps metrics in memory, for tests and for an agent's metrics endpoint. */
export class InmemMetrics implements Metrics {
  readonly counters = new Map<string, number>()
  readonly gauges = new Map<string, number>()
  readonly timings = new Map<string, TimingSummary>()

  counter(name: string, value = 1, labels?: Labels): void {
    const k = key(name, labels)
    this.counters.set(k, (this.counters.get(k) ?? 0) + value)
  }

  gauge(name: string, value: number, labels?: Labels): void {
    this.gauges.set(key(name, labels), value)
  }

  timing(name: string, ms: number, labels?: Labels): void {
    const k = key(name, labels)
    const t = this.timings.get(k)
    if (t === undefined) this.timings.set(k, { count: 1, sum: ms, min: ms, max: ms })
    else {
      t.count++
      t.sum += ms
      t.min = Math.min(t.min, ms)
      t.max = Math.max(t.max, ms)
    }
  }

  /** The current value of a counter (0 when never incremented). */
  count(name: string, labels?: Labels): number {
    return this.counters.get(key(name, labels)) ?? 0
  }
}
