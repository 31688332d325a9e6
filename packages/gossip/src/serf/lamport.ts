/** A Lamport clock (serf's LamportClock): starts at 0, `witness` moves past what others saw. */
export class LamportClock {
  private counter = 0

  /** The current value. */
  time(): number {
    return this.counter
  }

  /** Increments and returns the new value. */
  increment(): number {
    return ++this.counter
  }

  /** Makes sure the clock is past `v`. */
  witness(v: number): void {
    if (v >= this.counter) this.counter = v + 1
  }
}
