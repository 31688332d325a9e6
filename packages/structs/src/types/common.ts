/**
 * Scalar conventions shared by every type of the data model.
 *
 * Property names are Nomad's Go field names so that a value decoded from Nomad's msgpack maps
 * directly onto these interfaces. Go pointers, slices and maps may be `nil`, which msgpack carries
 * as `null`; such fields are optional and nullable here.
 */

/** A Go `time.Duration`: a count of nanoseconds (int64 on the wire). */
export type Duration = number

/** A Raft index (Go `uint64`). Values above 2^53 − 1 would decode as `bigint`; Nomad never reaches them. */
export type Index = number

/** Go `map[string]string`. */
export type StringMap = Record<string, string>

/** One nanosecond-based duration unit table, for readable constants. */
export const Nanosecond = 1
export const Microsecond = 1_000
export const Millisecond = 1_000_000
export const Second = 1_000_000_000
export const Minute = 60 * Second
export const Hour = 60 * Minute
