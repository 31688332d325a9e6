import { isZeroTime } from '@nomadic/structs'

/** A Raft index (`@nomadic/structs` uses number; a bigint is accepted when it came off the wire as one). */
export type Index = number | bigint

/**
 * The fields of Nomad's `structs.Evaluation` the broker and the blocked-eval tracker read (Go field
 * names). Any richer evaluation type with these fields can be brokered.
 */
export interface BrokerEvaluation {
  ID: string
  Namespace: string
  Priority: number
  /** The scheduler type (`service`, `batch`, `system`, `_core`): the ready queue it goes to. */
  Type: string
  TriggeredBy: string
  JobID: string
  /** Set on system-job evals created for one node. */
  NodeID?: string
  /** Go `time.Duration` in nanoseconds: the eval becomes ready this long after it is enqueued. */
  Wait?: number | bigint
  /** The eval becomes ready at this instant (`clock.now()` milliseconds, or a Date). */
  WaitUntil?: Date | number | null
  /** Computed node class → whether the job could run on it, as seen by the scheduler. */
  ClassEligibility?: Record<string, boolean> | null
  /** The job's constraints could not be captured by computed node classes. */
  EscapedComputedClass?: boolean
  /** The quota whose limit blocked the eval, or empty. */
  QuotaLimitReached?: string
  SnapshotIndex?: Index
  CreateIndex: Index
  ModifyIndex?: Index
}

/** The wait before an enqueued eval becomes ready, in milliseconds (0 for none). */
export function waitMs(evaluation: BrokerEvaluation): number {
  const wait = evaluation.Wait
  if (wait === undefined) return 0
  const ns = typeof wait === 'bigint' ? Number(wait) : wait
  return ns > 0 ? ns / 1e6 : 0
}

/** The clock instant (ms) before which the eval must not be ready, or undefined for none. */
export function waitUntilMs(evaluation: BrokerEvaluation): number | undefined {
  const until = evaluation.WaitUntil
  if (typeof until === 'number') return until
  // Go's zero time.Time (year 1) means "no wait".
  return until === undefined || until === null || isZeroTime(until) ? undefined : until.getTime()
}

/** The later of an eval's create and snapshot index: which of two blocked evals is newer. */
export function latestIndex(evaluation: BrokerEvaluation): Index {
  const snapshot = evaluation.SnapshotIndex ?? 0
  return snapshot > evaluation.CreateIndex ? snapshot : evaluation.CreateIndex
}
