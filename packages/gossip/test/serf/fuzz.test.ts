import fc from 'fast-check'
import { InmemMetrics } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import { SimSerfCluster } from '../../src/testing.js'
import type { Serf, SerfEvent } from '../../src/serf/serf.js'
import { samples } from './samples.js'

interface Inside {
  notifyMsg(b: Buffer): void
  mergeRemoteState(b: Buffer, join: boolean): void
}

// Whatever arrives in a user message or a push-pull blob, serf must not throw: bad messages are
// dropped (and counted), and the agent keeps working.
describe('fuzzed serf messages', () => {
  const valid = Object.values(samples()).filter((b) => b[0]! <= 9)
  const message = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 200 })).map(([t, b]) => Buffer.concat([Buffer.from([t]), Buffer.from(b)])),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([m, pos, byte, cut]) => {
      const b = Buffer.from(m)
      b[pos % b.length] = byte
      return b.subarray(0, Math.max(1, cut % (b.length + 1)))
    }),
  )

  it('never throws from a user message or a remote state, and the agent still works', async () => {
    const metrics = new InmemMetrics()
    const c = new SimSerfCluster({ seed: 21, serf: (i) => (i === 0 ? { metrics } : {}) })
    try {
      await c.startAll(3, 2_000)
      const target = c.nodes[0]! as unknown as Inside
      fc.assert(fc.property(message, fc.boolean(), (buf, asState) => {
        if (asState) target.mergeRemoteState(buf, false)
        else target.notifyMsg(buf)
      }), { numRuns: 2_000, seed: 21 })
      expect(metrics.counters.get('serf.msgs.dropped') ?? 0).toBeGreaterThan(0)
      await c.run(2_000)
      // Still one working cluster: a fresh event reaches every agent.
      const seen = c.nodes.map(() => 0)
      c.nodes.forEach((s: Serf, i) => s.on('event', (e: SerfEvent) => { if (e.type === 'user' && e.name === 'after-fuzz') seen[i]!++ }))
      c.nodes[1]!.userEvent('after-fuzz', Buffer.from('ok'))
      await c.run(3_000)
      expect(seen).toEqual([1, 1, 1])
    } finally {
      await c.shutdown()
    }
  }, 60_000)
})
