import { MalformedMessageError } from '../errors.js'
import { MessageType } from '../constants.js'

/** Builds `[7][count u8][len u16 BE]…[part]…`. At most 255 parts, each under 64 KiB. */
export function makeCompound(parts: readonly Buffer[]): Buffer {
  if (parts.length > 255) throw new RangeError('a compound message holds at most 255 parts')
  let size = 2 + parts.length * 2
  for (const p of parts) size += p.length
  const out = Buffer.allocUnsafe(size)
  out[0] = MessageType.compound
  out[1] = parts.length
  let pos = 2
  for (const p of parts) {
    if (p.length > 0xffff) throw new RangeError('a compound part is limited to 65535 bytes')
    out.writeUInt16BE(p.length, pos)
    pos += 2
  }
  for (const p of parts) {
    p.copy(out, pos)
    pos += p.length
  }
  return out
}

/**
 * Splits a compound body (after the type byte). Parts that the buffer cuts short are counted
 * in `truncated`, as memberlist keeps the complete ones.
 */
export function splitCompound(body: Buffer): { parts: Buffer[]; truncated: number } {
  if (body.length < 1) throw new MalformedMessageError('missing compound length byte')
  const count = body[0]!
  let pos = 1
  if (body.length < pos + count * 2) throw new MalformedMessageError('truncated compound length slice')
  const lengths: number[] = []
  for (let i = 0; i < count; i++) {
    lengths.push(body.readUInt16BE(pos))
    pos += 2
  }
  const parts: Buffer[] = []
  let truncated = 0
  for (let i = 0; i < count; i++) {
    const len = lengths[i]!
    if (pos + len > body.length) {
      truncated = count - i
      break
    }
    parts.push(body.subarray(pos, pos + len))
    pos += len
  }
  return { parts, truncated }
}
