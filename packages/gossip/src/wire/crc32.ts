import * as zlib from 'node:zlib'

/** CRC-32 (IEEE polynomial), as Go's `crc32.ChecksumIEEE`. */
const table = (() => {
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[i] = c >>> 0
  }
  return t
})()

/** The same sum in JavaScript, for Node versions before 20.15 (which added `zlib.crc32`). */
export function crc32Table(buf: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < buf.length; i++) c = table[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// Every UDP packet to a protocol-5 peer is summed on both ends: the native sum is ~10× faster.
const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

export const crc32: (buf: Uint8Array) => number = typeof native === 'function' ? native : crc32Table
