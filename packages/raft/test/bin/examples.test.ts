import { describe, expect, it } from 'vitest'
import { main } from '../../examples/durable.js'

describe('examples/durable.ts', () => {
  it('bootstraps a durable single-server cluster on TCP and applies a command', async () => {
    const { index, applied } = await main()
    expect(applied).toEqual(['set x 1'])
    expect(index).toBeGreaterThan(1)
  })
})
