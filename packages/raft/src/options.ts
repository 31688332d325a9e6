/** Raft's tunables, hashicorp/raft 1.1.2's defaults, and their validation. */
import { ConfigError } from './errors.js'
import type { ServerID } from './types.js'

/** The newest protocol version spoken (hashicorp's ProtocolVersionMax). */
export const PROTOCOL_VERSION_MAX = 3
/** The oldest protocol version that can be configured. */
export const PROTOCOL_VERSION_MIN = 1

/** hashicorp/raft 1.1.2's DefaultConfig. Durations are milliseconds. */
export const DEFAULTS = {
  protocolVersion: 3,
  heartbeatTimeout: 1000,
  electionTimeout: 1000,
  commitTimeout: 50,
  maxAppendEntries: 64,
  shutdownOnRemove: true,
  trailingLogs: 10240,
  snapshotInterval: 120_000,
  snapshotThreshold: 8192,
  leaderLeaseTimeout: 500,
  noSnapshotRestoreOnStart: false,
  preVote: false,
  maxPipelineInFlight: 128,
} as const

/** Options of a {@link Raft} node; every duration is in milliseconds. */
export interface RaftOptions {
  /** This server's ID; required. Under protocol < 3 it must equal the transport address. */
  localID: ServerID
  /** 1..3 (default 3). */
  protocolVersion?: number
  /** Time without leader contact before a follower campaigns: a random value in [t, 2t). */
  heartbeatTimeout?: number
  /** Time before a candidate restarts its election: a random value in [t, 2t). */
  electionTimeout?: number
  /** Idle time before a leader pushes its commit index to followers. */
  commitTimeout?: number
  /** Entries per AppendEntries and per leader disk batch (1..1024). */
  maxAppendEntries?: number
  /** Shut down when removed from the configuration (default true). */
  shutdownOnRemove?: boolean
  /** Entries kept in the log after a snapshot, for followers slightly behind. */
  trailingLogs?: number
  /** How often to check whether a snapshot is due: a random value in [t, 2t). */
  snapshotInterval?: number
  /** Entries since the last snapshot that make one due. */
  snapshotThreshold?: number
  /** A leader without contact from a quorum for this long steps down (≤ heartbeatTimeout). */
  leaderLeaseTimeout?: number
  /** Start without restoring the newest snapshot into the FSM. */
  noSnapshotRestoreOnStart?: boolean
  /** Ask for pre-votes (RPC type 4) before incrementing the term (off, as in hashicorp < 1.7). */
  preVote?: boolean
  /** AppendEntries in flight on one pipeline (hashicorp 1.1.2: 128). */
  maxPipelineInFlight?: number
}

/** Options with every default applied. */
export type ResolvedOptions = Required<RaftOptions>

/** Applies the defaults and validates like hashicorp's ValidateConfig; throws {@link ConfigError} naming the field. */
export function resolveOptions(options: RaftOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    localID: options.localID,
    protocolVersion: options.protocolVersion ?? DEFAULTS.protocolVersion,
    heartbeatTimeout: options.heartbeatTimeout ?? DEFAULTS.heartbeatTimeout,
    electionTimeout: options.electionTimeout ?? DEFAULTS.electionTimeout,
    commitTimeout: options.commitTimeout ?? DEFAULTS.commitTimeout,
    maxAppendEntries: options.maxAppendEntries ?? DEFAULTS.maxAppendEntries,
    shutdownOnRemove: options.shutdownOnRemove ?? DEFAULTS.shutdownOnRemove,
    trailingLogs: options.trailingLogs ?? DEFAULTS.trailingLogs,
    snapshotInterval: options.snapshotInterval ?? DEFAULTS.snapshotInterval,
    snapshotThreshold: options.snapshotThreshold ?? DEFAULTS.snapshotThreshold,
    leaderLeaseTimeout: options.leaderLeaseTimeout ?? DEFAULTS.leaderLeaseTimeout,
    noSnapshotRestoreOnStart: options.noSnapshotRestoreOnStart ?? DEFAULTS.noSnapshotRestoreOnStart,
    preVote: options.preVote ?? DEFAULTS.preVote,
    maxPipelineInFlight: options.maxPipelineInFlight ?? DEFAULTS.maxPipelineInFlight,
  }
  const integer = (field: keyof ResolvedOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[field] as number
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`
      throw new ConfigError(field, `must be an integer ${range} (got ${String(v)})`)
    }
  }
  if (typeof o.localID !== 'string' || o.localID === '') throw new ConfigError('localID', 'LocalID cannot be empty')
  integer('protocolVersion', PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX)
  integer('heartbeatTimeout', 5)
  integer('electionTimeout', 5)
  integer('commitTimeout', 1)
  integer('maxAppendEntries', 1, 1024)
  integer('trailingLogs', 0)
  integer('snapshotInterval', 5)
  integer('snapshotThreshold', 0)
  integer('leaderLeaseTimeout', 5)
  integer('maxPipelineInFlight', 1)
  if (o.leaderLeaseTimeout > o.heartbeatTimeout) {
    throw new ConfigError('leaderLeaseTimeout', 'Leader lease timeout cannot be larger than heartbeat timeout')
  }
  if (o.electionTimeout < o.heartbeatTimeout) {
    throw new ConfigError('electionTimeout', 'Election timeout must be equal or greater than Heartbeat Timeout')
  }
  return o
}
