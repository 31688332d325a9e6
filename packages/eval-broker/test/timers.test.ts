import { SimClock, type Clock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import { DelayQueue } from '../src/delay-queue.js'
import { ExpiryList, type Expiring } from '../src/expiry-list.js'

interface Item extends Expiring {
  name: string
}

const item = (name: string): Item => ({ name, deadline: 0, prev: undefined, next: undefined, linked: false })

/** A clock whose timers fire 1 ms before now() reaches their due time, as Node's can against Date.now. */
function earlyClock(sim: SimClock): Clock {
  return {
    now: () => sim.now(),
    setTimeout: (fn, ms) => sim.setTimeout(fn, Math.max(0, ms - 1)),
    setInterval: (fn, ms) => sim.setInterval(fn, ms),
    sleep: (ms, signal) => sim.sleep(ms, signal),
  }
}

describe('ExpiryList', () => {
  it('expires in arming order, re-arms on reset, and keeps one clock timer', () => {
    const clock = new SimClock()
    const fired: string[] = []
    const list = new ExpiryList<Item>(clock, 100, (m) => fired.push(`${m.name}@${clock.now()}`))
    const a = item('a')
    const b = item('b')
    const c = item('c')
    list.arm(a)
    clock.advance(10)
    list.arm(b)
    clock.advance(10)
    list.arm(c)
    list.arm(a) // reset: a now expires last
    expect(clock.pending()).toBe(1)
    list.disarm(c)
    clock.advance(200)
    expect(fired).toEqual(['b@110', 'a@120'])
    expect(clock.pending()).toBe(0)
  })

  it('treats its timer firing as the deadline even when the clock reads slightly early', () => {
    const sim = new SimClock(1000)
    const fired: string[] = []
    const list = new ExpiryList<Item>(earlyClock(sim), 50, (m) => fired.push(`${m.name}@${sim.now()}`))
    list.arm(item('x'))
    sim.advance(60)
    expect(fired).toEqual(['x@1049'])
    expect(sim.pending()).toBe(0)
  })
})

describe('DelayQueue', () => {
  it('releases in due order, ties in insertion order, re-arming for earlier items', () => {
    const clock = new SimClock()
    const out: string[] = []
    const q = new DelayQueue<string>(clock, (s) => out.push(`${s}@${clock.now()}`))
    q.push('late', 500)
    q.push('tie1', 100)
    q.push('early', 50)
    q.push('tie2', 100)
    expect(q.size).toBe(4)
    clock.advance(1000)
    expect(out).toEqual(['early@50', 'tie1@100', 'tie2@100', 'late@500'])
    expect(clock.pending()).toBe(0)
    q.push('dropped', 2000)
    q.clear()
    expect(clock.pending()).toBe(0)
    expect(q.size).toBe(0)
  })
})
