/**
 * CRC-64 with the ECMA-182 polynomial as Go's `hash/crc64` computes it (`crc64.MakeTable(ECMA)`:
 * reflected polynomial 0xC96C5795D7870F42, initial value and final xor all ones), which
 * hashicorp's FileSnapshotStore stores in `meta.json`. Kept in two 32-bit halves so it runs on
 * plain numbers.
 */
const POLY_HI = 0xc96c5795
const POLY_LO = 0xd7870f42

const TABLE_HI = new Uint32Array(256)
const TABLE_LO = new Uint32Array(256)
for (let i = 0; i < 256; i++) {
  let hi = 0
  let lo = i
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0
    hi = hi >>> 1
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0
      lo = (lo ^ POLY_LO) >>> 0
    }
  }
  TABLE_HI[i] = hi
  TABLE_LO[i] = lo
}

/** An incremental CRC-64/ECMA (Go flavour). */
export class Crc64 {
  // The running value, already inverted (Go's crc ^= ^0 at start and end).
  private hi = 0xffffffff
  private lo = 0xffffffff

  update(data: Uint8Array): this {
    let hi = this.hi
    let lo = this.lo
    for (let i = 0; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff
      lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx]!) >>> 0
      hi = ((hi >>> 8) ^ TABLE_HI[idx]!) >>> 0
    }
    this.hi = hi
    this.lo = lo
    return this
  }

  /** The 8 bytes Go's `Sum(nil)` returns: big-endian. */
  digest(): Buffer {
    const out = Buffer.alloc(8)
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0)
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4)
    return out
  }
}
