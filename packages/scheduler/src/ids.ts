import type { Random } from '@nomadic/runtime'

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0')

/** A random UUID (version 4 layout) drawn from `random`, so seeded runs name things the same way. */
export function randomUUID(random: Random): string {
  const r = (): number => random.int(0x10000)
  return `${hex(r(), 4)}${hex(r(), 4)}-${hex(r(), 4)}-4${hex(r() & 0xfff, 3)}-${hex(0x8000 | (r() & 0x3fff), 4)}-${hex(r(), 4)}${hex(r(), 4)}${hex(r(), 4)}`
}
