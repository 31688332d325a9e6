import type { Allocation, Node, PlanResult } from '@nomadic/structs'
import { AllocDesiredStatusEvict, AllocDesiredStatusStop } from '@nomadic/structs'

/**
 * The part of a state snapshot the plan applier reads. The state store's snapshots implement it;
 * so does {@link OptimisticSnapshot}, which layers a plan that is still being committed on top.
 */
export interface PlanSnapshot {
  /** The Raft index that last changed the table (for a partial commit's RefreshIndex). */
  latestIndex(table: 'allocs' | 'nodes'): number
  nodeByID(id: string): Node | undefined
  /** Every allocation on the node, terminal ones included. */
  allocsByNode(nodeID: string): readonly Allocation[]
  allocByID(id: string): Allocation | undefined
}

/**
 * A snapshot with a plan result applied on top, as the state store will apply it: placed
 * allocations added or replaced, stopped and preempted ones marked so (diffs merged onto the
 * stored allocation). The applier evaluates plan N+1 against this while plan N commits.
 */
export class OptimisticSnapshot implements PlanSnapshot {
  private readonly byNode = new Map<string, Map<string, Allocation>>()
  private readonly byID = new Map<string, Allocation>()

  constructor(private readonly base: PlanSnapshot, result: PlanResult) {
    const mark = (diffs: Record<string, Allocation[]> | null | undefined, desired: string): void => {
      for (const [nodeID, allocs] of Object.entries(diffs ?? {})) {
        for (const diff of allocs) {
          const stored = this.allocByID(diff.ID)
          this.put(nodeID, { ...stored, ...diff, NodeID: nodeID, DesiredStatus: desired } as Allocation)
        }
      }
    }
    mark(result.NodeUpdate, AllocDesiredStatusStop)
    mark(result.NodePreemptions, AllocDesiredStatusEvict)
    for (const [nodeID, allocs] of Object.entries(result.NodeAllocation ?? {})) {
      for (const alloc of allocs) this.put(nodeID, alloc)
    }
  }

  latestIndex(table: 'allocs' | 'nodes'): number {
    return this.base.latestIndex(table)
  }

  nodeByID(id: string): Node | undefined {
    return this.base.nodeByID(id)
  }

  allocsByNode(nodeID: string): readonly Allocation[] {
    const overlay = this.byNode.get(nodeID)
    const base = this.base.allocsByNode(nodeID)
    if (overlay === undefined) return base
    const out = base.filter((a) => !overlay.has(a.ID))
    for (const alloc of overlay.values()) out.push(alloc)
    return out
  }

  allocByID(id: string): Allocation | undefined {
    return this.byID.get(id) ?? this.base.allocByID(id)
  }

  private put(nodeID: string, alloc: Allocation): void {
    let node = this.byNode.get(nodeID)
    if (node === undefined) this.byNode.set(nodeID, (node = new Map()))
    node.set(alloc.ID, alloc)
    this.byID.set(alloc.ID, alloc)
  }
}
