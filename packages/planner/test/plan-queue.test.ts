import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import type { Plan, PlanResult } from '@nomadic/structs'
import { PlanQueue, PlanQueueDisabledError } from '../src/index.js'

const plan = (EvalID: string, Priority: number): Plan =>
  ({ EvalID, EvalToken: '', Priority, AllAtOnce: false, SnapshotIndex: 0 }) as Plan
const result = (): PlanResult => ({ RefreshIndex: 0, AllocIndex: 7 })

describe('PlanQueue', () => {
  it('refuses plans while disabled with Nomad\'s text', async () => {
    const queue = new PlanQueue()
    await expect(queue.enqueue(plan('a', 50))).rejects.toThrow('plan queue is disabled')
    await expect(queue.dequeue()).rejects.toBeInstanceOf(PlanQueueDisabledError)
  })

  it('hands out plans by priority, then by arrival', async () => {
    const queue = new PlanQueue()
    queue.setEnabled(true)
    const order = [['low', 10], ['high1', 80], ['mid', 50], ['high2', 80], ['low2', 10]] as const
    for (const [id, p] of order) void queue.enqueue(plan(id, p)).catch(() => {})
    expect(queue.stats().depth).toBe(5)
    const out: string[] = []
    for (let i = 0; i < 5; i++) out.push((await queue.dequeue())!.plan.EvalID)
    expect(out).toEqual(['high1', 'high2', 'mid', 'low', 'low2'])
    expect(queue.stats().depth).toBe(0)
  })

  it('resolves the submitter with the applier\'s answer, once', async () => {
    const queue = new PlanQueue()
    queue.setEnabled(true)
    const submitted = queue.enqueue(plan('a', 50))
    const pending = (await queue.dequeue())!
    pending.respond(result())
    pending.respond(undefined, new Error('late'))
    await expect(submitted).resolves.toEqual(result())
  })

  it('wakes a waiting dequeue, times it out in simulated time, and honours abort', async () => {
    const clock = new SimClock()
    const queue = new PlanQueue({ clock })
    queue.setEnabled(true)
    const waiting = queue.dequeue({ timeoutMs: 1000 })
    void queue.enqueue(plan('a', 50)).catch(() => {})
    expect((await waiting)?.plan.EvalID).toBe('a')

    const timedOut = queue.dequeue({ timeoutMs: 1000 })
    await clock.advanceAsync(999)
    let settled = false
    void timedOut.then(() => { settled = true })
    await clock.advanceAsync(0)
    expect(settled).toBe(false)
    await clock.advanceAsync(1)
    expect(await timedOut).toBeUndefined()

    const ac = new AbortController()
    const aborted = queue.dequeue({ signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    expect(clock.pending()).toBe(0)
  })

  it('fails waiting plans and dequeuers when disabled', async () => {
    const queue = new PlanQueue()
    queue.setEnabled(true)
    const submitted = queue.enqueue(plan('a', 50))
    queue.setEnabled(false)
    await expect(submitted).rejects.toThrow('plan queue is disabled')
    queue.setEnabled(true)
    const waiting = queue.dequeue()
    queue.setEnabled(false)
    await expect(waiting).rejects.toThrow('plan queue is disabled')
    expect(queue.stats().depth).toBe(0)
  })
})
