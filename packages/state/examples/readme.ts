import { mockAlloc, mockJob, mockNode } from '@nomadic/structs'
import { StateStore, WatchSet } from '@nomadic/state'

const store = new StateStore()

// Every write carries the Raft index of the log entry that made it.
const node = mockNode()
store.upsertNode(1000, node)
store.upsertJob(1001, mockJob())
const job = store.snapshot().jobs()[0]!

// A snapshot is O(1) and immutable: later writes never show in it.
const before = store.snapshot()
store.upsertAllocs(1002, [{ ...mockAlloc(), JobID: job.ID, Job: job, NodeID: node.ID }])
const allocsBefore = before.allocsByNode(node.ID).length // 0
const allocsNow = store.snapshot().allocsByNode(node.ID).length // 1
const summary = store.snapshot().jobSummaryByID(job.Namespace, job.ID)!.Summary.web // { Starting: 1, … }

// A blocking query: wait until the node's allocations change (or 5 s pass).
const ws = new WatchSet()
store.snapshot().allocsByNode(node.ID, ws)
const woken = ws.wait({ timeoutMs: 5_000 })
const [alloc] = store.snapshot().allocsByNode(node.ID)
store.updateAllocsFromClient(1003, [{ ...alloc!, ClientStatus: 'running' }])
const reason = await woken // 'changed'

// Snapshot to typed records (what the Raft FSM persists) and restore into a fresh store.
const records = [...store.snapshot().records()]
const restored = StateStore.restore(records)
store.abandon() // blocking queries on the old store wake with 'abandoned'

export const result = {
  allocsBefore,
  allocsNow,
  summary,
  reason,
  records: records.length,
  restoredIndex: restored.latestIndex(),
}
