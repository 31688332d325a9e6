import { expect, it } from 'vitest'

it('runs the README example', async () => {
  const { result } = await import('../examples/readme.js')
  expect(result.status).toBe('complete')
  expect(result.names).toHaveLength(3)
  expect(result.names[0]).toMatch(/\.web\[0\]$/)
  expect(result.nodes).toBe(3)
})
