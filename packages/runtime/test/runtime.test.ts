import { describe, expect, it } from 'vitest'
import { InmemMetrics, MemoryLogger, SeededRandom, SimClock, TypedEmitter, shuffle } from '../src/index.js'

describe('SimClock', () => {
  it('runs timers in due order, ties in the order they were set, and only when time moves', () => {
    const clock = new SimClock(1000)
    const seen: string[] = []
    clock.setTimeout(() => seen.push('b'), 20)
    clock.setTimeout(() => seen.push('a'), 10)
    clock.setTimeout(() => seen.push('c'), 20)
    const cancelled = clock.setTimeout(() => seen.push('never'), 5)
    cancelled.cancel()
    expect(seen).toEqual([])
    clock.advance(15)
    expect(seen).toEqual(['a'])
    expect(clock.now()).toBe(1015)
    clock.advance(100)
    expect(seen).toEqual(['a', 'b', 'c'])
    expect(clock.pending()).toBe(0)
  })

  it('repeats intervals until cancelled', () => {
    const clock = new SimClock()
    let n = 0
    const t = clock.setInterval(() => n++, 10)
    clock.advance(35)
    expect(n).toBe(3)
    t.cancel()
    clock.advance(100)
    expect(n).toBe(3)
  })

  it('resolves sleeps in simulated time and rejects them on abort', async () => {
    const clock = new SimClock()
    let done = false
    void clock.sleep(50).then(() => { done = true })
    await clock.advanceAsync(49)
    expect(done).toBe(false)
    await clock.advanceAsync(1)
    expect(done).toBe(true)
    const ac = new AbortController()
    const p = clock.sleep(50, ac.signal)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
    expect(clock.pending()).toBe(0)
  })
})

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = new SeededRandom(42)
    const b = new SeededRandom(42)
    const c = new SeededRandom(43)
    const seqA = Array.from({ length: 10 }, () => a.nextUint32())
    expect(Array.from({ length: 10 }, () => b.nextUint32())).toEqual(seqA)
    expect(Array.from({ length: 10 }, () => c.nextUint32())).not.toEqual(seqA)
  })

  it('stays within range and covers it', () => {
    const r = new SeededRandom(1)
    const counts = new Array(6).fill(0)
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++
    for (const c of counts) expect(c).toBeGreaterThan(850)
    expect(shuffle(r, [1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
  })
})

describe('logger, metrics and emitter', () => {
  it('records log lines with child fields', () => {
    const log = new MemoryLogger({ node: 'a' })
    log.child({ peer: 'b' }).warn('slow', { ms: 3 })
    expect(log.entries).toEqual([{ level: 'warn', message: 'slow', fields: { node: 'a', peer: 'b', ms: 3 } }])
  })

  it('counts and summarizes', () => {
    const m = new InmemMetrics()
    m.counter('rpc', 1, { method: 'x' })
    m.counter('rpc', 2, { method: 'x' })
    m.timing('t', 5)
    m.timing('t', 1)
    expect(m.count('rpc', { method: 'x' })).toBe(3)
    expect(m.timings.get('t')).toEqual({ count: 2, sum: 6, min: 1, max: 5 })
  })

  it('keeps emitting when a listener throws', () => {
    const e = new TypedEmitter<{ leader: (id: string) => void }>()
    const got: string[] = []
    e.on('leader', () => { throw new Error('bad listener') })
    e.on('leader', (id) => got.push(id))
    expect(e.emit('leader', 'n1')).toBe(true)
    expect(got).toEqual(['n1'])
  })
})

describe('Heap', () => {
  it('pops in order, ties in the order the comparator gives', async () => {
    const { Heap } = await import('../src/index.js')
    const r = new SeededRandom(3)
    const heap = new Heap<{ p: number; seq: number }>((a, b) => a.p !== b.p ? a.p > b.p : a.seq < b.seq)
    const items = Array.from({ length: 200 }, (_, seq) => ({ p: r.int(5), seq }))
    for (const item of items) heap.push(item)
    const out = []
    while (heap.size > 0) out.push(heap.pop()!)
    const expected = items.slice().sort((a, b) => b.p - a.p || a.seq - b.seq)
    expect(out).toEqual(expected)
    expect(heap.pop()).toBeUndefined()
  })
})
