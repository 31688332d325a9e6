/** Something to gossip a bounded number of times. */
export interface Broadcast {
  /** The encoded message (a full typed memberlist message, or a delegate's payload). */
  message(): Buffer
  /** True when this broadcast makes `other` obsolete (then `other` is dropped). */
  invalidates?(other: Broadcast): boolean
  /** Name of the node a memberlist broadcast is about; a newer one replaces the older. */
  readonly name?: string
  /** Called once: when sent the last time or when invalidated. */
  finished?(): void
}

interface Entry {
  b: Broadcast
  transmits: number
  len: number
  id: number
}

/** Broadcasts are retransmitted `mult × ceil(log10(n + 1))` times. */
export function retransmitLimit(mult: number, n: number): number {
  return mult * Math.ceil(Math.log10(n + 1))
}

/**
 * memberlist's TransmitLimitedQueue: fewest transmits first, then largest, then newest; each
 * entry leaves after its transmit limit. Entries about the same node replace each other.
 */
export class TransmitLimitedQueue {
  private entries: Entry[] = []
  private idGen = 0

  constructor(private readonly numNodes: () => number, public retransmitMult: number) {}

  /** Queues a broadcast, first dropping what it invalidates. */
  queue(b: Broadcast): void {
    const keep: Entry[] = []
    for (const e of this.entries) {
      const replaced = (b.name !== undefined && e.b.name === b.name) || (b.invalidates?.(e.b) ?? false)
      if (replaced) e.b.finished?.()
      else keep.push(e)
    }
    keep.push({ b, transmits: 0, len: b.message().length, id: ++this.idGen })
    this.entries = keep
  }

  /** Takes messages that fit into `limit` bytes, each costing `overhead` more. */
  getBroadcasts(overhead: number, limit: number): Buffer[] {
    if (this.entries.length === 0) return []
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes())
    // Order: transmits ascending, length descending, id descending.
    this.entries.sort((a, b) => a.transmits - b.transmits || b.len - a.len || b.id - a.id)
    let used = 0
    const out: Buffer[] = []
    const done = new Set<Entry>()
    for (const e of this.entries) {
      const free = limit - used - overhead
      if (free <= 0) break
      if (e.len > free) continue
      used += overhead + e.len
      out.push(e.b.message())
      if (e.transmits + 1 >= transmitLimit) done.add(e)
      else e.transmits++
    }
    if (done.size > 0) {
      this.entries = this.entries.filter((e) => !done.has(e))
      for (const e of done) e.b.finished?.()
    }
    return out
  }

  numQueued(): number {
    return this.entries.length
  }

  /** Drops everything (finishing each entry). */
  reset(): void {
    const old = this.entries
    this.entries = []
    for (const e of old) e.b.finished?.()
  }

  /** Keeps only the `max` freshest entries. */
  prune(max: number): void {
    if (this.entries.length <= max) return
    this.entries.sort((a, b) => a.transmits - b.transmits || b.id - a.id)
    const dropped = this.entries.splice(max)
    for (const e of dropped) e.b.finished?.()
  }
}
