import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import { MessageType, wire, type Memberlist, type Node } from '../src/index.js'

// Alive messages arrive many times; copies already seen are dropped before decoding when they
// would change nothing. These check that the shortcut never hides a change.
const alive = (incarnation: number): Buffer => wire.encodeMessage(MessageType.alive, wire.encodeAlive({
  incarnation, node: 'x', addr: Buffer.from([10, 9, 9, 9]), port: 7946, meta: null, vsn: Buffer.from([1, 5, 2, 0, 0, 0]),
}))
const ingest = (ml: Memberlist, buf: Buffer): void =>
  (ml as unknown as { ingestPacket(b: Buffer, f: string): void }).ingestPacket(buf, '10.9.9.9:7946')
const incarnationOf = (ml: Memberlist): number | undefined => ml.allNodes().find((n) => n.name === 'x')?.incarnation

describe('repeated alive messages', () => {
  it('change nothing when stale, and count again once the node was reaped', async () => {
    const c = new SimCluster({ seed: 3, nodeOptions: () => ({ config: { gossipToTheDeadTime: 5_000 } }) })
    try {
      await c.startAll(2, 2_000)
      const ml = c.nodes[0]!
      const joins: string[] = []
      ml.on('join', (n: Node) => joins.push(`${n.name}@${n.incarnation}`))

      ingest(ml, alive(9))
      ingest(ml, alive(9))
      expect(joins).toEqual(['x@9'])
      ingest(ml, alive(10))
      ingest(ml, alive(9))
      expect(incarnationOf(ml)).toBe(10)

      // x does not answer probes: suspected, declared dead, then reaped.
      await c.run(60_000)
      expect(incarnationOf(ml)).toBeUndefined()
      ingest(ml, alive(9))
      expect(joins).toEqual(['x@9', 'x@9'])
      expect(ml.member('x')?.incarnation).toBe(9)
    } finally {
      await c.shutdown()
    }
  })

  it('all reach an alive delegate', async () => {
    const seen: string[] = []
    const c = new SimCluster({ seed: 4, nodeOptions: () => ({ alive: { notifyAlive: (n: Node) => { if (n.name === 'x') seen.push(`${n.incarnation}`) } } }) })
    try {
      await c.startAll(1)
      const ml = c.nodes[0]!
      ingest(ml, alive(9))
      ingest(ml, alive(9))
      expect(seen).toEqual(['9', '9'])
    } finally {
      await c.shutdown()
    }
  })
})
