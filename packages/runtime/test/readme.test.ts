import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.beats).toBe(10)
  expect(result.roll).toBeGreaterThanOrEqual(0)
  expect(result.roll).toBeLessThan(6)
})
