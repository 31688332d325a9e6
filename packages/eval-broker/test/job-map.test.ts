import { expect, it } from 'vitest'
import { JobMap } from '../src/job-map.js'

it('keeps (namespace, job) pairs apart across namespace switches, deletes and clears', () => {
  const m = new JobMap<number>()
  m.set('a', 'web', 1)
  m.set('b', 'web', 2)
  expect(m.get('a', 'web')).toBe(1)
  expect(m.get('b', 'web')).toBe(2)
  expect(m.size).toBe(2)
  expect(m.delete('b', 'web')).toBe(true)
  expect(m.get('b', 'web')).toBeUndefined()
  m.set('b', 'api', 3) // the emptied namespace comes back
  expect(m.get('b', 'api')).toBe(3)
  expect(m.get('a', 'web')).toBe(1)
  expect(m.delete('c', 'web')).toBe(false)
  m.set('a', 'web', 4)
  expect(m.size).toBe(2)
  expect([...m.values()].sort()).toEqual([3, 4])
  m.clear()
  expect(m.get('a', 'web')).toBeUndefined()
  expect(m.size).toBe(0)
})
