import type { Evaluation } from '@nomadic/structs'
import { flushMicrotasks, SeededRandom, SimClock } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import { BlockedEvals, EvalBroker, InvalidOptionError } from '../src/index.js'
import { makeEval, track } from './helpers.js'

function setup() {
  const clock = new SimClock()
  const broker = new EvalBroker({ clock, random: new SeededRandom(7) })
  const blocked = new BlockedEvals({ broker, clock })
  broker.setEnabled(true)
  blocked.setEnabled(true)
  return { clock, broker, blocked }
}

/** Evals the broker holds ready, by ID (drains the given queues). */
function drainReady(broker: EvalBroker, queues = ['service', 'batch', 'system']): string[] {
  const ids: string[] = []
  for (let d = broker.tryDequeue(queues); d !== undefined; d = broker.tryDequeue(queues)) {
    ids.push(d.eval.ID)
    broker.ack(d.eval.ID, d.token)
  }
  return ids.sort()
}

function blockedEval(fields: Partial<Evaluation> = {}): Evaluation {
  return makeEval({ Status: 'blocked', SnapshotIndex: 100, ...fields })
}

describe('BlockedEvals: captured and escaped', () => {
  it('releases captured evals for a class they are eligible for or never saw, not for one they cannot use', async () => {
    const { broker, blocked } = setup()
    const eligible = blockedEval({ ClassEligibility: { 'v1:1': true, 'v1:2': false } })
    const ineligible = blockedEval({ ClassEligibility: { 'v1:1': false } })
    const unseen = blockedEval({ ClassEligibility: { 'v1:3': false } })
    for (const e of [eligible, ineligible, unseen]) blocked.block(e)
    expect(blocked.stats()).toMatchObject({ totalBlocked: 3, totalEscaped: 0 })
    blocked.unblock('v1:1', 200)
    expect(broker.stats().totalReady).toBe(0) // released asynchronously
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([eligible.ID, unseen.ID].sort())
    expect(blocked.stats().totalBlocked).toBe(1)
  })

  it('releases escaped evals on any class change', async () => {
    const { broker, blocked } = setup()
    const escaped = blockedEval({ EscapedComputedClass: true, ClassEligibility: { 'v1:1': false } })
    blocked.block(escaped)
    expect(blocked.stats()).toMatchObject({ totalBlocked: 1, totalEscaped: 1 })
    blocked.unblock('v1:1', 200)
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([escaped.ID])
    expect(blocked.stats()).toMatchObject({ totalBlocked: 0, totalEscaped: 0 })
  })

  it('releases quota-blocked evals on their quota only', async () => {
    const { broker, blocked } = setup()
    const q1 = blockedEval({ QuotaLimitReached: 'q1' })
    const q2 = blockedEval({ QuotaLimitReached: 'q2' })
    blocked.block(q1)
    blocked.block(q2)
    expect(blocked.stats().totalQuotaLimit).toBe(2)
    blocked.unblockQuota('q1', 200)
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([q1.ID])
    blocked.unblockClassAndQuota('v1:9', 'q2', 201)
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([q2.ID])
    expect(blocked.stats().totalQuotaLimit).toBe(0)
  })

  it('releases evals blocked after max plan attempts on unblockFailed', () => {
    const { broker, blocked } = setup()
    const failed = blockedEval({ TriggeredBy: 'max-plan-attempts' })
    const failedEscaped = blockedEval({ TriggeredBy: 'max-plan-attempts', EscapedComputedClass: true })
    const other = blockedEval()
    for (const e of [failed, failedEscaped, other]) blocked.block(e)
    blocked.unblockFailed()
    expect(drainReady(broker)).toEqual([failed.ID, failedEscaped.ID].sort())
    expect(blocked.stats()).toMatchObject({ totalBlocked: 1, totalEscaped: 0 })
  })

  it('untracks a job', async () => {
    const { broker, blocked } = setup()
    const e = blockedEval({ JobID: 'web' })
    blocked.block(e)
    blocked.untrack('web', 'other-namespace')
    expect(blocked.stats().totalBlocked).toBe(1)
    blocked.untrack('web', 'default')
    expect(blocked.stats().totalBlocked).toBe(0)
    blocked.unblock('v1:1', 500)
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([])
  })
})

describe('BlockedEvals: system evals per node', () => {
  it('keeps one blocked eval per job and node and releases them by node', () => {
    const { broker, blocked } = setup()
    const n1 = blockedEval({ Type: 'system', JobID: 'agent', NodeID: 'n1' })
    const n2 = blockedEval({ Type: 'system', JobID: 'agent', NodeID: 'n2' })
    const n1Newer = blockedEval({ Type: 'system', JobID: 'agent', NodeID: 'n1', SnapshotIndex: 150 })
    for (const e of [n1, n2, n1Newer]) blocked.block(e)
    expect(blocked.stats()).toMatchObject({ totalBlocked: 2, totalSystem: 2 })
    blocked.unblockNode('n1', 300)
    // The broker serializes a job's evals: one ready per job at a time.
    expect(drainReady(broker)).toEqual([n1Newer.ID])
    expect(blocked.stats()).toMatchObject({ totalBlocked: 1, totalSystem: 1 })
    blocked.block(blockedEval({ Type: 'system', JobID: 'agent' })) // the job-level eval, no node
    blocked.block(blockedEval({ Type: 'system', JobID: 'agent', NodeID: 'n3', EscapedComputedClass: true }))
    expect(blocked.stats()).toMatchObject({ totalBlocked: 3, totalSystem: 2, totalEscaped: 1 })
    blocked.unblockNode('n3')
    expect(drainReady(broker)).toHaveLength(1)
    blocked.block(blockedEval({ Type: 'system', JobID: 'agent', NodeID: 'n4', EscapedComputedClass: true }))
    expect(blocked.stats()).toMatchObject({ totalBlocked: 3, totalEscaped: 1 })
    blocked.untrack('agent', 'default')
    expect(blocked.stats()).toMatchObject({ totalBlocked: 0, totalSystem: 0 })
  })
})

describe('BlockedEvals: duplicates', () => {
  // hashicorp/nomad#13933, #13468, PR #14621: node events create an eval per job each time, and
  // blocked evals pile up. The tracker keeps one per job and hands the rest out for cancelling.
  it('keeps one blocked eval per job however many arrive, and hands out the rest (Nomad #13933)', async () => {
    const { clock, blocked } = setup()
    const evals = Array.from({ length: 1000 }, (_, i) =>
      blockedEval({ JobID: 'sys-job', SnapshotIndex: 100 + i, TriggeredBy: 'node-update' }),
    )
    for (const e of evals) blocked.block(e)
    expect(blocked.stats().totalBlocked).toBe(1)
    const dups = await blocked.getDuplicates()
    expect(dups).toHaveLength(999)
    expect(new Set(dups.map((e) => e.ID))).toEqual(new Set(evals.slice(0, 999).map((e) => e.ID)))
    const none = track(blocked.getDuplicates({ timeout: 10 }))
    clock.advance(10)
    await flushMicrotasks()
    expect(none.value).toEqual([])
  })

  it('treats an older arrival as the duplicate', async () => {
    const { blocked } = setup()
    const newer = blockedEval({ JobID: 'j', SnapshotIndex: 500 })
    const older = blockedEval({ JobID: 'j', SnapshotIndex: 10, CreateIndex: 5 })
    blocked.block(newer)
    blocked.block(older)
    expect(await blocked.getDuplicates()).toEqual([older])
    blocked.untrack('j', 'default')
    expect(blocked.stats().totalBlocked).toBe(0)
  })

  it('wakes a waiting getDuplicates, times out with [], and returns [] when disabled', async () => {
    const { clock, blocked } = setup()
    const waiting = track(blocked.getDuplicates({ timeout: 1000 }))
    blocked.block(blockedEval({ JobID: 'x' }))
    blocked.block(blockedEval({ JobID: 'x', SnapshotIndex: 200 }))
    await flushMicrotasks()
    expect((waiting.value as Evaluation[]).length).toBe(1)
    const timed = track(blocked.getDuplicates({ timeout: 1000 }))
    clock.advance(1000)
    await flushMicrotasks()
    expect(timed.value).toEqual([])
    const controller = new AbortController()
    const aborted = track(blocked.getDuplicates({ signal: controller.signal }))
    controller.abort(new Error('bye'))
    await flushMicrotasks()
    expect((aborted.error as Error).message).toBe('bye')
    const pending = track(blocked.getDuplicates())
    blocked.setEnabled(false)
    await flushMicrotasks()
    expect(pending.value).toEqual([])
    expect(clock.pending()).toBe(0)
  })
})

describe('BlockedEvals: missed unblocks', () => {
  it('re-enqueues at once an eval whose snapshot predates an unblock of a usable class', async () => {
    const { broker, blocked } = setup()
    blocked.unblock('v1:1', 200)
    await flushMicrotasks()
    const stale = blockedEval({ SnapshotIndex: 150, ClassEligibility: { 'v1:1': true } })
    const fresh = blockedEval({ SnapshotIndex: 250, ClassEligibility: { 'v1:1': true } })
    const cannotUse = blockedEval({ SnapshotIndex: 150, ClassEligibility: { 'v1:1': false } })
    const neverSaw = blockedEval({ SnapshotIndex: 150, ClassEligibility: { 'v1:7': true } })
    for (const e of [stale, fresh, cannotUse, neverSaw]) blocked.block(e)
    expect(drainReady(broker)).toEqual([stale.ID, neverSaw.ID].sort())
    expect(blocked.stats().totalBlocked).toBe(2)
  })

  it('checks quota evals against their quota and escaped evals against any unblock', async () => {
    const { broker, blocked } = setup()
    blocked.unblockClassAndQuota('v1:1', 'q1', 300)
    await flushMicrotasks()
    const quotaStale = blockedEval({ SnapshotIndex: 250, QuotaLimitReached: 'q1' })
    const otherQuota = blockedEval({ SnapshotIndex: 250, QuotaLimitReached: 'q2' })
    const escaped = blockedEval({ SnapshotIndex: 250, EscapedComputedClass: true, ClassEligibility: { 'v1:1': false } })
    for (const e of [quotaStale, otherQuota, escaped]) blocked.block(e)
    expect(drainReady(broker)).toEqual([quotaStale.ID, escaped.ID].sort())
  })

  it('holds a reblocked outstanding eval in the broker until its delivery is acked', () => {
    const { broker, blocked } = setup()
    blocked.unblock('v1:1', 200)
    const e = makeEval({ SnapshotIndex: 100 })
    broker.enqueue(e)
    const d = broker.tryDequeue(['service'])!
    blocked.reblock({ ...e, Status: 'blocked' }, d.token)
    expect(broker.stats().totalReady).toBe(0)
    broker.ack(e.ID, d.token)
    expect(broker.tryDequeue(['service'])?.eval.ID).toBe(e.ID)
  })

  it('prunes unblock indexes older than 15 minutes every 5 minutes', async () => {
    const { clock, broker, blocked } = setup()
    blocked.unblock('v1:1', 200)
    await flushMicrotasks()
    clock.advance(10 * 60_000)
    expect(blocked.stats().unblockIndexes).toBe(1)
    clock.advance(10 * 60_000)
    expect(blocked.stats().unblockIndexes).toBe(0)
    blocked.block(blockedEval({ SnapshotIndex: 150, ClassEligibility: { 'v1:1': true } }))
    expect(drainReady(broker)).toEqual([])
    expect(blocked.stats().totalBlocked).toBe(1)
  })
})

describe('BlockedEvals: capacity changes never block the caller', () => {
  it('accepts a flood of unblocks synchronously and coalesces them by class', async () => {
    const { broker, blocked } = setup()
    let enqueueAllCalls = 0
    const original = broker.enqueueAll.bind(broker)
    broker.enqueueAll = (evals) => {
      enqueueAllCalls++
      original(evals)
    }
    const e = blockedEval({ ClassEligibility: { 'v1:1': true } })
    blocked.block(e)
    for (let i = 0; i < 100_000; i++) blocked.unblock(`v1:${i % 3}`, 1000 + i)
    expect(blocked.stats().totalBlocked).toBe(1)
    await flushMicrotasks()
    expect(enqueueAllCalls).toBe(1)
    expect(drainReady(broker)).toEqual([e.ID])
    expect(blocked.stats().unblockIndexes).toBe(3)
  })

  it('drops queued changes when disabled and ignores everything while disabled', async () => {
    const { clock, broker, blocked } = setup()
    blocked.block(blockedEval())
    blocked.unblock('v1:1', 200)
    blocked.setEnabled(false)
    blocked.setEnabled(true)
    await flushMicrotasks()
    expect(drainReady(broker)).toEqual([])
    blocked.stop()
    blocked.block(blockedEval())
    blocked.unblock('v1:1', 300)
    blocked.unblockNode('n1')
    blocked.unblockFailed()
    blocked.untrack('x', 'default')
    expect(await blocked.getDuplicates()).toEqual([])
    expect(blocked.stats()).toEqual({ totalBlocked: 0, totalEscaped: 0, totalQuotaLimit: 0, totalSystem: 0, unblockIndexes: 0 })
    broker.stop()
    expect(clock.pending()).toBe(0)
  })

  it('rejects invalid options', () => {
    const broker = new EvalBroker()
    expect(() => new BlockedEvals({ broker }, { pruneIntervalMs: 0 })).toThrow(InvalidOptionError)
    expect(() => new BlockedEvals({ broker }, { pruneThresholdMs: -1 })).toThrow(/pruneThresholdMs/)
  })
})
