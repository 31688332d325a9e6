import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { StateStore, WatchSet } from '../src/index.js'
import { mockAlloc, mockJob, mockNode } from './mock.js'

describe('blocking queries', () => {
  it('wake on a change of what the query read, not on unrelated changes', async () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1, node)
    store.upsertJob(2, mockJob())
    const job = store.snapshot().jobs()[0]!
    const ws = new WatchSet()
    store.snapshot().allocsByNode(node.ID, ws)
    store.snapshot().nodeByID(node.ID, ws)
    store.upsertAllocs(3, [mockAlloc(job)]) // another node
    store.upsertNode(4, mockNode())
    expect(ws.fired).toBe(false)
    store.upsertAllocs(5, [mockAlloc(job, { NodeID: node.ID })])
    expect(await ws.wait()).toBe('changed')
  })

  it('runs again until the index passes minIndex', async () => {
    const clock = new SimClock(0)
    const store = new StateStore({ clock })
    const node = mockNode()
    store.upsertNode(1, node)
    let runs = 0
    const query = store.blockingQuery({ minIndex: 1, timeoutMs: 60_000 }, (snap, ws) => {
      runs++
      snap.nodes(ws)
      return { index: snap.index('nodes'), value: snap.nodeByID(node.ID)?.Status }
    })
    await Promise.resolve()
    store.updateNodeStatus(2, node.ID, 'down', 9)
    const result = await query
    expect(result).toEqual({ index: 2, value: 'down' })
    expect(runs).toBe(2)
    expect(store.watcherCount).toBe(0)
  })

  it('returns the current result at the timeout', async () => {
    const clock = new SimClock(0)
    const store = new StateStore({ clock })
    store.upsertNode(3, mockNode())
    const query = store.blockingQuery({ minIndex: 3, timeoutMs: 5_000, clock }, (snap, ws) => ({ index: snap.index('nodes', ws), value: snap.nodes(ws).length }))
    await clock.advanceAsync(4_999)
    let done = false
    void query.then(() => (done = true))
    await Promise.resolve()
    expect(done).toBe(false)
    await clock.advanceAsync(1)
    expect(await query).toEqual({ index: 3, value: 1 })
    expect(store.watcherCount).toBe(0)
  })

  it('snapshotMinIndex waits for the index, or times out', async () => {
    const clock = new SimClock(0)
    const store = new StateStore({ clock })
    const waiting = store.snapshotMinIndex(5, { timeoutMs: 1_000, clock })
    store.upsertNode(3, mockNode())
    store.upsertNode(5, mockNode())
    const snap = await waiting
    expect(snap.latestIndex()).toBe(5)
    const late = store.snapshotMinIndex(9, { timeoutMs: 1_000, clock })
    await clock.advanceAsync(1_000)
    await expect(late).rejects.toThrow(/timed out after waiting for index 9/)
  })

  it('measures a write waking a waiter within the same turn', async () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1, node)
    const ws = new WatchSet()
    store.snapshot().nodeByID(node.ID, ws)
    const woke = ws.wait()
    store.updateNodeStatus(2, node.ID, 'down', 1)
    expect(ws.fired).toBe(true)
    expect(await woke).toBe('changed')
  })
})
