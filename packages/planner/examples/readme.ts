import { mockAlloc, mockNode, type Allocation, type Node, type Plan } from '@nomadic/structs'
import { PlanApplier, PlanQueue, type PlanSnapshot } from '@nomadic/planner'

// The committed state: one ready node (4000 MHz, 100 reserved) and no allocations yet.
const node: Node = mockNode()
const allocs = new Map<string, Allocation>()
let index = 1
const snapshot = async (): Promise<PlanSnapshot> => {
  const copy = [...allocs.values()]
  return {
    latestIndex: () => index,
    nodeByID: (id) => (id === node.ID ? node : undefined),
    allocsByNode: (id) => copy.filter((a) => a.NodeID === id),
    allocByID: (id) => allocs.get(id),
  }
}

// The leader enables the queue and starts the applier; `apply` would go through Raft.
const queue = new PlanQueue()
queue.setEnabled(true)
const applier = new PlanApplier({
  queue,
  snapshot,
  apply: async (_plan, result) => {
    for (const placed of Object.values(result.NodeAllocation ?? {}).flat()) allocs.set(placed.ID, placed)
    return ++index
  },
})
applier.start()

// Two schedulers each place 3000 MHz on the same node: only the first fits.
const place = (EvalID: string): Plan => {
  const alloc = { ...mockAlloc(), NodeID: node.ID }
  alloc.AllocatedResources!.Tasks!.web!.Cpu.CpuShares = 3000
  return { EvalID, EvalToken: '', Priority: 50, AllAtOnce: false, SnapshotIndex: 1, NodeAllocation: { [node.ID]: [alloc] } }
}
const [first, second] = await Promise.all([queue.enqueue(place('eval-1')), queue.enqueue(place('eval-2'))])
await applier.stop()
queue.setEnabled(false)

export const result = {
  firstPlaced: Object.keys(first.NodeAllocation ?? {}).length, // 1
  secondPlaced: Object.keys(second.NodeAllocation ?? {}).length, // 0
  secondMustRefreshTo: second.RefreshIndex, // 2: the index that holds the first plan
}
