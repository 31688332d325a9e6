import { MalformedMessageError, TooLargeError } from '../errors.js'

// LZW as Go's compress/lzw with LSB bit order and 8-bit literals (what memberlist uses):
// codes grow from 9 to 12 bits, 256 clears the table, 257 ends the data, and the writer emits a
// clear code first and again whenever the table fills.
const CLEAR = 256
const EOF = 257
const MAX_WIDTH = 12
const MAX_CODE = (1 << MAX_WIDTH) - 1
const INVALID = 0xffff

// The compressor's dictionary: open addressing over (prefix code << 8 | byte) keys, each slot
// holding `key << 12 | code` (0 = empty; no real entry is 0 because codes start at 258). A
// quarter full at most, so probes stay short. Shared: compression runs synchronously.
const TABLE_SIZE = 1 << 14
const TABLE_MASK = TABLE_SIZE - 1
const table = new Uint32Array(TABLE_SIZE)

/** Compresses `input`; the output is byte-identical to Go's `lzw.NewWriter(w, lzw.LSB, 8)`. */
export function lzwCompress(input: Uint8Array): Buffer {
  const n = input.length
  // Every code takes at most 12 bits and consumes at least one input byte; clear codes come at
  // most once per 3,838 codes.
  const out = Buffer.allocUnsafe(Math.ceil(((n + 4 + (n >> 8)) * MAX_WIDTH) / 8) + 1)
  let pos = 0
  let bits = 0
  let nBits = 0
  let width = 9
  let hi = EOF
  let overflow = 512
  const put = (code: number): void => {
    bits |= code << nBits
    nBits += width
    while (nBits >= 8) {
      out[pos++] = bits & 0xff
      bits >>>= 8
      nBits -= 8
    }
  }
  table.fill(0)
  put(CLEAR)
  let code = n > 0 ? input[0]! : -1
  // i === n is the end of the input: the pending code is written like any other.
  for (let i = 1; i <= n && code >= 0; i++) {
    let key = 0
    let h = 0
    if (i < n) {
      key = (code << 8) | input[i]!
      h = ((key >>> 12) ^ key) & TABLE_MASK
      let found = -1
      for (let slot = table[h]!; slot !== 0; slot = table[h]!) {
        if (slot >>> 12 === key) { found = slot & MAX_CODE; break }
        h = (h + 1) & TABLE_MASK
      }
      if (found >= 0) {
        code = found
        continue
      }
    }
    put(code)
    hi++
    if (hi === overflow) {
      width++
      overflow <<= 1
    }
    if (hi === MAX_CODE) {
      // The table is full: emit a clear code and start over at 9 bits.
      put(CLEAR)
      width = 9
      hi = EOF
      overflow = 512
      table.fill(0)
    } else if (i < n) {
      table[h] = ((key << 12) | hi) >>> 0
    }
    code = i < n ? input[i]! : -1
  }
  put(EOF)
  if (nBits > 0) out[pos++] = bits & 0xff
  return out.subarray(0, pos)
}

// The decompressor's code table (prefix code, last byte and string length of each code),
// shared for the same reason.
const prefix = new Uint16Array(1 << MAX_WIDTH)
const suffix = new Uint8Array(1 << MAX_WIDTH)
const lengths = new Uint16Array(1 << MAX_WIDTH).fill(1, 0, CLEAR)

/** Decompresses Go-LZW data, refusing output beyond `maxOutput` bytes. */
export function lzwDecompress(input: Uint8Array, maxOutput: number): Buffer {
  let out = Buffer.allocUnsafe(Math.min(maxOutput, Math.max(256, input.length * 4)))
  let outPos = 0
  let width = 9
  let hi = EOF
  let overflow = 512
  let last = INVALID
  let bits = 0
  let nBits = 0
  let inPos = 0
  for (;;) {
    while (nBits < width) {
      if (inPos >= input.length) throw new MalformedMessageError('lzw data ends before the end code')
      bits |= input[inPos++]! << nBits
      nBits += 8
    }
    const code = bits & ((1 << width) - 1)
    bits >>>= width
    nBits -= width

    if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 512
      last = INVALID
      continue
    }
    if (code === EOF) return out.subarray(0, outPos)
    if (code > hi) throw new MalformedMessageError(`invalid lzw code ${code}`)
    // The KwKwK case: the code being defined now is the last string plus its own first byte.
    const kwk = code === hi && last !== INVALID
    const length = kwk ? lengths[last]! + 1 : lengths[code]!
    if (outPos + length > maxOutput) throw new TooLargeError(`decompressed data exceeds ${maxOutput} bytes`)
    if (outPos + length > out.length) {
      let size = out.length * 2
      while (size < outPos + length) size *= 2
      const next = Buffer.allocUnsafe(Math.min(size, maxOutput))
      out.copy(next, 0, 0, outPos)
      out = next
    }
    // Write the string backwards, following the prefix chain down to its first byte.
    let c = kwk ? last : code
    let p = outPos + (kwk ? length - 2 : length - 1)
    while (c >= CLEAR) {
      out[p--] = suffix[c]!
      c = prefix[c]!
    }
    out[p] = c
    if (kwk) out[outPos + length - 1] = c
    outPos += length
    if (last !== INVALID) {
      suffix[hi] = c
      prefix[hi] = last
      lengths[hi] = lengths[last]! + 1
    }
    last = code
    hi++
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = INVALID
        hi--
      } else {
        width++
        overflow = 1 << width
      }
    }
  }
}
