// Version constraints for the `version` and `semver` constraint operators: comma-separated
// clauses (=, !=, >, >=, <, <=, ~>) that must all hold.

interface Version {
  segments: number[]
  prerelease: string
}

const versionPattern = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/

export function parseVersion(text: string): Version | undefined {
  const m = versionPattern.exec(text.trim())
  if (m === null) return undefined
  return { segments: m[1]!.split('.').map(Number), prerelease: m[2] ?? '' }
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0
  if (a === '') return 1 // a release sorts after its prereleases
  if (b === '') return -1
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x) ? Number(x) : undefined
    const ny = /^\d+$/.test(y) ? Number(y) : undefined
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx < ny ? -1 : 1
    } else if (nx !== undefined) return -1
    else if (ny !== undefined) return 1
    else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

export function compareVersions(a: Version, b: Version): number {
  const n = Math.max(a.segments.length, b.segments.length, 3)
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? 0
    const y = b.segments[i] ?? 0
    if (x !== y) return x < y ? -1 : 1
  }
  return comparePrerelease(a.prerelease, b.prerelease)
}

type Clause = (v: Version) => boolean

const clausePattern = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/

function parseClause(text: string, strictSemver: boolean): Clause | undefined {
  const m = clausePattern.exec(text)
  if (m === null) return undefined
  const op = m[1] ?? '='
  const want = parseVersion(m[2]!)
  if (want === undefined) return undefined
  if (strictSemver && want.segments.length !== 3) return undefined
  // go-version: a prerelease version satisfies a constraint only when the constraint names a
  // prerelease of the same core version.
  const prereleaseOk = (v: Version): boolean =>
    v.prerelease === '' || (want.prerelease !== '' && compareVersions({ segments: v.segments, prerelease: '' }, { segments: want.segments, prerelease: '' }) === 0)
  const cmp = (v: Version): number => compareVersions(v, want)
  switch (op) {
    case '=': return (v) => cmp(v) === 0
    case '!=': return (v) => cmp(v) !== 0
    case '>': return (v) => prereleaseOk(v) && cmp(v) > 0
    case '>=': return (v) => prereleaseOk(v) && cmp(v) >= 0
    case '<': return (v) => prereleaseOk(v) && cmp(v) < 0
    case '<=': return (v) => prereleaseOk(v) && cmp(v) <= 0
    case '~>': {
      // Pessimistic: at least `want`, and the same leading segments but the last one given.
      const fixed = Math.max(1, want.segments.length - 1)
      return (v) => {
        if (!prereleaseOk(v) || cmp(v) < 0) return false
        for (let i = 0; i < fixed - (want.segments.length === 1 ? 1 : 0); i++) {
          if ((v.segments[i] ?? 0) !== want.segments[i]) return false
        }
        return true
      }
    }
    default: return undefined
  }
}

/** A parsed constraint, or undefined when the text is not a valid constraint. */
export function parseVersionConstraint(text: string, strictSemver = false): ((version: string) => boolean) | undefined {
  const clauses: Clause[] = []
  for (const part of text.split(',')) {
    const clause = parseClause(part, strictSemver)
    if (clause === undefined) return undefined
    clauses.push(clause)
  }
  return (version) => {
    const v = parseVersion(version)
    if (v === undefined) return false
    return clauses.every((c) => c(v))
  }
}
