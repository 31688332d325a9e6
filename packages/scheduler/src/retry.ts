import { SchedulerError } from './errors.js'

/**
 * Nomad's `retryMax`: calls `attempt` until it reports done, at most `limit` times; the count
 * starts over whenever `progressMade()` says the last attempt committed something. Throws
 * SCHEDULER_MAX_ATTEMPTS when the attempts run out.
 */
export async function retryMax(limit: number, attempt: () => Promise<boolean>, progressMade: () => boolean): Promise<void> {
  let attempts = 0
  while (attempts < limit) {
    if (await attempt()) return
    if (progressMade()) attempts = 0
    else attempts++
  }
  throw new SchedulerError('SCHEDULER_MAX_ATTEMPTS', `maximum attempts reached (${limit})`)
}
