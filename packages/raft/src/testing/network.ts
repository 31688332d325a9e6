/**
 * The simulated network: fault hooks shared by every node's InmemTransport — message loss, delay
 * (and with it reordering), duplication, slow nodes, and symmetric or one-way partitions.
 */
import type { Random } from '@nomadic/runtime'
import type { InmemHooks, InmemMessage } from '../transport/inmem.js'

export class SimNetwork implements InmemHooks {
  /** Probability that a message is lost. */
  dropRate = 0
  /** Probability that a request is delivered twice. */
  duplicateRate = 0
  /** Delay bounds in ms; uniform in [min, max], so messages overtake each other. */
  minDelay = 1
  maxDelay = 10
  /** Extra delay for messages to or from a node (a slow voter). */
  readonly slow = new Map<string, number>()
  /** Directed links that lose everything: "from->to". */
  private readonly cut = new Set<string>()

  constructor(private readonly random: Random) {}

  drop(m: InmemMessage): boolean {
    if (this.cut.has(`${m.from}->${m.to}`)) return true
    return this.dropRate > 0 && this.random.next() < this.dropRate
  }

  delay(m: InmemMessage): number {
    const base = this.minDelay + this.random.next() * (this.maxDelay - this.minDelay)
    return base + (this.slow.get(m.from) ?? 0) + (this.slow.get(m.to) ?? 0)
  }

  duplicate(_m: InmemMessage): boolean {
    return this.duplicateRate > 0 && this.random.next() < this.duplicateRate
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}->${y}`)
      this.cut.add(`${y}->${x}`)
    }
  }

  /** Cuts only messages from `from` to `to`. */
  cutOneWay(from: string, to: string): void {
    this.cut.add(`${from}->${to}`)
  }

  /** Cuts `id` off from everyone in `others`. */
  isolate(id: string, others: readonly string[]): void {
    this.partition([id], others.filter((o) => o !== id))
  }

  /** Restores every link and removes loss, duplication and slowness. */
  heal(): void {
    this.cut.clear()
    this.slow.clear()
    this.dropRate = 0
    this.duplicateRate = 0
  }

  /** Whether any link is cut. */
  partitioned(): boolean {
    return this.cut.size > 0
  }
}
