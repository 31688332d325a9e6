import { describe, expect, it } from 'vitest'
import { RestoreError, SnapshotType, StateStore, WatchSet, type SnapshotRecord } from '../src/index.js'
import { mockAlloc, mockDeployment, mockEval, mockJob, mockNode } from './mock.js'

/** A store with a row in every table. */
function populated(): StateStore {
  const store = new StateStore()
  const node = mockNode()
  store.upsertNode(1, node)
  store.upsertJob(2, mockJob())
  const job = store.snapshot().jobs()[0]!
  store.upsertJob(3, job)
  const d = mockDeployment(job)
  store.upsertDeployment(4, d)
  store.upsertEvals(5, [mockEval({ JobID: job.ID })])
  store.upsertAllocs(6, [mockAlloc(job, { NodeID: node.ID, DeploymentID: d.ID })])
  store.upsertPeriodicLaunch(7, { ID: job.ID, Namespace: 'default', Launch: new Date(7), CreateIndex: 0, ModifyIndex: 0 })
  store.upsertACLPolicies(8, [{ Name: 'p', Description: '', Rules: '', CreateIndex: 0, ModifyIndex: 0 }])
  store.upsertACLTokens(9, [{ AccessorID: 'a', SecretID: 's', Name: '', Type: 'client', Policies: ['p'], Global: false, CreateTime: new Date(0), CreateIndex: 0, ModifyIndex: 0 }])
  store.schedulerSetConfig(10, { SchedulerAlgorithm: 'spread', PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false }, CreateIndex: 0, ModifyIndex: 0 })
  store.clusterSetMetadata(11, { ClusterID: 'cid', CreateTime: 1 })
  return store
}

describe('snapshot isolation', () => {
  it('a snapshot never sees later writes of any kind', () => {
    const store = populated()
    const snap = store.snapshot()
    const records = [...snap.records()]
    const job = snap.jobs()[0]!
    store.upsertNode(20, mockNode())
    store.upsertAllocs(21, [mockAlloc(job)])
    store.deleteJob(22, 'default', job.ID)
    store.deleteNode(23, [snap.nodes()[0]!.ID])
    expect([...snap.records()]).toEqual(records)
    expect(snap.latestIndex()).toBe(11)
    expect(store.latestIndex()).toBe(23)
  })

  it('toStore() forks a writable store that shares data but not writes', () => {
    const store = populated()
    const fork = store.snapshot().toStore()
    fork.upsertNode(50, mockNode())
    expect(fork.snapshot().nodes().length).toBe(2)
    expect(store.snapshot().nodes().length).toBe(1)
  })
})

describe('snapshot and restore', () => {
  it('round-trips equal record by record, covering every record type', () => {
    const store = populated()
    const records = [...store.snapshot().records()]
    const types = new Set(records.map((r) => r.type))
    for (const t of Object.values(SnapshotType)) expect(types.has(t)).toBe(true)
    const restored = StateStore.restore(records)
    const again = [...restored.snapshot().records()]
    expect(again.length).toBe(records.length)
    again.forEach((r, i) => expect(r).toEqual(records[i]))
    expect(restored.latestIndex()).toBe(store.latestIndex())
    const job = store.snapshot().jobs()[0]!
    expect(restored.snapshot().allocsByJob('default', job.ID, true).length).toBe(1)
  })

  it('restores from an async stream', async () => {
    const records = [...populated().snapshot().records()]
    async function* stream(): AsyncGenerator<SnapshotRecord> {
      for (const r of records) yield r
    }
    const restored = await StateStore.restoreAsync(stream())
    expect([...restored.snapshot().records()]).toEqual(records)
  })

  it('rejects malformed records with the record number, building no store', () => {
    const records: unknown[] = [...populated().snapshot().records()]
    const bad: Array<[unknown, RegExp]> = [
      [null, /not an object/],
      [{ type: 99, value: {} }, /unrecognized snapshot type 99/],
      [{ type: 'x', value: {} }, /missing record type/],
      [{ type: SnapshotType.Node, value: 'node' }, /value is not an object/],
      [{ type: SnapshotType.Alloc, value: { ID: 'a' } }, /field Namespace is not a string/],
      [{ type: SnapshotType.Index, value: { Key: 'nodes', Value: -1 } }, /field Value is not an index/],
    ]
    for (const [record, message] of bad) {
      const stream = [...records.slice(0, 3), record, ...records.slice(3)]
      let err: unknown
      try {
        StateStore.restore(stream)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(RestoreError)
      expect((err as RestoreError).code).toBe('ERR_STATE_RESTORE')
      expect((err as RestoreError).recordNumber).toBe(3)
      expect((err as Error).message).toMatch(message)
    }
  })

  it('rejects records that break a unique index', () => {
    const a = mockNode()
    const b = mockNode({ SecretID: a.SecretID })
    expect(() => StateStore.restore([{ type: SnapshotType.Node, value: a }, { type: SnapshotType.Node, value: b }])).toThrow(RestoreError)
  })

  it('abandoning the old store wakes its blocking queries', async () => {
    const store = populated()
    const ws = new WatchSet()
    store.snapshot().nodes(ws)
    const woke = ws.wait()
    const fresh = StateStore.restore(store.snapshot().records())
    store.abandon()
    expect(await woke).toBe('abandoned')
    expect(store.abandoned).toBe(true)
    expect(fresh.abandoned).toBe(false)
  })
})
