import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result).toEqual({ header: { ServiceMethod: 'Status.Ping', Seq: 1 }, body: {} })
})
