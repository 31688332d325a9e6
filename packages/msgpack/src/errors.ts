/** Error codes of the msgpack package. */
export type MsgpackErrorCode =
  | 'MSGPACK_INCOMPLETE'
  | 'MSGPACK_MALFORMED'
  | 'MSGPACK_TOO_LARGE'
  | 'MSGPACK_TOO_DEEP'
  | 'MSGPACK_TRAILING_BYTES'
  | 'MSGPACK_UNENCODABLE'

/** Any failure to encode or decode. `offset` is where in the input decoding stopped. */
export class MsgpackError extends Error {
  override readonly name = 'MsgpackError'
  constructor(
    readonly code: MsgpackErrorCode,
    message: string,
    readonly offset = -1,
  ) {
    super(message)
  }
}

/**
 * The input ends inside a value. On a stream this means "wait for more bytes"; on a whole
 * message it is malformed input.
 */
export class IncompleteError extends MsgpackError {
  constructor(offset: number, readonly needed: number) {
    super('MSGPACK_INCOMPLETE', `msgpack input ends early at offset ${offset}: ${needed} more bytes needed`, offset)
  }
}
