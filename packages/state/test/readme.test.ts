import { expect, it } from 'vitest'

it('the README example runs and shows what it says', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.allocsBefore).toBe(0)
  expect(result.allocsNow).toBe(1)
  expect(result.summary).toMatchObject({ Starting: 1 })
  expect(result.reason).toBe('changed')
  expect(result.records).toBeGreaterThan(5)
  expect(result.restoredIndex).toBe(1003)
})
