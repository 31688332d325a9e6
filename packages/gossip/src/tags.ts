import { decode, encode } from '@nomadic/msgpack'

/** Encodes tags as serf does in node metadata: 0xFF then a msgpack map of strings. */
export function encodeTags(tags: Record<string, string>): Buffer {
  return Buffer.concat([Buffer.from([0xff]), encode(tags)])
}

/** Decodes serf-style metadata; other bytes are the legacy `role` tag. Never throws. */
export function decodeTags(meta: Buffer): Record<string, string> {
  if (meta.length === 0) return {}
  if (meta[0] !== 0xff) return { role: meta.toString('utf8') }
  try {
    const v = decode(meta.subarray(1), { maxDepth: 2 })
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return {}
    const out: Record<string, string> = {}
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = Buffer.isBuffer(val) ? val.toString('utf8') : String(val)
    return out
  } catch {
    return {}
  }
}
