/** Base class of the state store's errors: every one has a stable `code`. */
export class StateError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }
}

/** An object the write refers to does not exist; messages are Nomad's (`node not found`). */
export class NotFoundError extends StateError {
  constructor(message: string) {
    super('ERR_STATE_NOT_FOUND', message)
  }
}

/** A write carries a Raft index lower than one the store already applied. */
export class IndexBackwardsError extends StateError {
  constructor(
    readonly index: number,
    readonly latest: number,
  ) {
    super('ERR_STATE_INDEX_BACKWARDS', `index ${index} is lower than the store's latest index ${latest}`)
  }
}

/** The write is malformed or breaks one of Nomad's rules; the message says which. */
export class InvalidInputError extends StateError {
  constructor(message: string) {
    super('ERR_STATE_INVALID', message)
  }
}

/** A snapshot record could not be restored; no store was built. */
export class RestoreError extends StateError {
  constructor(
    message: string,
    readonly recordNumber: number,
  ) {
    super('ERR_STATE_RESTORE', `restore record ${recordNumber}: ${message}`)
  }
}
