import { HEADER_SIZE, PROTOCOL_VERSION } from './constants.js'

/** A decoded 12-byte frame header. */
export interface FrameHeader {
  version: number
  type: number
  flags: number
  streamId: number
  length: number
}

/** Writes a header into `out` at `offset` (big-endian, version 0). */
export function writeHeader(out: Buffer, offset: number, type: number, flags: number, streamId: number, length: number): void {
  out[offset] = PROTOCOL_VERSION
  out[offset + 1] = type
  out.writeUInt16BE(flags, offset + 2)
  out.writeUInt32BE(streamId >>> 0, offset + 4)
  out.writeUInt32BE(length >>> 0, offset + 8)
}

/** A fresh header buffer. */
export function encodeHeader(type: number, flags: number, streamId: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE)
  writeHeader(out, 0, type, flags, streamId, length)
  return out
}

/** Reads the header at `offset`; the caller has checked that 12 bytes are present. */
export function readHeader(buf: Buffer, offset = 0): FrameHeader {
  return {
    version: buf[offset]!,
    type: buf[offset + 1]!,
    flags: buf.readUInt16BE(offset + 2),
    streamId: buf.readUInt32BE(offset + 4),
    length: buf.readUInt32BE(offset + 8),
  }
}
