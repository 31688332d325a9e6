/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` comes out first). Used for timers,
 * plan queues and ready queues, where ties must break the same way on every run.
 */
export class Heap<T> {
  private readonly items: T[] = []

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let first = i
      if (l < items.length && this.before(items[l]!, items[first]!)) first = l
      if (r < items.length && this.before(items[r]!, items[first]!)) first = r
      if (first === i) break
      ;[items[i], items[first]] = [items[first]!, items[i]!]
      i = first
    }
    return top
  }

  /** Removes every item and returns them in no particular order. */
  clear(): T[] {
    return this.items.splice(0)
  }

  /** The items in no particular order (a copy). */
  toArray(): T[] {
    return this.items.slice()
  }
}
