import { describe, expect, it } from 'vitest'
import { goRegExp, queryFiltersMatch } from '../../src/serf/filter.js'
import { encodeNodeFilter, encodeTagFilter } from '../../src/serf/messages.js'

const tags = { role: 'Server', dc: 'dc1' }

describe('query filters (serf shouldProcessQuery)', () => {
  it('no filters: every node', () => {
    expect(queryFiltersMatch([], 'n1', tags)).toBe(true)
  })

  it('node filter: only the listed names', () => {
    expect(queryFiltersMatch([encodeNodeFilter(['n0', 'n1'])], 'n1', tags)).toBe(true)
    expect(queryFiltersMatch([encodeNodeFilter(['n0'])], 'n1', tags)).toBe(false)
    expect(queryFiltersMatch([encodeNodeFilter([])], 'n1', tags)).toBe(false)
  })

  it('tag filter: a regular expression searched in the tag value; a missing tag is empty', () => {
    expect(queryFiltersMatch([encodeTagFilter('dc', 'dc[0-9]')], 'n1', tags)).toBe(true)
    expect(queryFiltersMatch([encodeTagFilter('dc', '^c1')], 'n1', tags)).toBe(false)
    expect(queryFiltersMatch([encodeTagFilter('zone', '^$')], 'n1', tags)).toBe(true)
    expect(queryFiltersMatch([encodeTagFilter('zone', '.')], 'n1', tags)).toBe(false)
  })

  it('all filters must pass', () => {
    expect(queryFiltersMatch([encodeNodeFilter(['n1']), encodeTagFilter('dc', 'dc1')], 'n1', tags)).toBe(true)
    expect(queryFiltersMatch([encodeNodeFilter(['n1']), encodeTagFilter('dc', 'dc2')], 'n1', tags)).toBe(false)
  })

  it("Go's leading flag group works; what does not compile, or an unknown filter, means no", () => {
    expect(queryFiltersMatch([encodeTagFilter('role', '(?i)^server$')], 'n1', tags)).toBe(true)
    expect(queryFiltersMatch([encodeTagFilter('role', '^server$')], 'n1', tags)).toBe(false)
    expect(goRegExp('(?U)a+')).toBeUndefined()
    expect(queryFiltersMatch([encodeTagFilter('role', '(')], 'n1', tags)).toBe(false)
    expect(queryFiltersMatch([Buffer.from([7, 0x90])], 'n1', tags)).toBe(false)
    expect(queryFiltersMatch([Buffer.alloc(0)], 'n1', tags)).toBe(false)
    expect(queryFiltersMatch([Buffer.from([1, 0x93, 1, 2, 3])], 'n1', tags)).toBe(false)
  })
})
