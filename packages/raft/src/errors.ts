/**
 * Error classes of @nomadic/raft. Each has a stable `code`; messages are hashicorp/raft 1.1.2's
 * texts, since peers and clients match some of them by substring.
 */

/** Every error this package throws on purpose. */
export class RaftError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** The operation needs the leader; `leaderAddress` is the known leader, if any. */
export class NotLeaderError extends RaftError {
  constructor(readonly leaderAddress: string = '', readonly leaderId: string = '') {
    super('RAFT_NOT_LEADER', 'node is not the leader')
  }
}

/** The operation is not allowed on the leader. */
export class LeaderError extends RaftError {
  constructor() {
    super('RAFT_LEADER', 'node is the leader')
  }
}

/** Leadership was lost before the entry committed; it may or may not commit later. */
export class LeadershipLostError extends RaftError {
  constructor() {
    super('RAFT_LEADERSHIP_LOST', 'leadership lost while committing log')
  }
}

/** A restore replaced the log while the entry was committing. */
export class AbortedByRestoreError extends RaftError {
  constructor() {
    super('RAFT_ABORTED_BY_RESTORE', 'snapshot restored while committing log')
  }
}

/** The node is shut down (or shutting down). */
export class ShutdownError extends RaftError {
  constructor() {
    super('RAFT_SHUTDOWN', 'raft is already shutdown')
  }
}

/** The operation could not be queued within its timeout. */
export class EnqueueTimeoutError extends RaftError {
  constructor() {
    super('RAFT_ENQUEUE_TIMEOUT', 'timed out enqueuing operation')
  }
}

/** A snapshot was asked for but nothing was applied since the last one. */
export class NothingNewToSnapshotError extends RaftError {
  constructor() {
    super('RAFT_NOTHING_NEW_TO_SNAPSHOT', 'nothing new to snapshot')
  }
}

/** The configured protocol version does not allow the operation, or a peer's is out of range. */
export class UnsupportedProtocolError extends RaftError {
  constructor() {
    super('RAFT_UNSUPPORTED_PROTOCOL', 'operation not supported with current protocol version')
  }
}

/** bootstrapCluster on a node that already has state. */
export class CantBootstrapError extends RaftError {
  constructor() {
    super('RAFT_CANT_BOOTSTRAP', 'bootstrap only works on new clusters')
  }
}

/** A leadership transfer is running; applies and other transfers wait for it. */
export class LeadershipTransferInProgressError extends RaftError {
  constructor() {
    super('RAFT_LEADERSHIP_TRANSFER_IN_PROGRESS', 'leadership transfer in progress')
  }
}

/** A membership change's `prevIndex` no longer matches the latest configuration's index. */
export class ConfigurationChangedError extends RaftError {
  constructor(readonly prevIndex: number, readonly latestIndex: number) {
    super('RAFT_CONFIGURATION_CHANGED', `Configuration changed since ${prevIndex} (latest is ${latestIndex})`)
  }
}

/** A membership change that would leave the configuration invalid, or one that changes nothing useful. */
export class InvalidConfigurationError extends RaftError {
  constructor(message: string) {
    super('RAFT_INVALID_CONFIGURATION', message)
  }
}

/** An option passed at construction is out of range; `field` names it. */
export class ConfigError extends RaftError {
  constructor(readonly field: string, message: string) {
    super('RAFT_INVALID_CONFIG', `${field}: ${message}`)
  }
}

/** The operation's AbortSignal fired or its timeout elapsed before it finished. */
export class TimeoutError extends RaftError {
  constructor(message = 'operation timed out') {
    super('RAFT_TIMEOUT', message)
  }
}

/** A log entry that should exist does not. */
export class LogNotFoundError extends RaftError {
  constructor(readonly index: number) {
    super('RAFT_LOG_NOT_FOUND', 'log not found')
  }
}

/** Bytes that do not decode as what they should be. */
export class DecodeError extends RaftError {
  constructor(message: string) {
    super('RAFT_DECODE', message)
  }
}

/** The transport is closed. */
export class TransportShutdownError extends RaftError {
  constructor() {
    super('RAFT_TRANSPORT_SHUTDOWN', 'transport shutdown')
  }
}

/** The AppendEntries pipeline is closed. */
export class PipelineShutdownError extends RaftError {
  constructor() {
    super('RAFT_PIPELINE_SHUTDOWN', 'append pipeline closed')
  }
}

/** The transport cannot pipeline AppendEntries. */
export class PipelineNotSupportedError extends RaftError {
  constructor() {
    super('RAFT_PIPELINE_NOT_SUPPORTED', 'pipeline replication not supported')
  }
}

/** The peer answered an RPC with an error string (the response's error field). */
export class RemoteError extends RaftError {
  constructor(message: string) {
    super('RAFT_REMOTE', message)
  }
}

/** A peer could not be reached (no route, refused, partitioned, timed out). */
export class UnreachableError extends RaftError {
  constructor(readonly target: string, message = `failed to connect to peer ${target}`) {
    super('RAFT_UNREACHABLE', message)
  }
}
