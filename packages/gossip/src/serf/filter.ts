import { decodeFirst } from '@nomadic/msgpack'
import { FILTER_NODE, FILTER_TAG } from './messages.js'

const decodeOptions = { maxDepth: 3, maxItems: 4096 }

/**
 * Go's regexp syntax as far as JavaScript can follow it: a leading flag group `(?i)`, `(?m)`,
 * `(?s)` (or a mix) becomes a RegExp flag. Returns undefined for what does not compile (serf
 * then skips the query, as Go does on a bad expression).
 */
export function goRegExp(expr: string): RegExp | undefined {
  let source = expr
  let flags = ''
  const lead = /^\(\?([imsU]+)\)/.exec(source)
  if (lead !== null) {
    if (lead[1]!.includes('U')) return undefined // ungreedy-by-default has no JS form
    flags = [...new Set(lead[1]!)].join('')
    source = source.slice(lead[0].length)
  }
  try {
    return new RegExp(source, flags)
  } catch {
    return undefined
  }
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  return undefined
}

/**
 * Whether a query with these encoded filters is for this node (serf's shouldProcessQuery):
 * every filter must pass. A node filter lists names; a tag filter holds a regular expression
 * searched in one tag's value (an absent tag is the empty string). An unknown or undecodable
 * filter means no.
 */
export function queryFiltersMatch(filters: readonly Buffer[], name: string, tags: Readonly<Record<string, string>>): boolean {
  for (const f of filters) {
    if (f.length === 0) return false
    try {
      if (f[0] === FILTER_NODE) {
        const names = decodeFirst(f, 1, decodeOptions).value
        if (!Array.isArray(names) || !names.some((n) => text(n) === name)) return false
      } else if (f[0] === FILTER_TAG) {
        const m = decodeFirst(f, 1, decodeOptions).value as Record<string, unknown> | null
        if (m === null || typeof m !== 'object' || Array.isArray(m) || Buffer.isBuffer(m)) return false
        const re = goRegExp(text(m.Expr) ?? '')
        if (re === undefined || !re.test(tags[text(m.Tag) ?? ''] ?? '')) return false
      } else {
        return false
      }
    } catch {
      return false
    }
  }
  return true
}
