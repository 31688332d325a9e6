import { Heap, type Clock, type Timer } from '@nomadic/runtime'

interface Delayed<T> {
  due: number
  seq: number
  item: T
}

/**
 * Items that become due at a clock instant, released in due order (ties in insertion order)
 * through one clock timer for the earliest. Used for `Wait`, `WaitUntil` and nack re-enqueue delays.
 */
export class DelayQueue<T> {
  private readonly heap = new Heap<Delayed<T>>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq))
  private seq = 0
  private timer: Timer | undefined
  private timerDue = Infinity

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (item: T) => void,
  ) {}

  get size(): number {
    return this.heap.size
  }

  /** Queues `item` until the clock reaches `due` (ms). */
  push(item: T, due: number): void {
    this.heap.push({ due, seq: this.seq++, item })
    if (due < this.timerDue) this.schedule()
  }

  /** Drops everything and cancels the clock timer. */
  clear(): void {
    this.heap.clear()
    this.timer?.cancel()
    this.timer = undefined
    this.timerDue = Infinity
  }

  private schedule(): void {
    this.timer?.cancel()
    this.timer = undefined
    this.timerDue = Infinity
    const first = this.heap.peek()
    if (first === undefined) return
    this.timerDue = first.due
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, first.due - this.clock.now()))
  }

  private fire(): void {
    const now = Math.max(this.clock.now(), this.timerDue)
    this.timer = undefined
    this.timerDue = Infinity
    for (let first = this.heap.peek(); first !== undefined && first.due <= now; first = this.heap.peek()) {
      this.heap.pop()
      this.onDue(first.item)
    }
    if (this.timer === undefined) this.schedule()
  }
}
