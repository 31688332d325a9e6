/** Error codes of the planner package. */
export type PlannerErrorCode = 'PLAN_QUEUE_DISABLED' | 'PLAN_APPLIER_STOPPED' | 'PLAN_REFRESH_INDEX_ZERO' | 'PLAN_APPLY_FAILED'

/** Base class of the planner's errors; `code` is stable. */
export class PlannerError extends Error {
  override name = 'PlannerError'
  constructor(readonly code: PlannerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** The queue only works on the leader; elsewhere (or after leadership is lost) it refuses. */
export class PlanQueueDisabledError extends PlannerError {
  override name = 'PlanQueueDisabledError'
  constructor() {
    // Nomad's workers match this text to retry against the new leader.
    super('PLAN_QUEUE_DISABLED', 'plan queue is disabled')
  }
}

/** The applier was stopped while a plan waited. */
export class PlanApplierStoppedError extends PlannerError {
  override name = 'PlanApplierStoppedError'
  constructor() {
    super('PLAN_APPLIER_STOPPED', 'plan applier stopped')
  }
}
