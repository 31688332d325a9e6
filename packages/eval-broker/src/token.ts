import type { Random } from '@nomadic/runtime'

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function word(random: Random): string {
  const n = random.int(0x1_0000_0000)
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 0xff]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!
}

/**
 * A delivery token in UUID version 4 form (as Nomad's `GenerateUUID`), drawn from the injected
 * random source so a simulation replays exactly.
 */
export function randomToken(random: Random): string {
  const a = word(random)
  const b = word(random)
  const c = word(random)
  const d = word(random)
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${'89ab'[random.int(4)]}${c.slice(1, 4)}-${c.slice(4)}${d}`
}
