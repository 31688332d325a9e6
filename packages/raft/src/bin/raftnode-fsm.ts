/**
 * The state machine of nomadic-raftnode and its Go twin: counts entries and chains FNV-1a 64,
 * `hash = fnv1a64(le64(hash) || data)` starting from 0, so two nodes that applied the same
 * sequence show the same 16 hex digits. Snapshot: JSON `{"Count":N,"Hash":"<16 hex>"}`.
 */
import type { Readable } from 'node:stream'
import type { FSM, FSMSnapshot, Log, SnapshotSink } from '../types.js'

// FNV-1a 64 in two 32-bit halves: offset basis 0xcbf29ce484222325, prime 2^40 + 0x1b3.
const OFFSET_HI = 0xcbf29ce4
const OFFSET_LO = 0x84222325
const TWO32 = 4294967296

export class CountingFSM implements FSM {
  count = 0
  private hi = 0
  private lo = 0

  apply(log: Log): unknown {
    let hi = OFFSET_HI
    let lo = OFFSET_LO
    const step = (byte: number): void => {
      lo = (lo ^ byte) >>> 0
      const low = lo * 0x1b3
      const carry = Math.floor(low / TWO32)
      const high = hi * 0x1b3 + carry + (lo & 0xffffff) * 256
      lo = low % TWO32
      hi = high % TWO32
    }
    const prevLo = this.lo
    const prevHi = this.hi
    for (let i = 0; i < 4; i++) step((prevLo >>> (8 * i)) & 0xff)
    for (let i = 0; i < 4; i++) step((prevHi >>> (8 * i)) & 0xff)
    const data = log.Data
    for (let i = 0; i < data.length; i++) step(data[i]!)
    this.hi = hi
    this.lo = lo
    this.count++
    return undefined
  }

  hashHex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0')
  }

  snapshot(): FSMSnapshot {
    const state = Buffer.from(JSON.stringify({ Count: this.count, Hash: this.hashHex() }))
    return {
      async persist(sink: SnapshotSink) {
        try {
          await sink.write(state)
        } catch (err) {
          await sink.cancel()
          throw err
        }
        await sink.close()
      },
      release() {},
    }
  }

  async restore(source: Readable): Promise<void> {
    const parts: Buffer[] = []
    for await (const chunk of source) parts.push(chunk as Buffer)
    const parsed = JSON.parse(Buffer.concat(parts).toString('utf8')) as { Count: number; Hash: string }
    if (!Number.isInteger(parsed.Count) || !/^[0-9a-f]{16}$/.test(parsed.Hash)) throw new Error('bad raftnode snapshot')
    this.count = parsed.Count
    this.hi = parseInt(parsed.Hash.slice(0, 8), 16)
    this.lo = parseInt(parsed.Hash.slice(8), 16)
  }
}
