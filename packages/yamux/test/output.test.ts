import { describe, expect, it } from 'vitest'
import { OutputQueue } from '../src/output.js'
import { encodeHeader } from '../src/header.js'

/** What one frame looks like on the wire. */
function wire(streamId: number, body: Buffer): Buffer {
  return Buffer.concat([encodeHeader(0, 0, streamId, body.length), body])
}

describe('OutputQueue', () => {
  it("keeps each session's frames in order while sessions interleave in the shared slab", () => {
    const a = new OutputQueue()
    const b = new OutputQueue()
    const sentA: Buffer[] = []
    const sentB: Buffer[] = []
    // Enough frames to roll over to new slabs several times, bodies up to 20 KiB (some not copied).
    for (let i = 0; i < 400; i++) {
      const body = Buffer.alloc((i * 997) % 20_000, i & 0xff)
      const [queue, sent] = i % 3 === 0 ? [b, sentB] : [a, sentA]
      queue.frame(0, 0, i, body.length, body)
      sent.push(wire(i, body))
    }
    expect(a.bytes).toBe(Buffer.concat(sentA).length)
    // Compared with equals(): a deep comparison of megabytes is slow.
    expect(Buffer.concat(a.take()).equals(Buffer.concat(sentA))).toBe(true)
    expect(Buffer.concat(b.take()).equals(Buffer.concat(sentB))).toBe(true)
    expect(a.bytes).toBe(0)
    expect(a.take()).toEqual([])
  })

  it('hands out frames queued back to back as one buffer, and bytes taken are never rewritten', () => {
    const queue = new OutputQueue()
    for (let i = 1; i <= 10; i++) queue.frame(1, 0, i, 0)
    const [first, ...rest] = queue.take()
    expect(rest).toHaveLength(0)
    const copy = Buffer.from(first!)
    queue.frame(1, 0, 99, 0, Buffer.alloc(100, 7))
    queue.take()
    expect(first!.equals(copy)).toBe(true)
  })
})
