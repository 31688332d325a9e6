import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.replies).toEqual(['one', 'two', 'three'])
})
