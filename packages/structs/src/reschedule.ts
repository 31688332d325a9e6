import { isZeroTime, timeToUnixNanos } from './codec/go-time.js'
import { lookupTaskGroup } from './filter.js'
import type { Allocation } from './types/allocation.js'
import { AllocClientStatusFailed, AllocDesiredStatusEvict, AllocDesiredStatusStop } from './types/constants.js'
import type { Duration } from './types/common.js'
import type { ReschedulePolicy } from './types/job.js'

/** The reschedule policy of the allocation's task group (Nomad's `Allocation.ReschedulePolicy`). */
export function allocReschedulePolicy(alloc: Allocation): ReschedulePolicy | null {
  return lookupTaskGroup(alloc.Job, alloc.TaskGroup)?.ReschedulePolicy ?? null
}

/** Attempts within the policy interval before `failTimeNanos`. */
function attemptsWithin(alloc: Allocation, policy: ReschedulePolicy, failTimeNanos: number): number {
  let attempted = 0
  for (const ev of alloc.RescheduleTracker?.Events ?? []) {
    if (failTimeNanos - ev.RescheduleTime < policy.Interval) attempted++
  }
  return attempted
}

/** Nomad's `Allocation.RescheduleEligible`: the policy still allows an attempt at `failTimeNanos`. */
export function allocRescheduleEligible(alloc: Allocation, policy: ReschedulePolicy | null, failTimeNanos: number): boolean {
  if (policy == null) return false
  if (!(policy.Attempts > 0 || policy.Unlimited)) return false
  if (policy.Unlimited) return true
  if ((alloc.RescheduleTracker?.Events?.length ?? 0) === 0) return true
  return attemptsWithin(alloc, policy, failTimeNanos) < policy.Attempts
}

/** Nomad's `Allocation.ShouldReschedule`: failed, not stopped by the server, and within policy. */
export function allocShouldReschedule(alloc: Allocation, policy: ReschedulePolicy | null, failTimeNanos: number): boolean {
  if (alloc.DesiredStatus === AllocDesiredStatusStop || alloc.DesiredStatus === AllocDesiredStatusEvict) return false
  return alloc.ClientStatus === AllocClientStatusFailed && allocRescheduleEligible(alloc, policy, failTimeNanos)
}

/**
 * Nomad's `Allocation.LastEventTime` in Unix nanoseconds: the latest FinishedAt of its tasks,
 * or ModifyTime when no task has finished.
 */
export function allocLastEventTime(alloc: Allocation): number {
  let last: number | undefined
  for (const ts of Object.values(alloc.TaskStates ?? {})) {
    if (isZeroTime(ts.FinishedAt)) continue
    const ns = timeToUnixNanos(ts.FinishedAt)
    if (last === undefined || ns > last) last = ns
  }
  return last ?? alloc.ModifyTime
}

/** Nomad's `Allocation.NextDelay`: the delay before the next reschedule, per the delay function. */
export function allocNextDelay(alloc: Allocation): Duration {
  const policy = allocReschedulePolicy(alloc)
  if (policy == null) return 0
  let delay = policy.Delay
  const events = alloc.RescheduleTracker?.Events ?? []
  if (events.length === 0) return delay
  switch (policy.DelayFunction) {
    case 'exponential':
      delay = events[events.length - 1]!.Delay * 2
      break
    case 'fibonacci':
      if (events.length >= 2) {
        const n1 = events[events.length - 1]!.Delay
        const n2 = events[events.length - 2]!.Delay
        // After the ceiling was reached and reset, a new series starts.
        delay = n2 === policy.MaxDelay && n1 === policy.Delay ? n1 : n1 + n2
      }
      break
    default:
      return delay
  }
  if (policy.MaxDelay > 0 && delay > policy.MaxDelay) {
    delay = policy.MaxDelay
    const last = events[events.length - 1]!
    if (allocLastEventTime(alloc) - last.RescheduleTime > delay) delay = policy.Delay
  }
  return delay
}

/**
 * Nomad's `Allocation.NextRescheduleTime`: when (Unix nanoseconds) the failed allocation may be
 * replaced, and whether that is still within the policy. `{ time: 0, eligible: false }` when it
 * will not be rescheduled.
 */
export function allocNextRescheduleTime(alloc: Allocation): { time: number; eligible: boolean } {
  const failTime = allocLastEventTime(alloc)
  const policy = allocReschedulePolicy(alloc)
  if (alloc.DesiredStatus === AllocDesiredStatusStop || alloc.ClientStatus !== AllocClientStatusFailed || failTime === 0 || policy == null) {
    return { time: 0, eligible: false }
  }
  const delay = allocNextDelay(alloc)
  let eligible = policy.Unlimited || (policy.Attempts > 0 && alloc.RescheduleTracker == null)
  if (policy.Attempts > 0 && alloc.RescheduleTracker?.Events != null) {
    eligible = attemptsWithin(alloc, policy, failTime) < policy.Attempts && delay < policy.Interval
  }
  return { time: failTime + delay, eligible }
}
