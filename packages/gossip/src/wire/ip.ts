import { isIPv4, isIPv6 } from 'node:net'

/** The 4-byte (IPv4) or 16-byte (IPv6) form of an IP address string, as Go's net.IP. */
export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  if (isIPv6(ip)) {
    let text = ip
    let tail: number[] = []
    const lastColon = text.lastIndexOf(':')
    const maybeV4 = text.slice(lastColon + 1)
    if (isIPv4(maybeV4)) {
      const b = maybeV4.split('.').map(Number)
      tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!]
      text = text.slice(0, lastColon + 1) + '0'
      text = text.endsWith(':0') ? text.slice(0, -2) : text
      if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1)
    }
    const [head, rest] = text.split('::') as [string, string | undefined]
    const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)))
    const h = parse(head)
    const r = rest === undefined ? [] : parse(rest)
    const groups = rest === undefined ? [...h, ...tail] : [...h, ...new Array(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail]
    const out = Buffer.alloc(16)
    groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2))
    return out
  }
  throw new Error(`not an IP address: ${ip}`)
}

/** Four bytes from `at` as dotted decimal (no iterator: this runs for every packet's source). */
function dotted(ip: Uint8Array, at: number): string {
  return `${ip[at]}.${ip[at + 1]}.${ip[at + 2]}.${ip[at + 3]}`
}

/** The text form of a 4- or 16-byte IP; an IPv4-mapped IPv6 address prints as IPv4. */
export function ipToString(ip: Uint8Array): string {
  if (ip.length === 4) return dotted(ip, 0)
  if (ip.length === 16) {
    const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff
    if (mapped) return dotted(ip, 12)
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16))
    return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
  }
  return ''
}
