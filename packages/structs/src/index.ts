export * from './types/index.js'
export * from './errors.js'
export { formatGoDuration } from './duration.js'
export * from './status.js'
export * from './filter.js'
export { canonicalizeJob, canonicalizeNetwork, canonicalizeResources } from './job/canonicalize.js'
export type { CanonicalizeOptions } from './job/canonicalize.js'
export * from './job/defaults.js'
export {
  jobProblems,
  validateJob,
  constraintProblems,
  affinityProblems,
  spreadProblems,
  updateProblems,
  restartProblems,
  rescheduleProblems,
  migrateProblems,
  periodicProblems,
  parameterizedProblems,
} from './job/validate.js'
export * from './resources/comparable.js'
export * from './resources/fit.js'
export * from './resources/allocs-usage.js'
export * from './resources/score.js'
export * from './resources/port-spec.js'
export * from './resources/network-index.js'
export * from './node/computed-class.js'
export * from './mock.js'
export { newAllocation, newEvaluation } from './defaults.js'
export { GoTime, GoZeroTimeMs, zeroTime, isZeroTime, marshalGoTime, unmarshalGoTime, timeToUnixNanos } from './codec/go-time.js'
export { encodeValue, decodeValue, toWire, fromWire } from './codec/wire.js'
export type { DecodeLimits, FromWireOptions } from './codec/wire.js'
export { encodeMessage, decodeMessage } from './codec/fsm.js'
export type { FsmMessage } from './codec/fsm.js'
export * from './plan.js'
export * from './reschedule.js'
export { clone } from './clone.js'
