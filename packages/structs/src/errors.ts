/** Stable codes of the errors this package throws. */
export type StructsErrorCode =
  | 'STRUCTS_INVALID_JOB'
  | 'STRUCTS_INVALID_PORT_SPEC'
  | 'STRUCTS_NETWORK_ASSIGN'
  | 'STRUCTS_CODEC'

/** Base class: every error of this package has a stable `code`. */
export class StructsError extends Error {
  override name = 'StructsError'
  constructor(
    readonly code: StructsErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A list of problems reported together, formatted as Go's hashicorp/go-multierror does
 * (`2 errors occurred:\n\t* first\n\t* second\n\n`), because Nomad users and tests match that text.
 */
export function formatMultiError(problems: readonly string[]): string {
  if (problems.length === 1) return `1 error occurred:\n\t* ${problems[0]}\n\n`
  return `${problems.length} errors occurred:\n\t${problems.map((p) => `* ${p}`).join('\n\t')}\n\n`
}

/** A job failed validation; `problems` lists every problem found, in Nomad's order and words. */
export class JobValidationError extends StructsError {
  override name = 'JobValidationError'
  constructor(readonly problems: readonly string[]) {
    super('STRUCTS_INVALID_JOB', formatMultiError(problems))
  }
}

/** A reserved-ports spec such as `80,1000-2000` is malformed. */
export class PortSpecError extends StructsError {
  override name = 'PortSpecError'
  constructor(message: string) {
    super('STRUCTS_INVALID_PORT_SPEC', message)
  }
}

/**
 * A network ask could not be satisfied on a node. `reason` is Nomad's text: `bandwidth exceeded`,
 * `reserved port collision`, `dynamic port selection failed`, `invalid port N (out of range)`,
 * `no networks available`.
 */
export class NetworkAssignError extends StructsError {
  override name = 'NetworkAssignError'
  constructor(readonly reason: string) {
    super('STRUCTS_NETWORK_ASSIGN', reason)
  }
}

/** An FSM message could not be encoded or decoded. `offset` is where decoding stopped, if known. */
export class CodecError extends StructsError {
  override name = 'CodecError'
  constructor(
    message: string,
    readonly offset = -1,
  ) {
    super('STRUCTS_CODEC', message)
  }
}
