/** Nomad's `EvalNackTimeout`: an outstanding evaluation not acked within this time is nacked. */
export const DEFAULT_NACK_TIMEOUT_MS = 60_000
/** Nomad's `EvalDeliveryLimit`: after this many deliveries a nacked eval goes to {@link FAILED_QUEUE}. */
export const DEFAULT_DELIVERY_LIMIT = 3
/** Nomad's `EvalNackInitialReenqueueDelay`: the wait before a once-nacked eval is ready again. */
export const DEFAULT_INITIAL_NACK_DELAY_MS = 1_000
/** Nomad's `EvalNackSubsequentReenqueueDelay`: after the n-th nack (n ≥ 2) the wait is (n−1)× this. */
export const DEFAULT_SUBSEQUENT_NACK_DELAY_MS = 20_000
/** The queue evaluations move to once they reach the delivery limit; the leader marks them failed. */
export const FAILED_QUEUE = '_failed'

/** Nomad's `pruneInterval`: how often old unblock indexes are dropped. */
export const DEFAULT_PRUNE_INTERVAL_MS = 5 * 60_000
/** Nomad's `pruneThreshold`: unblock indexes recorded longer ago than this are dropped. */
export const DEFAULT_PRUNE_THRESHOLD_MS = 15 * 60_000
