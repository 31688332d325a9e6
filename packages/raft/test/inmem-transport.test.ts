import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { InmemTransport } from '../src/transport/inmem.js'
import { RemoteError, TimeoutError, UnreachableError } from '../src/errors.js'
import { RPCType, type AppendEntriesRequest, type RPC } from '../src/types.js'

const request = (n: number): AppendEntriesRequest => ({
  ProtocolVersion: 3, Term: 1, Leader: Buffer.from('a'), PrevLogEntry: n, PrevLogTerm: 1, Entries: [], LeaderCommitIndex: n,
})

function pair(clock: SimClock): { a: InmemTransport; b: InmemTransport; seen: number[] } {
  const a = new InmemTransport({ address: 'a', clock, timeout: 100 })
  const b = new InmemTransport({ address: 'b', clock, timeout: 100 })
  a.connect(b)
  b.connect(a)
  const seen: number[] = []
  b.setConsumer((rpc: RPC) => {
    if (rpc.type !== RPCType.AppendEntries) return
    seen.push(rpc.command.PrevLogEntry)
    rpc.respond({ ProtocolVersion: 3, Term: 1, LastLog: rpc.command.PrevLogEntry, Success: true, NoRetryBackoff: false })
  })
  return { a, b, seen }
}

describe('InmemTransport', () => {
  it('delivers requests and responses after the hook delay', async () => {
    const clock = new SimClock()
    const { a, seen } = pair(clock)
    a.hooks = { delay: () => 10 }
    let done = false
    const reply = a.appendEntries('b', 'b', request(7)).then((r) => { done = true; return r })
    await clock.advanceAsync(15)
    expect(seen).toEqual([7])
    expect(done).toBe(false)
    await clock.advanceAsync(10)
    expect((await reply).LastLog).toBe(7)
  })

  it('fails a dropped RPC after its timeout, and an unknown peer at once', async () => {
    const clock = new SimClock()
    const { a, seen } = pair(clock)
    a.hooks = { drop: (m) => !m.response }
    const reply = a.appendEntries('b', 'b', request(1)).catch((e: unknown) => e)
    await clock.advanceAsync(150)
    expect(await reply).toBeInstanceOf(TimeoutError)
    expect(seen).toEqual([])
    await expect(a.appendEntries('x', 'x', request(1))).rejects.toBeInstanceOf(UnreachableError)
  })

  it('duplicates requests when asked, answering the caller once', async () => {
    const clock = new SimClock()
    const { a, seen } = pair(clock)
    a.hooks = { duplicate: () => true, delay: () => 1 }
    const reply = a.appendEntries('b', 'b', request(3))
    await clock.advanceAsync(20)
    expect((await reply).Success).toBe(true)
    expect(seen).toEqual([3, 3])
  })

  it('keeps pipelined requests in order whatever the delays, and breaks the pipeline on a loss', async () => {
    const clock = new SimClock()
    const { a, seen } = pair(clock)
    let n = 0
    let requests = 0
    a.hooks = { delay: () => [30, 1, 20, 5][n++ % 4]!, drop: (m) => m.pipelined && !m.response && ++requests === 5 }
    const pipeline = await a.appendEntriesPipeline('b', 'b')
    const replies = [1, 2, 3, 4].map((i) => pipeline.appendEntries(request(i)))
    await clock.advanceAsync(200)
    expect((await Promise.all(replies)).map((r) => r.LastLog)).toEqual([1, 2, 3, 4])
    expect(seen).toEqual([1, 2, 3, 4])
    const lost = [5, 6].map((i) => pipeline.appendEntries(request(i)).catch((e: unknown) => e))
    await clock.advanceAsync(200)
    const [first, second] = await Promise.all(lost)
    // The lost request times out, and the one behind it cannot overtake it.
    expect(first).toBeInstanceOf(TimeoutError)
    expect(second).toBeInstanceOf(TimeoutError)
    await expect(pipeline.appendEntries(request(7))).rejects.toThrow('append pipeline closed')
  })

  it('answers with the receiver error and fails everything pending on close', async () => {
    const clock = new SimClock()
    const { a, b } = pair(clock)
    await b.close()
    const reply = a.appendEntries('b', 'b', request(1)).catch((e: unknown) => e)
    await clock.advanceAsync(1)
    expect(await reply).toBeInstanceOf(RemoteError)
    a.hooks = { drop: () => true }
    const pending = a.requestVote('b', 'b', { ProtocolVersion: 3, Term: 1, Candidate: Buffer.from('a'), LastLogIndex: 0, LastLogTerm: 0, LeadershipTransfer: false }).catch((e: unknown) => e)
    await a.close()
    expect(((await pending) as Error).message).toBe('transport shutdown')
    expect(clock.pending()).toBe(0)
  })
})
