/** Error codes of the scheduler package. */
export type SchedulerErrorCode = 'SCHEDULER_MAX_ATTEMPTS' | 'SCHEDULER_BAD_EVAL'

/** A scheduler failure; `code` is stable. */
export class SchedulerError extends Error {
  override name = 'SchedulerError'
  constructor(readonly code: SchedulerErrorCode, message: string) {
    super(message)
  }
}
