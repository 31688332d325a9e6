import type { Duration, Index } from './common.js'
import type { AllocMetric } from './allocation.js'

/** A request to (re)schedule a job, the unit the eval broker queues. */
export interface Evaluation {
  ID: string
  Namespace: string
  Priority: number
  /** The scheduler: `service`, `batch`, `system` or `_core`. */
  Type: string
  /** Why: `job-register`, `node-update`, `alloc-failure`, … (see `EvalTriggerBy`). */
  TriggeredBy: string
  JobID: string
  JobModifyIndex: Index
  NodeID: string
  NodeModifyIndex: Index
  DeploymentID: string
  /** `blocked`, `pending`, `complete`, `failed` or `canceled`. */
  Status: string
  StatusDescription: string
  /** Delay before the broker releases the eval. */
  Wait: Duration
  /** Time before which the broker holds the eval; the zero time means none. */
  WaitUntil: Date
  NextEval: string
  PreviousEval: string
  BlockedEval: string
  FailedTGAllocs?: Record<string, AllocMetric> | null
  /** Computed node classes the eval is (true) or is not (false) eligible for. */
  ClassEligibility?: Record<string, boolean> | null
  QuotaLimitReached: string
  /** Constraints reached beyond the computed class: any capacity change may unblock it. */
  EscapedComputedClass: boolean
  AnnotatePlan: boolean
  QueuedAllocations?: Record<string, number> | null
  LeaderACL: string
  /** The state index the scheduler saw when it blocked the eval. */
  SnapshotIndex: Index
  CreateIndex: Index
  ModifyIndex: Index
  /** Unix nanoseconds. */
  CreateTime: number
  /** Unix nanoseconds. */
  ModifyTime: number
}
