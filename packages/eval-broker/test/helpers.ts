import type { Evaluation } from '@nomadic/structs'

/** Go's zero time.Time: "no WaitUntil". */
export const ZERO_TIME = new Date(-62135596800000)

let nextIndex = 1000

/** A complete pending Evaluation with Nomad's zero values, overridden by `fields`. */
export function makeEval(fields: Partial<Evaluation> = {}): Evaluation {
  const index = nextIndex++
  return {
    ID: `eval-${index}`,
    Namespace: 'default',
    Priority: 50,
    Type: 'service',
    TriggeredBy: 'job-register',
    JobID: `job-${index}`,
    JobModifyIndex: 0,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: 'pending',
    StatusDescription: '',
    Wait: 0,
    WaitUntil: ZERO_TIME,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    ClassEligibility: null,
    QuotaLimitReached: '',
    EscapedComputedClass: false,
    AnnotatePlan: false,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: 0,
    ModifyTime: 0,
    ...fields,
  }
}

/** Records what a promise settled with, so a test can look without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  )
  return state
}
