import { PortSpecError } from '../errors.js'

/**
 * Nomad's `ParsePortRanges`: `"22,80,8000-8002"` → `[22, 80, 8000, 8001, 8002]` (sorted, unique).
 * Throws {@link PortSpecError} on a malformed part, a reversed range or a port above 65535.
 */
export function parsePortRanges(spec: string): number[] {
  const ports = new Set<number>()
  for (const raw of spec.split(',')) {
    const part = raw.trim()
    if (part === '') continue
    const range = part.split('-')
    if (range.length === 1) {
      ports.add(parsePort(part))
    } else if (range.length === 2) {
      const start = parsePort(range[0]!.trim())
      const end = parsePort(range[1]!.trim())
      if (end < start) throw new PortSpecError(`invalid range: starting value (${end}) less than ending (${start}) value`)
      if (end - start > 65535) throw new PortSpecError(`port range too large: ${part}`)
      for (let p = start; p <= end; p++) ports.add(p)
    } else {
      throw new PortSpecError(`can only parse single port numbers or port ranges (ex. 80,100-120,150)`)
    }
  }
  return [...ports].sort((a, b) => a - b)
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text)) throw new PortSpecError(`invalid port ${JSON.stringify(text)}`)
  const port = Number(text)
  if (port > 65535) throw new PortSpecError(`port must be < 65536 but found ${port}`)
  return port
}
