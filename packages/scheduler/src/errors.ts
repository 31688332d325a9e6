/** Error codes of the scheduler package. */
export type SchedulerErrorCode = 'SCHEDULER_MAX_ATTEMPTS'

/** A scheduler failure; `code` is stable. */
export class SchedulerError extends Error {
  override name = 'SchedulerError'
  constructor(readonly code: SchedulerErrorCode, message: string) {
    super(message)
  }
}
