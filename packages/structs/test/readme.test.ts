import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.region).toBe('global')
  expect(result.priority).toBe(50)
  expect(result.problems).toEqual([])
  expect(result.fits).toBe(true)
  expect(result.score).toBeGreaterThan(0)
  expect(result.score).toBeLessThan(1)
  expect(result.port).toBeGreaterThanOrEqual(20000)
  expect(result.port).toBeLessThanOrEqual(32000)
  expect(result.type).toBe(4)
  expect(result.jobID).toBe('cache')
})
