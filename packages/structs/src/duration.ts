import type { Duration } from './types/common.js'

/**
 * Formats nanoseconds the way Go's `time.Duration.String` does (`0s`, `1.5s`, `1m0s`, `24h0m0s`,
 * `300ms`), so validation messages read as Nomad's.
 */
export function formatGoDuration(ns: Duration): string {
  if (ns === 0) return '0s'
  const neg = ns < 0
  let u = Math.abs(Math.trunc(ns))
  const sign = neg ? '-' : ''
  if (u < 1_000_000_000) {
    // Below one second Go picks the largest unit that keeps the integer part non-zero.
    if (u < 1_000) return `${sign}${u}ns`
    if (u < 1_000_000) return `${sign}${trimFraction(u, 1_000)}µs`
    return `${sign}${trimFraction(u, 1_000_000)}ms`
  }
  const hours = Math.floor(u / 3_600_000_000_000)
  u -= hours * 3_600_000_000_000
  const minutes = Math.floor(u / 60_000_000_000)
  u -= minutes * 60_000_000_000
  const seconds = trimFraction(u, 1_000_000_000)
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`
  return `${sign}${seconds}s`
}

function trimFraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit)
  const frac = value - whole * unit
  if (frac === 0) return String(whole)
  const digits = String(unit).length - 1
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`
}
