import { CodecError } from '../errors.js'
import { IgnoreUnknownTypeFlag, MessageTypeName } from '../types/message-type.js'
import { type DecodeLimits, decodeValue, encodeValue } from './wire.js'

/** A decoded Raft log entry of Nomad's FSM. */
export interface FsmMessage<Body = Record<string, unknown>> {
  /** The message type without the ignore-unknown flag (see `MessageType`). */
  type: number
  /** The writer allowed servers that do not know `type` to skip the entry. */
  ignoreUnknown: boolean
  /** The request, e.g. a `JobRegisterRequest`. */
  body: Body
}

/**
 * Nomad's `structs.Encode`: the type byte, then the msgpack body. With `ignoreUnknown` the byte
 * carries the flag 128, so older servers skip a type they do not know.
 *
 * @example
 * const entry = encodeMessage(MessageType.EvalUpdateRequestType, { Evals: [ev], EvalToken: '' })
 */
export function encodeMessage(type: number, body: object, options: { ignoreUnknown?: boolean } = {}): Buffer {
  if (!Number.isInteger(type) || type < 0 || type >= IgnoreUnknownTypeFlag) {
    throw new CodecError(`message type ${type} is not in 0..127`)
  }
  const payload = encodeValue(body)
  const out = Buffer.allocUnsafe(payload.length + 1)
  out[0] = options.ignoreUnknown === true ? type | IgnoreUnknownTypeFlag : type
  payload.copy(out, 1)
  return out
}

/**
 * Reads a Raft log entry written by Nomad (Go or nomadic): the type byte and the bounded msgpack
 * body. Unknown types are returned as they are (the FSM decides, using `ignoreUnknown`).
 * Throws {@link CodecError} on an empty entry, a body that is not a map, or malformed msgpack.
 */
export function decodeMessage<Body = Record<string, unknown>>(entry: Uint8Array, limits: DecodeLimits = {}): FsmMessage<Body> {
  if (entry.length === 0) throw new CodecError('empty FSM message', 0)
  const byte = entry[0]!
  const ignoreUnknown = (byte & IgnoreUnknownTypeFlag) !== 0
  const type = byte & ~IgnoreUnknownTypeFlag
  const body = decodeValue(entry, limits, 1)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CodecError(`FSM message ${MessageTypeName[type] ?? type} has a body that is not a map`, 1)
  }
  return { type, ignoreUnknown, body: body as Body }
}
