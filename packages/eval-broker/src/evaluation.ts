import { isZeroTime, type Evaluation } from '@nomadic/structs'

/**
 * The fields of `structs.Evaluation` the broker and the blocked-eval tracker read; any richer type
 * with them can be brokered. The optional ones default to Nomad's zero values.
 */
export type BrokerEvaluation = Pick<Evaluation, 'ID' | 'Namespace' | 'Priority' | 'Type' | 'TriggeredBy' | 'JobID' | 'CreateIndex'> &
  Partial<
    Pick<
      Evaluation,
      | 'NodeID'
      | 'Wait'
      | 'WaitUntil'
      | 'ClassEligibility'
      | 'EscapedComputedClass'
      | 'QuotaLimitReached'
      | 'SnapshotIndex'
      | 'ModifyIndex'
    >
  >

/** The wait before an enqueued eval becomes ready, in milliseconds (`Wait` is Go nanoseconds). */
export function waitMs(evaluation: BrokerEvaluation): number {
  const ns = evaluation.Wait ?? 0
  return ns > 0 ? ns / 1e6 : 0
}

/** The clock instant (ms) before which the eval must not be ready, or undefined for none. */
export function waitUntilMs(evaluation: BrokerEvaluation): number | undefined {
  const until = evaluation.WaitUntil
  // Go's zero time.Time (year 1) means "no wait".
  return until === undefined || isZeroTime(until) ? undefined : until.getTime()
}

/** The later of an eval's create and snapshot index: which of two blocked evals is newer. */
export function latestIndex(evaluation: BrokerEvaluation): number {
  return Math.max(evaluation.CreateIndex, evaluation.SnapshotIndex ?? 0)
}
