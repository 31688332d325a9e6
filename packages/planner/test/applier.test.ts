import { describe, expect, it } from 'vitest'
import type { PlanResult } from '@nomadic/structs'
import { PlanApplier, PlanQueue, PlannerError, type PlanSnapshot } from '../src/index.js'
import { allocOn, emptyPlan, MemSnapshot } from './fixtures.js'

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void
  let reject!: (e: Error) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('PlanApplier', () => {
  it('evaluates the next plan while the previous commits, against a snapshot that holds it', async () => {
    const snap = new MemSnapshot()
    const node = snap.addNode()
    const queue = new PlanQueue()
    queue.setEnabled(true)
    const commits: Array<{ result: PlanResult; done: ReturnType<typeof deferred<number>> }> = []
    let snapshots = 0
    const applier = new PlanApplier({
      queue,
      snapshot: async (): Promise<PlanSnapshot> => { snapshots++; return snap },
      apply: (_plan, result) => {
        const done = deferred<number>()
        commits.push({ result, done })
        return done.promise
      },
    })
    applier.start()
    // Each plan asks for 3000 of the node's 3900 MHz: the second must not fit on top of the first.
    const first = queue.enqueue(emptyPlan({ EvalID: 'one', NodeAllocation: { [node.ID]: [allocOn(node, 3000, 100)] } }))
    await tick()
    expect(commits).toHaveLength(1)
    const second = queue.enqueue(emptyPlan({ EvalID: 'two', NodeAllocation: { [node.ID]: [allocOn(node, 3000, 100)] } }))
    await tick()
    // The second plan was evaluated against plan one (still committing) and nothing of it fits;
    // its answer waits for plan one so that its refresh index covers plan one's placements.
    let secondResult: PlanResult | undefined
    void second.then((r) => { secondResult = r })
    await tick()
    expect(secondResult).toBeUndefined()
    expect(commits).toHaveLength(1)
    commits[0]!.done.resolve(11)
    expect((await first).AllocIndex).toBe(11)
    await second
    expect(secondResult!.NodeAllocation).toEqual({})
    expect(secondResult!.RefreshIndex).toBe(11)
    await applier.stop()
    expect(snapshots).toBe(1)
  })

  it('commits plans in order: the next apply starts only after the previous finished', async () => {
    const snap = new MemSnapshot()
    const a = snap.addNode()
    const b = snap.addNode()
    const queue = new PlanQueue()
    queue.setEnabled(true)
    const started: string[] = []
    const finishes: Array<ReturnType<typeof deferred<number>>> = []
    const applier = new PlanApplier({
      queue,
      snapshot: async () => snap,
      apply: (plan) => {
        started.push(plan.EvalID)
        const done = deferred<number>()
        finishes.push(done)
        return done.promise
      },
    })
    applier.start()
    const one = queue.enqueue(emptyPlan({ EvalID: 'one', NodeAllocation: { [a.ID]: [allocOn(a)] } }))
    const two = queue.enqueue(emptyPlan({ EvalID: 'two', NodeAllocation: { [b.ID]: [allocOn(b)] } }))
    for (let i = 0; i < 5; i++) await tick()
    expect(started).toEqual(['one'])
    finishes[0]!.resolve(20)
    await one
    for (let i = 0; i < 5; i++) await tick()
    expect(started).toEqual(['one', 'two'])
    finishes[1]!.resolve(21)
    expect((await two).AllocIndex).toBe(21)
    await applier.stop()
  })

  it('answers a failed commit with an error and keeps going', async () => {
    const snap = new MemSnapshot()
    const node = snap.addNode()
    const queue = new PlanQueue()
    queue.setEnabled(true)
    let calls = 0
    const applier = new PlanApplier({
      queue,
      snapshot: async () => snap,
      apply: async () => {
        if (++calls === 1) throw new Error('raft: leadership lost')
        return 30
      },
    })
    applier.start()
    const failed = queue.enqueue(emptyPlan({ NodeAllocation: { [node.ID]: [allocOn(node)] } }))
    await expect(failed).rejects.toMatchObject({ code: 'PLAN_APPLY_FAILED' })
    await expect(failed).rejects.toBeInstanceOf(PlannerError)
    const next = await queue.enqueue(emptyPlan({ NodeAllocation: { [node.ID]: [allocOn(node)] } }))
    expect(next.AllocIndex).toBe(30)
    await applier.stop()
    await applier.stop()
  })

  it('rejects a bad concurrency at construction, naming the option', () => {
    expect(() => new PlanApplier({ queue: new PlanQueue(), snapshot: async () => new MemSnapshot(), apply: async () => 1, concurrency: 0 }))
      .toThrow(/concurrency/)
  })
})
