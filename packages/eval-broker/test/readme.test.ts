import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.order).toEqual(['e3', 'e1', 'e1', 'e2'])
  expect(result.unblocked).toBe('e2')
  expect(result.stats).toMatchObject({ totalReady: 0, totalUnacked: 1, totalBlocked: 0, totalWaiting: 0 })
})
