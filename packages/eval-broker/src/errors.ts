/** Base class of every error this package throws; `code` is stable across versions. */
export class EvalBrokerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** The broker is not enabled (this server is not the leader). Nomad's text, matched by workers. */
export class BrokerDisabledError extends EvalBrokerError {
  constructor() {
    super('ERR_EVAL_BROKER_DISABLED', 'eval broker disabled')
  }
}

/** `ack`/`nack` of an evaluation that is not outstanding (never delivered, already acked, or nacked). */
export class EvalNotFoundError extends EvalBrokerError {
  constructor(readonly evalId: string) {
    super('ERR_EVAL_NOT_FOUND', 'Evaluation ID not found')
  }
}

/** `ack`/`nack` with a token that is the live delivery token of a different evaluation. */
export class EvalIdMismatchError extends EvalBrokerError {
  constructor(
    readonly evalId: string,
    readonly tokenEvalId: string,
  ) {
    super('ERR_EVAL_ID_MISMATCH', 'Evaluation ID does not match')
  }
}

/** `ack`/`nack` of an outstanding evaluation with a token that is not its delivery token. */
export class EvalTokenMismatchError extends EvalBrokerError {
  constructor(readonly evalId: string) {
    super('ERR_EVAL_TOKEN_MISMATCH', 'Token does not match for Evaluation ID')
  }
}

/**
 * `outstandingReset`, `pauseNackTimeout` or `resumeNackTimeout` of an evaluation that is not
 * outstanding (Nomad's `ErrNotOutstanding`).
 */
export class EvalNotOutstandingError extends EvalBrokerError {
  constructor(readonly evalId: string) {
    super('ERR_EVAL_NOT_OUTSTANDING', 'evaluation is not outstanding')
  }
}

/**
 * `outstandingReset`, `pauseNackTimeout` or `resumeNackTimeout` with a token that is not the
 * evaluation's delivery token (Nomad's `ErrTokenMismatch`).
 */
export class OutstandingTokenMismatchError extends EvalBrokerError {
  constructor(readonly evalId: string) {
    super('ERR_EVAL_OUTSTANDING_TOKEN_MISMATCH', 'evaluation token does not match')
  }
}

/** An option given to a constructor is out of range; the message names the option. */
export class InvalidOptionError extends EvalBrokerError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('ERR_INVALID_OPTION', `${option}: ${message}`)
  }
}
