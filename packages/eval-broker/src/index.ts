export { EvalBroker } from './eval-broker.js'
export type {
  EvalBrokerComponents,
  EvalBrokerOptions,
  Delivery,
  DequeueOptions,
  BrokerStats,
  SchedulerStats,
} from './eval-broker.js'
export { BlockedEvals } from './blocked-evals.js'
export type {
  BlockedEvalsComponents,
  BlockedEvalsOptions,
  BlockedStats,
  GetDuplicatesOptions,
  UnblockTarget,
} from './blocked-evals.js'
export type { BrokerEvaluation } from './evaluation.js'
export type { WaitOptions } from './wait-list.js'
export type { Evaluation } from '@nomadic/structs'
export {
  EvalBrokerError,
  BrokerDisabledError,
  EvalNotFoundError,
  EvalIdMismatchError,
  EvalTokenMismatchError,
  EvalNotOutstandingError,
  OutstandingTokenMismatchError,
  InvalidOptionError,
} from './errors.js'
export {
  DEFAULT_NACK_TIMEOUT_MS,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_INITIAL_NACK_DELAY_MS,
  DEFAULT_SUBSEQUENT_NACK_DELAY_MS,
  FAILED_QUEUE,
  DEFAULT_PRUNE_INTERVAL_MS,
  DEFAULT_PRUNE_THRESHOLD_MS,
} from './constants.js'
