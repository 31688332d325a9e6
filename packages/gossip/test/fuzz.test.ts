import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SimCluster } from '../src/testing.js'
import { Keyring, MessageType, crc32, encryptPayload, lzwCompress, makeCompound, parseStream, wire } from '../src/index.js'

// The receive path must never throw, whatever arrives: garbage is dropped and counted.
describe('fuzzed packets', () => {
  const valid = [
    wire.encodeMessage(MessageType.ping, wire.encodePing({ seqNo: 7, node: 'node-0' })),
    wire.encodeMessage(MessageType.alive, wire.encodeAlive({ incarnation: 9, node: 'x', addr: Buffer.from([10, 9, 9, 9]), port: 1, meta: null, vsn: Buffer.from([1, 5, 2, 0, 0, 0]) })),
    wire.encodeMessage(MessageType.suspect, wire.encodeSuspect({ incarnation: 1, node: 'node-1', from: 'z' })),
  ]
  const packet = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    // Valid messages with bytes flipped or cut.
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([m, pos, byte, cut]) => {
      const b = Buffer.from(m)
      b[pos % b.length] = byte
      return b.subarray(0, Math.max(1, cut % (b.length + 1)))
    }),
    // Wrapped in compound, compress or CRC with random contents.
    fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)), { maxLength: 5 }).map((parts) => makeCompound(parts)),
    fc.uint8Array({ maxLength: 60 }).map((b) => wire.encodeMessage(MessageType.compress, wire.encodeCompress({ algo: 0, buf: Buffer.from(b) }))),
    fc.constantFrom(...valid).map((m) => wire.encodeMessage(MessageType.compress, wire.encodeCompress({ algo: 0, buf: lzwCompress(m).subarray(0, 4) }))),
    fc.uint8Array({ maxLength: 60 }).map((b) => {
      const h = Buffer.alloc(5)
      h[0] = MessageType.hasCrc
      h.writeUInt32BE(crc32(b), 1)
      return Buffer.concat([h, b])
    }),
  )

  it('never throws out of ingest, plain and encrypted', async () => {
    const c = new SimCluster({ seed: 11 })
    const ring = new Keyring([Buffer.alloc(16, 5)])
    const enc = new SimCluster({ seed: 12, nodeOptions: () => ({ keyring: ring }) })
    try {
      await c.startAll(2, 2_000)
      await enc.startAll(2, 2_000)
      const target = c.nodes[0]!
      const etarget = enc.nodes[0]!
      const ingest = (ml: typeof target, buf: Buffer): void => (ml as unknown as { ingestPacket(b: Buffer, f: string): void }).ingestPacket(buf, '10.0.0.99:1')
      fc.assert(fc.property(packet, (buf) => {
        ingest(target, buf)
        ingest(etarget, buf)
        ingest(etarget, encryptPayload(1, Buffer.alloc(16, 5), buf))
      }), { seed: 42, numRuns: 2000 })
      expect(target.stats.garbage).toBeGreaterThan(0)
      await c.run(5_000)
      // Still a working cluster.
      expect(target.members().length).toBeGreaterThanOrEqual(2)
    } finally {
      await c.shutdown()
      await enc.shutdown()
    }
  })

  it('never throws out of the stream parser except with a gossip error', () => {
    const sec = { keyring: undefined, verifyIncoming: true, verifyOutgoing: true, version: 1 as const }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, complete) => {
      try {
        parseStream(Buffer.from(bytes), complete, sec)
      } catch (err) {
        expect((err as { code?: string }).code ?? '').toMatch(/^(GOSSIP|MSGPACK)_/)
      }
    }), { seed: 7, numRuns: 3000 })
  })
})
