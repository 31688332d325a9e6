/**
 * The record format of the write-ahead log. A segment file starts with an 8-byte magic, then
 * holds records back to back:
 *
 * ```
 * u32 BE  length of (type + body)
 * u32 BE  CRC-32 (IEEE) of (type + body)
 * u8      type: 1 log entry, 2 delete range, 3 stable-store set
 * body    entry:  u64 index, u64 term, u8 log type, u32 n, n data bytes, u32 m, m extension bytes
 *         delete: u64 min, u64 max (inclusive)
 *         set:    u16 n, n key bytes (UTF-8), u32 m, m value bytes
 * ```
 *
 * Every length is checked against the bytes present before it is used, so a torn or corrupted
 * file is detected instead of misread.
 */
import { crc32 } from 'node:zlib'
import type { Log, LogType } from '../types.js'

export const SEGMENT_MAGIC = Buffer.from('NRWAL\x00\x00\x01', 'latin1')
export const RECORD_HEADER = 8
/** Largest record accepted when reading (a guard against a corrupt length field). */
export const MAX_RECORD = 512 * 1024 * 1024

export const RecordType = { Entry: 1, DeleteRange: 2, Set: 3 } as const
export type RecordType = (typeof RecordType)[keyof typeof RecordType]

export type WalRecord =
  | { type: typeof RecordType.Entry; log: Log }
  | { type: typeof RecordType.DeleteRange; min: number; max: number }
  | { type: typeof RecordType.Set; key: string; value: Buffer }

function writeU64(buf: Buffer, v: number, at: number): void {
  buf.writeUInt32BE(Math.floor(v / 0x100000000), at)
  buf.writeUInt32BE(v >>> 0, at + 4)
}

function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 0x100000000 + buf.readUInt32BE(at + 4)
}

/** Frames a body: length, checksum, type, body. */
function frame(type: RecordType, bodyLength: number, fill: (buf: Buffer, at: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER + 1 + bodyLength)
  buf[RECORD_HEADER] = type
  fill(buf, RECORD_HEADER + 1)
  buf.writeUInt32BE(1 + bodyLength, 0)
  buf.writeUInt32BE(crc32(buf.subarray(RECORD_HEADER)), 4)
  return buf
}

export function encodeEntry(log: Log): Buffer {
  const data = log.Data
  const ext = log.Extensions
  return frame(RecordType.Entry, 25 + data.length + ext.length, (buf, at) => {
    writeU64(buf, log.Index, at)
    writeU64(buf, log.Term, at + 8)
    buf[at + 16] = log.Type
    buf.writeUInt32BE(data.length, at + 17)
    buf.set(data, at + 21)
    buf.writeUInt32BE(ext.length, at + 21 + data.length)
    buf.set(ext, at + 25 + data.length)
  })
}

export function encodeDeleteRange(min: number, max: number): Buffer {
  return frame(RecordType.DeleteRange, 16, (buf, at) => {
    writeU64(buf, min, at)
    writeU64(buf, max, at + 8)
  })
}

export function encodeSet(key: string, value: Buffer): Buffer {
  const k = Buffer.from(key, 'utf8')
  if (k.length > 0xffff) throw new RangeError('stable-store key longer than 65535 bytes')
  return frame(RecordType.Set, 6 + k.length + value.length, (buf, at) => {
    buf.writeUInt16BE(k.length, at)
    buf.set(k, at + 2)
    buf.writeUInt32BE(value.length, at + 2 + k.length)
    buf.set(value, at + 6 + k.length)
  })
}

/** What reading a record at some offset found. */
export type ReadResult =
  | { kind: 'record'; record: WalRecord; size: number }
  /** The record runs past the end of the bytes: a torn write if this is the file's tail. */
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string }

/** Reads the record at `at` in `buf` (a segment's bytes). */
export function readRecord(buf: Buffer, at: number): ReadResult {
  if (buf.length - at < RECORD_HEADER) return { kind: 'incomplete' }
  const length = buf.readUInt32BE(at)
  if (length === 0) return { kind: 'corrupt', reason: 'zero record length' }
  if (length > MAX_RECORD) return { kind: 'corrupt', reason: `record length ${length} exceeds ${MAX_RECORD}` }
  if (buf.length - at - RECORD_HEADER < length) return { kind: 'incomplete' }
  const body = buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length)
  const sum = buf.readUInt32BE(at + 4)
  if (crc32(body) !== sum) return { kind: 'corrupt', reason: 'checksum mismatch' }
  const record = parseBody(body)
  if (typeof record === 'string') return { kind: 'corrupt', reason: record }
  return { kind: 'record', record, size: RECORD_HEADER + length }
}

/** Parses a checksummed body; a string result says what is wrong with it. */
function parseBody(body: Buffer): WalRecord | string {
  const type = body[0]
  const n = body.length
  switch (type) {
    case RecordType.Entry: {
      if (n < 26) return 'entry record too short'
      const dataLen = body.readUInt32BE(18)
      if (22 + dataLen + 4 > n) return 'entry data length beyond the record'
      const extLen = body.readUInt32BE(22 + dataLen)
      if (26 + dataLen + extLen !== n) return 'entry extension length does not match the record'
      return {
        type,
        log: {
          Index: readU64(body, 1),
          Term: readU64(body, 9),
          Type: body[17] as LogType,
          Data: Buffer.from(body.subarray(22, 22 + dataLen)),
          Extensions: Buffer.from(body.subarray(26 + dataLen, 26 + dataLen + extLen)),
        },
      }
    }
    case RecordType.DeleteRange:
      if (n !== 17) return 'delete-range record of wrong length'
      return { type, min: readU64(body, 1), max: readU64(body, 9) }
    case RecordType.Set: {
      if (n < 7) return 'set record too short'
      const keyLen = body.readUInt16BE(1)
      if (3 + keyLen + 4 > n) return 'set key length beyond the record'
      const valueLen = body.readUInt32BE(3 + keyLen)
      if (7 + keyLen + valueLen !== n) return 'set value length does not match the record'
      return {
        type,
        key: body.toString('utf8', 3, 3 + keyLen),
        value: Buffer.from(body.subarray(7 + keyLen)),
      }
    }
    default:
      return `unknown record type ${String(type)}`
  }
}
