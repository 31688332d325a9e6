import { MalformedMessageError, TooLargeError } from '../errors.js'

// LZW as Go's compress/lzw with LSB bit order and 8-bit literals (what memberlist uses):
// codes grow from 9 to 12 bits, 256 clears the table, 257 ends the data, and the writer emits a
// clear code first and again whenever the table fills.
const CLEAR = 256
const EOF = 257
const MAX_WIDTH = 12
const MAX_CODE = (1 << MAX_WIDTH) - 1
const INVALID = 0xffff

class BitWriter {
  private out: Buffer = Buffer.allocUnsafe(256)
  private pos = 0
  private bits = 0
  private nBits = 0

  write(code: number, width: number): void {
    this.bits |= code << this.nBits
    this.nBits += width
    while (this.nBits >= 8) {
      this.byte(this.bits & 0xff)
      this.bits >>>= 8
      this.nBits -= 8
    }
  }

  finish(): Buffer {
    if (this.nBits > 0) this.byte(this.bits & 0xff)
    return this.out.subarray(0, this.pos)
  }

  private byte(b: number): void {
    if (this.pos === this.out.length) {
      const next = Buffer.allocUnsafe(this.out.length * 2)
      this.out.copy(next)
      this.out = next
    }
    this.out[this.pos++] = b
  }
}

/** Compresses `input`; the output is byte-identical to Go's `lzw.NewWriter(w, lzw.LSB, 8)`. */
export function lzwCompress(input: Uint8Array): Buffer {
  const w = new BitWriter()
  let width = 9
  let hi = EOF
  let overflow = 512
  // Dictionary: key (prefix code << 8 | byte) → code.
  let table = new Map<number, number>()
  const incHi = (): boolean => {
    hi++
    if (hi === overflow) {
      width++
      overflow <<= 1
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR, width)
      width = 9
      hi = EOF
      overflow = 512
      table = new Map()
      return false
    }
    return true
  }
  w.write(CLEAR, width)
  if (input.length > 0) {
    let code = input[0]!
    for (let i = 1; i < input.length; i++) {
      const literal = input[i]!
      const key = (code << 8) | literal
      const hit = table.get(key)
      if (hit !== undefined) {
        code = hit
        continue
      }
      w.write(code, width)
      code = literal
      if (incHi()) table.set(key, hi)
    }
    w.write(code, width)
    incHi()
  }
  w.write(EOF, width)
  return w.finish()
}

/** Decompresses Go-LZW data, refusing output beyond `maxOutput` bytes. */
export function lzwDecompress(input: Uint8Array, maxOutput: number): Buffer {
  const prefix = new Uint16Array(1 << MAX_WIDTH)
  const suffix = new Uint8Array(1 << MAX_WIDTH)
  const stack = new Uint8Array(1 << MAX_WIDTH)
  let out = Buffer.allocUnsafe(Math.min(maxOutput, Math.max(64, input.length * 4)))
  let outPos = 0
  const emit = (bytes: Uint8Array, from: number, to: number): void => {
    const n = to - from
    if (outPos + n > maxOutput) throw new TooLargeError(`decompressed data exceeds ${maxOutput} bytes`)
    if (outPos + n > out.length) {
      let size = out.length * 2
      while (size < outPos + n) size *= 2
      const next = Buffer.allocUnsafe(Math.min(size, maxOutput))
      out.copy(next, 0, 0, outPos)
      out = next
    }
    out.set(bytes.subarray(from, to), outPos)
    outPos += n
  }

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

    if (code < CLEAR) {
      stack[0] = code
      emit(stack, 0, 1)
      if (last !== INVALID) {
        suffix[hi] = code
        prefix[hi] = last
      }
    } else if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 512
      last = INVALID
      continue
    } else if (code === EOF) {
      return out.subarray(0, outPos)
    } else if (code <= hi) {
      // Walk the chain backwards into the end of `stack`.
      let c = code
      let i = stack.length - 1
      if (code === hi && last !== INVALID) {
        // The KwKwK case: the code being defined now.
        c = last
        while (c >= CLEAR) c = prefix[c]!
        stack[i--] = c
        c = last
      }
      while (c >= CLEAR) {
        if (i < 0) throw new MalformedMessageError('lzw chain too long')
        stack[i--] = suffix[c]!
        c = prefix[c]!
      }
      if (i < 0) throw new MalformedMessageError('lzw chain too long')
      stack[i] = c
      emit(stack, i, stack.length)
      if (last !== INVALID) {
        suffix[hi] = c
        prefix[hi] = last
      }
    } else {
      throw new MalformedMessageError(`invalid lzw code ${code}`)
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
