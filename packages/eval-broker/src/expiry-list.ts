import type { Clock, Timer } from '@nomadic/runtime'

/** A member of an {@link ExpiryList}: the list threads itself through these fields. */
export interface Expiring {
  deadline: number
  prev: Expiring | undefined
  next: Expiring | undefined
  linked: boolean
}

/**
 * Deadlines that all lie the same `timeoutMs` after they are armed, kept in arming order, so the
 * list is always sorted by deadline: arming, re-arming and disarming are O(1), and one clock
 * timer (for the head) serves every member. This is how the broker keeps a nack timer per
 * outstanding evaluation without a clock timer per evaluation.
 */
export class ExpiryList<T extends Expiring> {
  private head: T | undefined
  private tail: T | undefined
  private timer: Timer | undefined
  private timerDue = 0

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onExpire: (member: T) => void,
  ) {}

  /** Arms (or re-arms) `member` to expire `timeoutMs` from now. */
  arm(member: T): void {
    if (member.linked) this.unlink(member)
    member.deadline = this.clock.now() + this.timeoutMs
    member.prev = this.tail
    member.next = undefined
    member.linked = true
    if (this.tail === undefined) this.head = member
    else this.tail.next = member
    this.tail = member
    if (this.timer === undefined) this.schedule()
  }

  /** Disarms `member`; a no-op when it is not armed. */
  disarm(member: T): void {
    if (!member.linked) return
    this.unlink(member)
    if (this.head === undefined) this.cancelTimer()
  }

  /** Disarms every member and cancels the clock timer. */
  clear(): void {
    for (let m = this.head; m !== undefined; ) {
      const next = m.next as T | undefined
      m.prev = m.next = undefined
      m.linked = false
      m = next
    }
    this.head = this.tail = undefined
    this.cancelTimer()
  }

  private unlink(member: T): void {
    if (member.prev === undefined) this.head = member.next as T | undefined
    else member.prev.next = member.next
    if (member.next === undefined) this.tail = member.prev as T | undefined
    else member.next.prev = member.prev
    member.prev = member.next = undefined
    member.linked = false
  }

  private cancelTimer(): void {
    this.timer?.cancel()
    this.timer = undefined
  }

  private schedule(): void {
    const head = this.head
    if (head === undefined) return
    this.timerDue = head.deadline
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, head.deadline - this.clock.now()))
  }

  private fire(): void {
    this.timer = undefined
    const now = Math.max(this.clock.now(), this.timerDue)
    for (let m = this.head; m !== undefined && m.deadline <= now; m = this.head) {
      this.unlink(m)
      this.onExpire(m)
    }
    if (this.timer === undefined) this.schedule()
  }
}
