import type { Random } from '@nomadic/runtime'

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
const DASH = 45
/** Where the 32 hex digits go in the 36-character UUID form (dashes at 8, 13, 18, 23). */
const DIGIT_SLOTS = Array.from({ length: 36 }, (_, i) => i).filter((i) => ![8, 13, 18, 23].includes(i))
const codes: number[] = new Array<number>(36).fill(DASH)

/**
 * A delivery token in UUID version 4 form (as Nomad's `GenerateUUID`), drawn from the injected
 * random source so a simulation replays exactly. Built from character codes in one step: a flat
 * string, cheap to compare, on the broker's hottest path.
 */
export function randomToken(random: Random): string {
  let slot = 0
  for (let word = 0; word < 4; word++) {
    let n = random.int(0x1_0000_0000)
    for (let k = 0; k < 8; k++) {
      codes[DIGIT_SLOTS[slot++]!] = HEX_CODES[(n >>> 28) & 15]!
      n <<= 4
    }
  }
  codes[14] = HEX_CODES[4]! // version 4
  codes[19] = HEX_CODES[8 + (codes[19]! & 3)]! // variant 10xx
  return String.fromCharCode.apply(null, codes)
}
