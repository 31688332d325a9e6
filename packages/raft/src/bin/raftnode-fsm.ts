/**
 * The state machine of nomadic-raftnode and its Go twin: counts entries and chains FNV-1a 64,
 * `hash = fnv1a64(le64(hash) || data)` starting from 0, so two nodes that applied the same
 * sequence show the same 16 hex digits. Snapshot: JSON `{"Count":N,"Hash":"<16 hex>"}`.
 */
import type { Readable } from 'node:stream'
import type { FSM, FSMSnapshot, Log, SnapshotSink } from '../types.js'

// FNV-1a 64 in four 16-bit limbs (so every product fits in 32 bits): offset basis
// 0xcbf29ce484222325, prime 2^40 + 0x1b3.
const PRIME_LOW = 0x1b3

export class CountingFSM implements FSM {
  count = 0
  /** Called with every applied entry (tests record the applied sequence with it). */
  onApply: ((log: Log) => void) | undefined
  /** Called when a snapshot replaced the state. */
  onRestore: (() => void) | undefined
  /** The hash, least significant limb first. */
  private readonly h = new Uint32Array(4)
  private readonly le = Buffer.alloc(8)

  apply(log: Log): unknown {
    const h = this.h
    const le = this.le
    for (let i = 0; i < 4; i++) le.writeUInt16LE(h[i]!, i * 2)
    let h0 = 0x2325
    let h1 = 0x8422
    let h2 = 0x9ce4
    let h3 = 0xcbf2
    const mix = (bytes: Uint8Array): void => {
      for (let i = 0; i < bytes.length; i++) {
        h0 ^= bytes[i]!
        const t0 = h0 * PRIME_LOW
        const t1 = h1 * PRIME_LOW + (t0 >>> 16)
        const t2 = h2 * PRIME_LOW + (h0 << 8) + (t1 >>> 16)
        h3 = (h3 * PRIME_LOW + (h1 << 8) + (t2 >>> 16)) & 0xffff
        h0 = t0 & 0xffff
        h1 = t1 & 0xffff
        h2 = t2 & 0xffff
      }
    }
    mix(le)
    mix(log.Data)
    h[0] = h0
    h[1] = h1
    h[2] = h2
    h[3] = h3
    this.count++
    this.onApply?.(log)
    return undefined
  }

  hashHex(): string {
    let out = ''
    for (let i = 3; i >= 0; i--) out += this.h[i]!.toString(16).padStart(4, '0')
    return out
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
    this.onRestore?.()
    for (let i = 0; i < 4; i++) this.h[i] = parseInt(parsed.Hash.slice(12 - 4 * i, 16 - 4 * i), 16)
  }
}
