import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result).toEqual({
    reply: { Value: 'hello', N: 41, Index: 42 },
    failure: "rpc error: rpc: can't find service Job.Register",
    local: { Value: 'local', N: 1, Index: 2 },
    streamed: 'raw bytes',
  })
})
