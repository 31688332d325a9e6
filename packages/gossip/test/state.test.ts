import { SimClock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import {
  Awareness, Suspicion, TransmitLimitedQueue, lanConfig, localConfig, pushPullScale, remainingSuspicionTime,
  retransmitLimit, suspicionTimeout, wanConfig, InvalidConfigError,
} from '../src/index.js'

describe('Lifeguard suspicion', () => {
  it('matches upstream remaining-time vectors', () => {
    expect(remainingSuspicionTime(0, 3, 0, 2000, 30000)).toBe(30000)
    expect(remainingSuspicionTime(1, 3, 2000, 2000, 30000)).toBe(14000)
    expect(remainingSuspicionTime(2, 3, 3000, 2000, 30000)).toBe(4810)
    expect(remainingSuspicionTime(3, 3, 4000, 2000, 30000)).toBe(-2000)
  })

  it('minimum timeout scales with log10 of the cluster size', () => {
    expect(suspicionTimeout(4, 3, 1000)).toBe(4000)
    expect(suspicionTimeout(4, 100, 1000)).toBe(8000)
    expect(suspicionTimeout(4, 1000, 1000)).toBe(12000)
  })

  it('confirmations from new peers shorten the timer; the accuser and repeats do not', () => {
    const clock = new SimClock()
    let firedAt = -1
    const s = new Suspicion(clock, 'accuser', 2, 4000, 24000, () => { firedAt = clock.now() })
    expect(s.confirm('accuser')).toBe(false)
    clock.advance(1000)
    expect(s.confirm('b')).toBe(true)
    expect(s.confirm('b')).toBe(false)
    // After 1 of 2 confirmations: 24000 − log(2)/log(3)·20000 = 11381 ms in total.
    clock.advance(10_000)
    expect(firedAt).toBe(-1)
    clock.advance(1000)
    expect(firedAt).toBe(11381)
  })

  it('with k = 0 the timer starts at the minimum', () => {
    const clock = new SimClock()
    let fired = false
    new Suspicion(clock, 'a', 0, 500, 3000, () => { fired = true })
    clock.advance(499)
    expect(fired).toBe(false)
    clock.advance(1)
    expect(fired).toBe(true)
  })
})

describe('awareness', () => {
  it('clamps to [0, max-1] and scales timeouts', () => {
    const a = new Awareness(8)
    a.applyDelta(-3)
    expect(a.getHealthScore()).toBe(0)
    a.applyDelta(20)
    expect(a.getHealthScore()).toBe(7)
    expect(a.scaleTimeout(1000)).toBe(8000)
  })
})

describe('transmit-limited queue', () => {
  it('limits retransmits, prefers fresh then large, and replaces by node name', () => {
    let n = 10
    const q = new TransmitLimitedQueue(() => n, 1)
    expect(retransmitLimit(1, 10)).toBe(2)
    let finished = 0
    q.queue({ name: 'a', message: () => Buffer.alloc(10, 1), finished: () => finished++ })
    q.queue({ name: 'b', message: () => Buffer.alloc(20, 2) })
    q.queue({ name: 'a', message: () => Buffer.alloc(5, 3) })
    expect(finished).toBe(1)
    expect(q.numQueued()).toBe(2)
    const first = q.getBroadcasts(2, 1400)
    expect(first.map((b) => b.length)).toEqual([20, 5])
    // Only room for the small one.
    expect(q.getBroadcasts(2, 10).map((b) => b.length)).toEqual([5])
    expect(q.getBroadcasts(2, 1400).map((b) => b.length)).toEqual([20])
    expect(q.numQueued()).toBe(0)
    n = 1000
    expect(retransmitLimit(4, n)).toBe(16)
  })
})

describe('configuration profiles', () => {
  it('carry memberlist defaults', () => {
    expect(lanConfig()).toMatchObject({ probeInterval: 1000, probeTimeout: 500, suspicionMult: 4, gossipNodes: 3, gossipInterval: 200, pushPullInterval: 30000, tcpTimeout: 10000, retransmitMult: 4, indirectChecks: 3 })
    expect(wanConfig()).toMatchObject({ probeInterval: 5000, probeTimeout: 3000, suspicionMult: 6, gossipNodes: 4, gossipInterval: 500, pushPullInterval: 60000, tcpTimeout: 30000, gossipToTheDeadTime: 60000 })
    expect(localConfig()).toMatchObject({ probeInterval: 1000, probeTimeout: 200, suspicionMult: 3, indirectChecks: 1, retransmitMult: 2, gossipInterval: 100, pushPullInterval: 15000, tcpTimeout: 1000 })
  })

  it('rejects bad options by name', () => {
    expect(() => lanConfig({ probeInterval: 0 })).toThrow(InvalidConfigError)
    expect(() => lanConfig({ probeTimeout: 5000 })).toThrow(/probeTimeout/)
    expect(() => lanConfig({ protocolVersion: 9 })).toThrow(/protocolVersion/)
  })

  it('push-pull interval scales above 32 nodes', () => {
    expect(pushPullScale(30000, 32)).toBe(30000)
    expect(pushPullScale(30000, 64)).toBe(60000)
    expect(pushPullScale(30000, 128)).toBe(90000)
  })
})
