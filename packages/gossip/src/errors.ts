/** Stable codes of every error the gossip package throws. */
export type GossipErrorCode =
  | 'GOSSIP_INVALID_CONFIG'
  | 'GOSSIP_META_TOO_LARGE'
  | 'GOSSIP_JOIN_FAILED'
  | 'GOSSIP_LEAVE_TIMEOUT'
  | 'GOSSIP_SHUTDOWN'
  | 'GOSSIP_MALFORMED'
  | 'GOSSIP_DECRYPT_FAILED'
  | 'GOSSIP_INVALID_KEY'
  | 'GOSSIP_KEY_NOT_FOUND'
  | 'GOSSIP_REMOTE_ERROR'
  | 'GOSSIP_TIMEOUT'
  | 'GOSSIP_UNREACHABLE'
  | 'GOSSIP_PROTOCOL_INCOMPATIBLE'
  | 'GOSSIP_MERGE_REJECTED'
  | 'GOSSIP_TOO_LARGE'

/** Base class: every error of this package has a stable `code`. */
export class GossipError extends Error {
  override readonly name: string = 'GossipError'
  constructor(readonly code: GossipErrorCode, message: string) {
    super(message)
  }
}

/** A configuration option is out of range; thrown at construction. */
export class InvalidConfigError extends GossipError {
  override readonly name = 'InvalidConfigError'
  constructor(message: string) { super('GOSSIP_INVALID_CONFIG', message) }
}

/** Node metadata larger than {@link META_MAX_SIZE}. */
export class MetaTooLargeError extends GossipError {
  override readonly name = 'MetaTooLargeError'
  constructor(size: number, limit: number) {
    super('GOSSIP_META_TOO_LARGE', `Node meta data provided is longer than the limit (${size} > ${limit})`)
  }
}

/** No seed of a join answered; `errors` holds each seed's failure. */
export class JoinError extends GossipError {
  override readonly name = 'JoinError'
  constructor(readonly errors: Array<{ address: string; error: Error }>) {
    super('GOSSIP_JOIN_FAILED', `Failed to join any nodes: ${errors.map((e) => `${e.address}: ${e.error.message}`).join('; ')}`)
  }
}

/** A graceful leave did not finish broadcasting within its timeout (memberlist's text). */
export class LeaveTimeoutError extends GossipError {
  override readonly name = 'LeaveTimeoutError'
  constructor() { super('GOSSIP_LEAVE_TIMEOUT', 'timeout waiting for leave broadcast') }
}

/** The member list was shut down. */
export class ShutdownError extends GossipError {
  override readonly name = 'ShutdownError'
  constructor() { super('GOSSIP_SHUTDOWN', 'memberlist has been shut down') }
}

/** A packet or stream from the network could not be decoded. */
export class MalformedMessageError extends GossipError {
  override readonly name = 'MalformedMessageError'
  constructor(message: string) { super('GOSSIP_MALFORMED', message) }
}

/** A length on the wire exceeds what we accept. */
export class TooLargeError extends GossipError {
  override readonly name = 'TooLargeError'
  constructor(message: string) { super('GOSSIP_TOO_LARGE', message) }
}

/** No installed key opened an encrypted message, or encryption was required and missing. */
export class DecryptError extends GossipError {
  override readonly name = 'DecryptError'
  constructor(message: string) { super('GOSSIP_DECRYPT_FAILED', message) }
}

/** A key of a length other than 16, 24 or 32 bytes. */
export class InvalidKeyError extends GossipError {
  override readonly name = 'InvalidKeyError'
  constructor(length: number) { super('GOSSIP_INVALID_KEY', `key size must be 16, 24 or 32 bytes, got ${length}`) }
}

/** `useKey`/`removeKey` of a key that is not installed, or removing the primary key. */
export class KeyNotFoundError extends GossipError {
  override readonly name = 'KeyNotFoundError'
  constructor(message: string) { super('GOSSIP_KEY_NOT_FOUND', message) }
}

/** The remote peer answered a stream with an error response. */
export class RemoteError extends GossipError {
  override readonly name = 'RemoteError'
  constructor(readonly remoteMessage: string) { super('GOSSIP_REMOTE_ERROR', `remote error: ${remoteMessage}`) }
}

/** A stream exchange did not complete before its deadline. */
export class TimeoutError extends GossipError {
  override readonly name = 'TimeoutError'
  constructor(message: string) { super('GOSSIP_TIMEOUT', message) }
}

/** A stream could not be opened. */
export class UnreachableError extends GossipError {
  override readonly name = 'UnreachableError'
  constructor(message: string) { super('GOSSIP_UNREACHABLE', message) }
}

/** A push-pull would put a node outside the cluster's protocol range. */
export class ProtocolIncompatibleError extends GossipError {
  override readonly name = 'ProtocolIncompatibleError'
  constructor(message: string) { super('GOSSIP_PROTOCOL_INCOMPATIBLE', message) }
}

/** The merge delegate refused a push-pull on join. */
export class MergeRejectedError extends GossipError {
  override readonly name = 'MergeRejectedError'
  constructor(message: string) { super('GOSSIP_MERGE_REJECTED', message) }
}
