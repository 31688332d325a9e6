import { expect, it } from 'vitest'

it('runs the README example: a three-node in-memory cluster applying commands', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.response).toBe(10)
  expect(['a', 'b', 'c']).toContain(result.leader)
  // The leader has applied everything; followers apply once they learn the commit index.
  expect(result.totals).toContain(10)
}, 20_000)
