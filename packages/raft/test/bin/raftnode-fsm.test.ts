import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CountingFSM } from '../../src/bin/raftnode-fsm.js'

/** The definition, in BigInt: hash = fnv1a64(le64(hash) || data), starting from 0. */
function reference(entries: Buffer[]): string {
  const mask = (1n << 64n) - 1n
  let hash = 0n
  for (const data of entries) {
    const le = Buffer.alloc(8)
    le.writeBigUInt64LE(hash)
    let h = 0xcbf29ce484222325n
    for (const b of Buffer.concat([le, data])) h = ((h ^ BigInt(b)) * 0x100000001b3n) & mask
    hash = h
  }
  return hash.toString(16).padStart(16, '0')
}

describe('nomadic-raftnode FSM', () => {
  it('chains FNV-1a 64 exactly as defined, and restores from its JSON snapshot', async () => {
    const fsm = new CountingFSM()
    const entries = Array.from({ length: 40 }, (_, k) => Buffer.from(Array.from({ length: k * 5 }, (_, j) => (k * 7 + j * 13) & 0xff)))
    for (const [i, data] of entries.entries()) fsm.apply({ Index: i + 1, Term: 1, Type: 0, Data: data, Extensions: Buffer.alloc(0) })
    expect(fsm.count).toBe(40)
    expect(fsm.hashHex()).toBe(reference(entries))
    const parts: Buffer[] = []
    const snap = fsm.snapshot()
    await snap.persist({ id: () => 'x', write: async (b) => { parts.push(Buffer.from(b)) }, close: async () => {}, cancel: async () => {} })
    expect(JSON.parse(Buffer.concat(parts).toString())).toEqual({ Count: 40, Hash: reference(entries) })
    const copy = new CountingFSM()
    await copy.restore(Readable.from(parts))
    expect([copy.count, copy.hashHex()]).toEqual([40, fsm.hashHex()])
    await expect(new CountingFSM().restore(Readable.from([Buffer.from('{"Count":1,"Hash":"xyz"}')]))).rejects.toThrow()
  })
})
