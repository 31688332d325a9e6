import { flushMicrotasks, InmemMetrics, SeededRandom, SimClock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import {
  BrokerDisabledError,
  EvalBroker,
  EvalIdMismatchError,
  EvalNotFoundError,
  EvalNotOutstandingError,
  EvalTokenMismatchError,
  FAILED_QUEUE,
  InvalidOptionError,
  OutstandingTokenMismatchError,
} from '../src/index.js'
import { makeEval, track } from './helpers.js'

function setup(seed = 1) {
  const clock = new SimClock()
  const broker = new EvalBroker({ clock, random: new SeededRandom(seed) })
  broker.setEnabled(true)
  return { clock, broker }
}

describe('EvalBroker basics', () => {
  it('rejects work while disabled with Nomad\'s text and ignores enqueues', async () => {
    const broker = new EvalBroker({ clock: new SimClock() })
    broker.enqueue(makeEval())
    await expect(broker.dequeue(['service'])).rejects.toThrow('eval broker disabled')
    await expect(broker.dequeue(['service'])).rejects.toBeInstanceOf(BrokerDisabledError)
    expect(() => broker.tryDequeue(['service'])).toThrow(BrokerDisabledError)
    expect(broker.stats().totalReady).toBe(0)
  })

  it('delivers, tracks and acks an evaluation', async () => {
    const { broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    expect(broker.stats()).toMatchObject({ totalReady: 1, byScheduler: { service: { ready: 1, unacked: 0 } } })
    const d = await broker.dequeue(['service'])
    expect(d?.eval).toBe(e)
    expect(d?.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(broker.outstanding(e.ID)).toBe(d!.token)
    expect(broker.stats()).toMatchObject({ totalReady: 0, totalUnacked: 1, byScheduler: { service: { ready: 0, unacked: 1 } } })
    broker.ack(e.ID, d!.token)
    expect(broker.outstanding(e.ID)).toBeUndefined()
    expect(broker.stats()).toMatchObject({ totalReady: 0, totalUnacked: 0, totalBlocked: 0, totalWaiting: 0 })
  })

  it('de-duplicates enqueues by eval ID until the eval is acked', () => {
    const { broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    broker.enqueue(e)
    expect(broker.stats().totalReady).toBe(1)
    const d = broker.tryDequeue(['service'])!
    broker.enqueue(e)
    expect(broker.stats().totalReady).toBe(0)
    broker.ack(e.ID, d.token)
    broker.enqueue(e)
    expect(broker.stats().totalReady).toBe(1)
  })

  it('orders a queue by priority, then by creation index', () => {
    const { broker } = setup()
    const low = makeEval({ Priority: 10, CreateIndex: 1 })
    const highNew = makeEval({ Priority: 90, CreateIndex: 7 })
    const highOld = makeEval({ Priority: 90, CreateIndex: 3 })
    const mid = makeEval({ Priority: 50, CreateIndex: 2 })
    for (const e of [low, highNew, highOld, mid]) broker.enqueue(e)
    const order = [1, 2, 3, 4].map(() => broker.tryDequeue(['service'])!.eval)
    expect(order).toEqual([highOld, highNew, mid, low])
  })

  it('takes the highest priority across the requested queues and breaks ties at random', () => {
    const picks = new Set<string>()
    for (let seed = 1; seed <= 20; seed++) {
      const { broker } = setup(seed)
      broker.enqueue(makeEval({ Type: 'batch', Priority: 20 }))
      broker.enqueue(makeEval({ Type: 'service', Priority: 70 }))
      broker.enqueue(makeEval({ Type: 'system', Priority: 70 }))
      const first = broker.tryDequeue(['batch', 'service', 'system'])!
      expect(first.eval.Priority).toBe(70)
      picks.add(first.eval.Type)
      expect(broker.tryDequeue(['batch'])!.eval.Priority).toBe(20)
    }
    expect(picks).toEqual(new Set(['service', 'system']))
  })

  it('only serves the queues a scheduler asks for', () => {
    const { broker } = setup()
    broker.enqueue(makeEval({ Type: 'batch' }))
    expect(broker.tryDequeue(['service', 'system'])).toBeUndefined()
    expect(broker.tryDequeue(['batch'])?.eval.Type).toBe('batch')
  })
})

describe('one evaluation in flight per job', () => {
  it('holds later evals of a job until the current one is acked', () => {
    const { broker } = setup()
    const a = makeEval({ JobID: 'web' })
    const b = makeEval({ JobID: 'web' })
    const other = makeEval({ JobID: 'db' })
    broker.enqueue(a)
    broker.enqueue(b)
    broker.enqueue(other)
    expect(broker.stats()).toMatchObject({ totalReady: 2, totalBlocked: 1 })
    const d1 = broker.tryDequeue(['service'])!
    const d2 = broker.tryDequeue(['service'])!
    expect([d1.eval, d2.eval]).toEqual([a, other])
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    broker.ack(a.ID, d1.token)
    expect(broker.tryDequeue(['service'])?.eval).toBe(b)
  })

  it('keeps namespaces apart', () => {
    const { broker } = setup()
    broker.enqueue(makeEval({ JobID: 'web', Namespace: 'a' }))
    broker.enqueue(makeEval({ JobID: 'web', Namespace: 'b' }))
    expect(broker.stats()).toMatchObject({ totalReady: 2, totalBlocked: 0 })
  })

  // hashicorp/nomad#9054: within a job, Nomad orders by CreateIndex only, whatever the priority.
  it('releases a job\'s waiting evals by creation index, ignoring priority (Nomad #9054)', () => {
    const { broker } = setup()
    const first = makeEval({ JobID: 'browser', CreateIndex: 100, TriggeredBy: 'job-register' })
    const nodeUpdate = makeEval({ JobID: 'browser', CreateIndex: 910988, Priority: 50, TriggeredBy: 'node-update' })
    const register = makeEval({ JobID: 'browser', CreateIndex: 910991, Priority: 90, TriggeredBy: 'job-register' })
    broker.enqueue(first)
    broker.enqueue(register)
    broker.enqueue(nodeUpdate)
    const seen: string[] = []
    for (let i = 0; i < 3; i++) {
      const d = broker.tryDequeue(['service'])!
      expect(broker.tryDequeue(['service'])).toBeUndefined()
      seen.push(d.eval.TriggeredBy)
      broker.ack(d.eval.ID, d.token)
    }
    expect(seen).toEqual(['job-register', 'node-update', 'job-register'])
  })
})

describe('nack, delays and the delivery limit', () => {
  it('re-enqueues after 1 s, then 20 s, then moves the eval to the _failed queue', () => {
    const { clock, broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    let d = broker.tryDequeue(['service'])!
    broker.nack(e.ID, d.token)
    expect(broker.stats()).toMatchObject({ totalReady: 0, totalWaiting: 1 })
    clock.advance(999)
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    clock.advance(1)
    d = broker.tryDequeue(['service'])!
    expect(d.eval).toBe(e)
    broker.nack(e.ID, d.token)
    clock.advance(19_999)
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    clock.advance(1)
    d = broker.tryDequeue(['service'])!
    broker.nack(e.ID, d.token)
    expect(broker.stats()).toMatchObject({ totalWaiting: 0, byScheduler: { [FAILED_QUEUE]: { ready: 1 } } })
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    const failed = broker.tryDequeue([FAILED_QUEUE])!
    expect(failed.eval).toBe(e)
    broker.ack(e.ID, failed.token)
    expect(broker.stats()).toMatchObject({ totalReady: 0, totalUnacked: 0, byScheduler: { [FAILED_QUEUE]: { unacked: 0 } } })
  })

  it('uses (n−1)×20 s after the n-th nack with a higher delivery limit', () => {
    const clock = new SimClock()
    const broker = new EvalBroker({ clock, random: new SeededRandom(3) }, { deliveryLimit: 5 })
    broker.setEnabled(true)
    const e = makeEval()
    broker.enqueue(e)
    const delays: number[] = []
    for (let n = 1; n <= 5; n++) {
      const d = broker.tryDequeue(['service'])!
      broker.nack(e.ID, d.token)
      const due = clock.nextDue()
      if (due === undefined) break
      delays.push(due - clock.now())
      clock.advance(due - clock.now())
    }
    expect(delays).toEqual([1000, 20_000, 40_000, 60_000])
    expect(broker.stats().byScheduler[FAILED_QUEUE]?.ready).toBe(1)
  })

  // hashicorp/nomad#15980: evals "stuck" with Wait 20s are nacked evals serving their re-enqueue
  // delay; the job's newer evals wait behind them, and disabling the broker flushes all of it.
  it('holds a job behind a nacked eval for its 20 s re-enqueue delay (Nomad #15980)', () => {
    const { clock, broker } = setup()
    const e = makeEval({ JobID: 'batch-job', Type: 'batch' })
    const newer = makeEval({ JobID: 'batch-job', Type: 'batch' })
    broker.enqueue(e)
    broker.nack(e.ID, broker.tryDequeue(['batch'])!.token)
    clock.advance(1000)
    broker.nack(e.ID, broker.tryDequeue(['batch'])!.token)
    broker.enqueue(newer)
    expect(broker.stats()).toMatchObject({ totalWaiting: 1, totalBlocked: 1, totalReady: 0 })
    clock.advance(19_000)
    expect(broker.tryDequeue(['batch'])).toBeUndefined()
    expect(e.Wait).toBe(0) // the broker never writes the delay into the caller's eval
    clock.advance(1000)
    const d = broker.tryDequeue(['batch'])!
    expect(d.eval).toBe(e)
    broker.ack(e.ID, d.token)
    expect(broker.tryDequeue(['batch'])?.eval).toBe(newer)
    broker.setEnabled(false)
    broker.setEnabled(true)
    expect(broker.stats()).toMatchObject({ totalWaiting: 0, totalBlocked: 0, totalReady: 0, totalUnacked: 0 })
    expect(clock.pending()).toBe(0)
  })

  it('nacks a delivery that is not acked within 60 s', () => {
    const { clock, broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    const d = broker.tryDequeue(['service'])!
    clock.advance(59_999)
    expect(broker.outstanding(e.ID)).toBe(d.token)
    clock.advance(1)
    expect(broker.outstanding(e.ID)).toBeUndefined()
    expect(() => broker.ack(e.ID, d.token)).toThrow(EvalNotFoundError)
    expect(broker.stats()).toMatchObject({ totalUnacked: 0, totalWaiting: 1 })
  })

  it('restarts the nack timer on outstandingReset and stops it while paused', () => {
    const { clock, broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    const d = broker.tryDequeue(['service'])!
    clock.advance(50_000)
    broker.outstandingReset(e.ID, d.token)
    clock.advance(50_000)
    expect(broker.outstanding(e.ID)).toBe(d.token)
    broker.pauseNackTimeout(e.ID, d.token)
    broker.outstandingReset(e.ID, d.token) // stays paused
    clock.advance(600_000)
    expect(broker.outstanding(e.ID)).toBe(d.token)
    broker.resumeNackTimeout(e.ID, d.token)
    clock.advance(59_999)
    expect(broker.outstanding(e.ID)).toBe(d.token)
    clock.advance(1)
    expect(broker.outstanding(e.ID)).toBeUndefined()
    expect(() => broker.outstandingReset(e.ID, d.token)).toThrow(EvalNotOutstandingError)
  })

  it('honours Wait (nanoseconds) and WaitUntil', () => {
    const { clock, broker } = setup()
    clock.advance(10_000)
    const waiting = makeEval({ Wait: 5_000_000_000 })
    const until = makeEval({ WaitUntil: new Date(clock.now() + 2_000) })
    const past = makeEval({ WaitUntil: new Date(clock.now() - 1) })
    broker.enqueue(waiting)
    broker.enqueue(until)
    broker.enqueue(past)
    expect(broker.stats()).toMatchObject({ totalWaiting: 2, totalReady: 1 })
    expect(broker.tryDequeue(['service'])?.eval).toBe(past)
    clock.advance(1_999)
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    clock.advance(1)
    expect(broker.tryDequeue(['service'])?.eval).toBe(until)
    clock.advance(2_999)
    expect(broker.tryDequeue(['service'])).toBeUndefined()
    clock.advance(1)
    expect(broker.tryDequeue(['service'])?.eval).toBe(waiting)
  })
})

describe('tokens', () => {
  it('reports Nomad\'s texts for unknown evals, wrong tokens and another eval\'s token', () => {
    const { broker } = setup()
    const a = makeEval()
    const b = makeEval()
    broker.enqueue(a)
    broker.enqueue(b)
    const da = broker.tryDequeue(['service'])!
    const db = broker.tryDequeue(['service'])!
    expect(() => broker.ack('nope', da.token)).toThrow('Evaluation ID not found')
    expect(() => broker.ack(a.ID, 'not-a-token')).toThrow('Token does not match for Evaluation ID')
    expect(() => broker.nack(a.ID, db.token)).toThrow('Evaluation ID does not match')
    expect(() => broker.ack(a.ID, 'x')).toThrow(EvalTokenMismatchError)
    expect(() => broker.ack(a.ID, db.token)).toThrow(EvalIdMismatchError)
    expect(() => broker.pauseNackTimeout(a.ID, db.token)).toThrow(OutstandingTokenMismatchError)
    expect(() => broker.resumeNackTimeout('nope', db.token)).toThrow(EvalNotOutstandingError)
    // Nothing changed: both are still outstanding under their own tokens.
    expect(broker.outstanding(a.ID)).toBe(da.token)
    expect(broker.outstanding(b.ID)).toBe(db.token)
    expect(broker.stats().totalUnacked).toBe(2)
    try {
      broker.ack(a.ID, 'x')
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_EVAL_TOKEN_MISMATCH', evalId: a.ID })
    }
  })

  it('holds a re-enqueue under the outstanding token until ack', () => {
    const { broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    const d = broker.tryDequeue(['service'])!
    broker.enqueueAll([[e, d.token]])
    expect(broker.stats().totalReady).toBe(0)
    broker.ack(e.ID, d.token)
    expect(broker.tryDequeue(['service'])?.eval).toBe(e)
  })

  it('drops a re-enqueue under the outstanding token on nack, and ignores one under a stale token', () => {
    const { clock, broker } = setup()
    const e = makeEval()
    broker.enqueue(e)
    const d = broker.tryDequeue(['service'])!
    broker.enqueueAll([[e, d.token]])
    broker.nack(e.ID, d.token)
    clock.advance(1000)
    const again = broker.tryDequeue(['service'])!
    broker.enqueueAll([[e, d.token]]) // stale token: ignored
    broker.ack(e.ID, again.token)
    expect(broker.stats()).toMatchObject({ totalReady: 0, totalWaiting: 0, totalUnacked: 0 })
  })
})

describe('blocking dequeue', () => {
  it('wakes a waiting scheduler when work arrives, serving waiters in order', async () => {
    const { broker } = setup()
    const first = track(broker.dequeue(['service']))
    const second = track(broker.dequeue(['batch', 'service']))
    await flushMicrotasks()
    expect(first.settled).toBe(false)
    const e = makeEval()
    broker.enqueue(e)
    await flushMicrotasks()
    expect(first.value?.eval).toBe(e)
    expect(second.settled).toBe(false)
    broker.enqueue(makeEval({ Type: 'batch' }))
    await flushMicrotasks()
    expect(second.value?.eval.Type).toBe('batch')
  })

  it('gives a waiter the highest-priority eval of an enqueueAll batch', async () => {
    const { broker } = setup()
    const waiting = track(broker.dequeue(['service']))
    const low = makeEval({ Priority: 10 })
    const high = makeEval({ Priority: 90 })
    broker.enqueueAll([[low, ''], [high, '']])
    await flushMicrotasks()
    expect(waiting.value?.eval).toBe(high)
  })

  it('resolves undefined on timeout, rejects on abort and when the broker is disabled', async () => {
    const { clock, broker } = setup()
    const timed = track(broker.dequeue(['service'], { timeout: 1000 }))
    const controller = new AbortController()
    const aborted = track(broker.dequeue(['service'], { signal: controller.signal }))
    const forever = track(broker.dequeue(['service']))
    clock.advance(1000)
    await flushMicrotasks()
    expect(timed).toMatchObject({ settled: true, value: undefined })
    controller.abort(new Error('stop'))
    await flushMicrotasks()
    expect((aborted.error as Error).message).toBe('stop')
    expect(forever.settled).toBe(false)
    broker.setEnabled(false)
    await flushMicrotasks()
    expect(forever.error).toBeInstanceOf(BrokerDisabledError)
    expect(clock.pending()).toBe(0)
    await expect(broker.dequeue(['service'], { signal: AbortSignal.abort(new Error('x')) })).rejects.toThrow(
      'eval broker disabled',
    )
  })

  it('does not hand work to a caller whose signal is already aborted', async () => {
    const { broker } = setup()
    broker.enqueue(makeEval())
    await expect(broker.dequeue(['service'], { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone')
    expect(broker.stats()).toMatchObject({ totalReady: 1, totalUnacked: 0 })
  })

  it('flushes everything when disabled and leaves no timer', () => {
    const { clock, broker } = setup()
    broker.enqueue(makeEval({ Wait: 10_000_000_000 }))
    broker.enqueue(makeEval())
    broker.enqueue(makeEval())
    broker.tryDequeue(['service'])
    expect(clock.pending()).toBeGreaterThan(0)
    broker.stop()
    broker.stop()
    expect(clock.pending()).toBe(0)
    broker.setEnabled(true)
    expect(broker.stats()).toEqual({ totalReady: 0, totalUnacked: 0, totalBlocked: 0, totalWaiting: 0, byScheduler: {} })
  })
})

describe('options and metrics', () => {
  it('rejects invalid options, naming the option', () => {
    expect(() => new EvalBroker({}, { nackTimeoutMs: -1 })).toThrow(InvalidOptionError)
    expect(() => new EvalBroker({}, { deliveryLimit: 0 })).toThrow(/deliveryLimit/)
    expect(() => new EvalBroker({}, { subsequentNackDelayMs: Number.NaN })).toThrow(/subsequentNackDelayMs/)
  })

  it('emits Nomad\'s broker gauges', () => {
    const metrics = new InmemMetrics()
    const broker = new EvalBroker({ clock: new SimClock(), metrics })
    broker.setEnabled(true)
    broker.enqueue(makeEval())
    broker.emitStats()
    expect(metrics.gauges.get('nomad.broker.total_ready')).toBe(1)
    expect(metrics.gauges.get('nomad.broker.service.ready')).toBe(1)
  })
})

describe('scheduler lists', () => {
  it('follows a caller that changes its scheduler list between dequeues', () => {
    const { broker } = setup()
    const schedulers = ['service']
    broker.enqueue(makeEval({ Type: 'batch' }))
    expect(broker.tryDequeue(schedulers)).toBeUndefined()
    schedulers.push('batch')
    expect(broker.tryDequeue(schedulers)?.eval.Type).toBe('batch')
    broker.enqueue(makeEval({ Type: 'system' }))
    schedulers[0] = 'system'
    expect(broker.tryDequeue(schedulers)?.eval.Type).toBe('system')
  })
})
