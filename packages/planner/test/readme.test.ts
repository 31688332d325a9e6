import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result).toEqual({ firstPlaced: 1, secondPlaced: 0, secondMustRefreshTo: 2 })
})
