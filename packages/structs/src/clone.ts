import { GoTime } from './codec/go-time.js'

/**
 * A deep copy of a data-model value (Nomad's `Copy()` methods): plain objects, arrays, `Date`s
 * (a {@link GoTime} keeps its nanoseconds and offset), byte arrays and `Map`s are copied;
 * primitives are shared. Faster than `structuredClone` on these shapes and keeps GoTime.
 */
export function clone<T>(value: T): T {
  return copyAny(value) as T
}

function copyAny(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = copyAny(value[i])
    return out
  }
  if (value instanceof GoTime) return new GoTime(value.getTime(), value.nanosecond, value.offsetMinutes)
  if (value instanceof Date) return new Date(value.getTime())
  if (value instanceof Uint8Array) return Uint8Array.prototype.slice.call(value)
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, copyAny(v)]))
  const src = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k in src) out[k] = copyAny(src[k])
  return out
}
