import { describe, expect, it } from 'vitest'
import { IndexBackwardsError, InvalidInputError, MAX_RETAINED_NODE_EVENTS, NotFoundError, StateStore } from '../src/index.js'
import { mockNode } from './mock.js'

const event = (Message: string) => ({ Message, Subsystem: 'Cluster', Details: null, Timestamp: new Date(0), CreateIndex: 0 })

describe('nodes', () => {
  it('registers a node with its indexes, a registration event and the table index', () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1000, node)
    const snap = store.snapshot()
    const got = snap.nodeByID(node.ID)!
    expect(got.CreateIndex).toBe(1000)
    expect(got.ModifyIndex).toBe(1000)
    expect(got.Events?.map((e) => e.Message)).toEqual(['Node registered'])
    expect(snap.nodeBySecretID(node.SecretID)?.ID).toBe(node.ID)
    expect(snap.nodesByIDPrefix(node.ID.slice(0, 30)).map((n) => n.ID)).toEqual([node.ID])
    expect(snap.index('nodes')).toBe(1000)
    expect(store.latestIndex()).toBe(1000)
    expect(node.CreateIndex).toBe(0) // the caller's object is not mutated
  })

  it('keeps CreateIndex, drain, eligibility and events when a node re-registers', () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(10, node)
    store.updateNodeDrain(11, node.ID, { Deadline: 1, IgnoreSystemJobs: false, ForceDeadline: new Date(0), StartedAt: new Date(0) }, false, 5)
    store.updateNodeStatus(12, node.ID, 'down', 6)
    store.upsertNode(13, { ...node, Status: 'ready', Drain: false, SchedulingEligibility: 'eligible', DrainStrategy: null })
    const got = store.snapshot().nodeByID(node.ID)!
    expect(got.CreateIndex).toBe(10)
    expect(got.ModifyIndex).toBe(13)
    expect(got.Drain).toBe(true)
    expect(got.SchedulingEligibility).toBe('ineligible')
    expect(got.DrainStrategy).not.toBeNull()
    expect(got.Events?.map((e) => e.Message)).toEqual(['Node registered', 'Node re-registered'])
  })

  it('deletes nodes and refuses unknown IDs without changing anything', () => {
    const store = new StateStore()
    const a = mockNode()
    const b = mockNode()
    store.upsertNode(1, a)
    store.upsertNode(2, b)
    expect(() => store.deleteNode(3, [a.ID, 'missing'])).toThrow(NotFoundError)
    expect(store.snapshot().nodes().length).toBe(2)
    expect(store.index('nodes')).toBe(2)
    expect(() => store.deleteNode(3, [])).toThrow(InvalidInputError)
    store.deleteNode(4, [a.ID])
    expect(store.snapshot().nodes().map((n) => n.ID)).toEqual([b.ID])
    expect(store.snapshot().nodeBySecretID(a.SecretID)).toBeUndefined()
    expect(store.index('nodes')).toBe(4)
  })

  it('updates status with an event, keeping the last ten events', () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1, node)
    for (let i = 0; i < 12; i++) store.updateNodeStatus(2 + i, node.ID, i % 2 ? 'ready' : 'down', 100 + i, event(`e${i}`))
    const got = store.snapshot().nodeByID(node.ID)!
    expect(got.Status).toBe('ready')
    expect(got.StatusUpdatedAt).toBe(111)
    expect(got.ModifyIndex).toBe(13)
    expect(got.Events!.length).toBe(MAX_RETAINED_NODE_EVENTS)
    expect(got.Events!.at(-1)).toMatchObject({ Message: 'e11', CreateIndex: 13 })
    expect(() => store.updateNodeStatus(14, 'missing', 'down', 0)).toThrow('node not found')
  })

  it('drains: a drain makes the node ineligible; ending it can mark it eligible', () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1, node)
    const drain = { Deadline: 60e9, IgnoreSystemJobs: true, ForceDeadline: new Date(0), StartedAt: new Date(0) }
    store.updateNodeDrain(2, node.ID, drain, false, 7)
    let got = store.snapshot().nodeByID(node.ID)!
    expect(got).toMatchObject({ Drain: true, SchedulingEligibility: 'ineligible', StatusUpdatedAt: 7, ModifyIndex: 2 })
    store.updateNodeDrain(3, node.ID, null, false, 8)
    got = store.snapshot().nodeByID(node.ID)!
    expect(got).toMatchObject({ Drain: false, DrainStrategy: null, SchedulingEligibility: 'ineligible' })
    store.updateNodeDrain(4, node.ID, null, true, 9)
    expect(store.snapshot().nodeByID(node.ID)!.SchedulingEligibility).toBe('eligible')
  })

  it('sets eligibility, but not eligible while draining, and only known values', () => {
    const store = new StateStore()
    const node = mockNode()
    store.upsertNode(1, node)
    store.updateNodeEligibility(2, node.ID, 'ineligible', 3)
    expect(store.snapshot().nodeByID(node.ID)!.SchedulingEligibility).toBe('ineligible')
    expect(() => store.updateNodeEligibility(3, node.ID, 'maybe', 3)).toThrow(/invalid scheduling eligibility/)
    store.updateNodeDrain(3, node.ID, { Deadline: 1, IgnoreSystemJobs: false, ForceDeadline: new Date(0), StartedAt: new Date(0) }, false, 3)
    expect(() => store.updateNodeEligibility(4, node.ID, 'eligible', 4)).toThrow(/while it is draining/)
    expect(store.snapshot().nodeByID(node.ID)!.ModifyIndex).toBe(3)
  })

  it('refuses an index lower than one already applied and invalid indexes', () => {
    const store = new StateStore()
    store.upsertNode(10, mockNode())
    const before = store.snapshot()
    expect(() => store.upsertNode(9, mockNode())).toThrow(IndexBackwardsError)
    expect(() => store.upsertNode(0, mockNode())).toThrow(InvalidInputError)
    expect(() => store.upsertNode(1.5, mockNode())).toThrow(InvalidInputError)
    expect(store.snapshot().nodes()).toEqual(before.nodes())
    store.upsertNode(10, mockNode()) // the same index twice is allowed: one Raft entry may write twice
    expect(store.snapshot().nodes().length).toBe(2)
  })
})
