import type { Clock, Timer } from '@nomadic/runtime'
import type { Member, SerfEvent } from './serf.js'

type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'
type MemberEvent = Extract<SerfEvent, { members: Member[] }>
type UserEvent = Extract<SerfEvent, { type: 'user' }>

/** What a coalescing stage does with the events it takes (serf's `coalescer`). */
export interface Coalescer {
  /** Whether this stage holds `e` back; other events pass straight through. */
  handles(e: SerfEvent): boolean
  coalesce(e: SerfEvent): void
  /** Emits what was gathered since the last flush. */
  flush(emit: (e: SerfEvent) => void): void
}

/**
 * Member events: only the latest event per member survives a window, and a member whose
 * latest event repeats the one last delivered for it is dropped (updates always go out).
 * The survivors go out as one event per type, each listing its members.
 */
export class MemberEventCoalescer implements Coalescer {
  private readonly lastDelivered = new Map<string, MemberEventType>()
  private latest = new Map<string, { type: MemberEventType; member: Member }>()

  handles(e: SerfEvent): boolean {
    return e.type !== 'user' && e.type !== 'query'
  }

  coalesce(e: SerfEvent): void {
    const m = e as MemberEvent
    for (const member of m.members) this.latest.set(member.name, { type: m.type, member })
  }

  flush(emit: (e: SerfEvent) => void): void {
    const byType = new Map<MemberEventType, Member[]>()
    for (const [name, { type, member }] of this.latest) {
      if (this.lastDelivered.get(name) === type && type !== 'member-update') continue
      this.lastDelivered.set(name, type)
      const list = byType.get(type) ?? []
      list.push(member)
      byType.set(type, list)
    }
    this.latest = new Map()
    for (const [type, members] of byType) emit({ type, members })
  }
}

/**
 * User events marked coalescable: per event name only those of the newest Lamport time
 * survive a window (several of that same time all do). Others pass through.
 */
export class UserEventCoalescer implements Coalescer {
  private events = new Map<string, { ltime: number; events: UserEvent[] }>()

  handles(e: SerfEvent): boolean {
    return e.type === 'user' && e.coalesce
  }

  coalesce(e: SerfEvent): void {
    const u = e as UserEvent
    const latest = this.events.get(u.name)
    if (latest === undefined || latest.ltime < u.ltime) this.events.set(u.name, { ltime: u.ltime, events: [u] })
    else if (latest.ltime === u.ltime) latest.events.push(u)
  }

  flush(emit: (e: SerfEvent) => void): void {
    const gathered = this.events
    this.events = new Map()
    for (const { events } of gathered.values()) for (const e of events) emit(e)
  }
}

/**
 * Runs a {@link Coalescer} in windows on the injected clock: a window opens with the first
 * held event and closes after `period`, or earlier once no held event came for `quiescent`.
 */
export class CoalesceStage {
  private quantum: Timer | undefined
  private quiet: Timer | undefined
  private stopped = false

  constructor(
    private readonly coalescer: Coalescer,
    private readonly clock: Clock,
    private readonly period: number,
    private readonly quiescent: number,
    private readonly out: (e: SerfEvent) => void,
  ) {}

  /** Holds `e` for the window if the coalescer takes it, else delivers it now. */
  push(e: SerfEvent): void {
    if (this.stopped || !this.coalescer.handles(e)) {
      this.out(e)
      return
    }
    this.quantum ??= this.clock.setTimeout(() => this.flush(), this.period)
    this.quiet?.cancel()
    this.quiet = this.clock.setTimeout(() => this.flush(), this.quiescent)
    this.coalescer.coalesce(e)
  }

  /** Delivers what is held and closes the window. */
  flush(): void {
    this.quantum?.cancel()
    this.quiet?.cancel()
    this.quantum = undefined
    this.quiet = undefined
    this.coalescer.flush(this.out)
  }

  /** Flushes and passes every later event straight through (serf flushes on shutdown). */
  stop(): void {
    if (this.stopped) return
    this.flush()
    this.stopped = true
  }
}
