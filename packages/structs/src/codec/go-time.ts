import { CodecError } from '../errors.js'

/** Milliseconds since 1970 of Go's zero time, 0001-01-01T00:00:00Z. */
export const GoZeroTimeMs = -62135596800000

/** Seconds from Go's internal epoch (year 1) to the Unix epoch. */
const UNIX_TO_INTERNAL = 62135596800n

/**
 * A `Date` that keeps what Go's `time.Time` carries beyond milliseconds: the nanoseconds within
 * the second and the zone offset. Decoding Go's binary form yields one, so re-encoding gives the
 * same bytes; anywhere else it behaves as the Date it is.
 */
export class GoTime extends Date {
  constructor(
    ms: number,
    /** Nanoseconds within the second, 0..999,999,999. */
    readonly nanosecond: number,
    /** Zone offset in minutes east of UTC, or −1 for UTC itself (Go's encoding of time.UTC). */
    readonly offsetMinutes = -1,
  ) {
    super(ms)
  }
}

/** The Go zero `time.Time`, Nomad's "not set". */
export function zeroTime(): Date {
  return new Date(GoZeroTimeMs)
}

/** Whether `t` is Go's zero time (or absent). */
export function isZeroTime(t: Date | null | undefined): boolean {
  return t == null || t.getTime() === GoZeroTimeMs
}

/**
 * Go's `time.Time.MarshalBinary` (version 1, 15 bytes): version byte 1, int64 seconds since
 * year 1, int32 nanoseconds, int16 zone offset in minutes (−1 = UTC). A plain Date is written in
 * UTC with its milliseconds; a {@link GoTime} keeps its nanoseconds and offset.
 */
export function marshalGoTime(t: Date): Buffer {
  const ms = t.getTime()
  if (!Number.isFinite(ms)) throw new CodecError('cannot encode an invalid Date')
  const secs = Math.floor(ms / 1000)
  const nanos = t instanceof GoTime ? t.nanosecond : (ms - secs * 1000) * 1_000_000
  const offset = t instanceof GoTime ? t.offsetMinutes : -1
  const out = Buffer.alloc(15)
  out[0] = 1
  out.writeBigInt64BE(BigInt(secs) + UNIX_TO_INTERNAL, 1)
  out.writeInt32BE(nanos, 9)
  out.writeInt16BE(offset, 13)
  return out
}

/** Go's `time.Time.UnmarshalBinary` for versions 1 (15 bytes) and 2 (16 bytes, offset seconds). */
export function unmarshalGoTime(data: Uint8Array): GoTime {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const version = buf[0]
  if (!((version === 1 && buf.length === 15) || (version === 2 && buf.length === 16))) {
    throw new CodecError(`not a Go binary time: version ${version}, ${buf.length} bytes`)
  }
  const secs = buf.readBigInt64BE(1) - UNIX_TO_INTERNAL
  const nanos = buf.readInt32BE(9)
  if (nanos < 0 || nanos > 999_999_999) throw new CodecError(`Go binary time has ${nanos} nanoseconds`)
  const offset = buf.readInt16BE(13)
  const ms = Number(secs) * 1000 + Math.floor(nanos / 1_000_000)
  return new GoTime(ms, nanos, offset)
}

/** Unix nanoseconds of a time (exact for a {@link GoTime}, millisecond precision for a plain Date). */
export function timeToUnixNanos(t: Date): number {
  const ms = t.getTime()
  if (t instanceof GoTime) return Math.floor(ms / 1000) * 1_000_000_000 + t.nanosecond
  return ms * 1_000_000
}
