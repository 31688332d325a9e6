import { zeroTime } from './codec/go-time.js'
import type { Allocation } from './types/allocation.js'
import { AllocClientStatusPending, AllocDesiredStatusRun, EvalStatusPending } from './types/constants.js'
import type { Evaluation } from './types/evaluation.js'

/**
 * An evaluation with Go's zero values (pending, no wait) and `fields` on top: one place that
 * knows every field, for follow-up evals, mocks and callers that fill in a few.
 */
export function newEvaluation(fields: Partial<Evaluation> & Pick<Evaluation, 'ID'>): Evaluation {
  return {
    Namespace: '',
    Priority: 0,
    Type: '',
    TriggeredBy: '',
    JobID: '',
    JobModifyIndex: 0,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: EvalStatusPending,
    StatusDescription: '',
    Wait: 0,
    WaitUntil: zeroTime(),
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    QuotaLimitReached: '',
    EscapedComputedClass: false,
    AnnotatePlan: false,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...fields,
  }
}

/**
 * An allocation with Go's zero values (desired `run`, client `pending`) and `fields` on top: one
 * place that knows every field, for schedulers placing allocations and for mocks.
 */
export function newAllocation(fields: Partial<Allocation> & Pick<Allocation, 'ID'>): Allocation {
  return {
    Namespace: '',
    EvalID: '',
    Name: '',
    NodeID: '',
    NodeName: '',
    JobID: '',
    TaskGroup: '',
    DesiredStatus: AllocDesiredStatusRun,
    DesiredDescription: '',
    DesiredTransition: {},
    ClientStatus: AllocClientStatusPending,
    ClientDescription: '',
    PreviousAllocation: '',
    NextAllocation: '',
    DeploymentID: '',
    FollowupEvalID: '',
    PreemptedByAllocation: '',
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...fields,
  }
}
