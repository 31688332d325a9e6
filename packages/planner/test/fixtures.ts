import type { Allocation, Node, Plan } from '@nomadic/structs'
import { mockAlloc, mockNode } from '@nomadic/structs'
import type { PlanSnapshot } from '../src/index.js'

/** A plain in-memory snapshot for tests. */
export class MemSnapshot implements PlanSnapshot {
  readonly nodes = new Map<string, Node>()
  readonly allocs = new Map<string, Allocation>()
  constructor(public allocsIndex = 10, public nodesIndex = 5) {}

  latestIndex(table: 'allocs' | 'nodes'): number {
    return table === 'allocs' ? this.allocsIndex : this.nodesIndex
  }
  nodeByID(id: string): Node | undefined {
    return this.nodes.get(id)
  }
  allocsByNode(nodeID: string): readonly Allocation[] {
    return [...this.allocs.values()].filter((a) => a.NodeID === nodeID)
  }
  allocByID(id: string): Allocation | undefined {
    return this.allocs.get(id)
  }
  addNode(change: Partial<Node> = {}): Node {
    const node = { ...mockNode(), ...change }
    this.nodes.set(node.ID, node)
    return node
  }
  addAlloc(node: Node, cpu = 500, memory = 256): Allocation {
    const alloc = allocOn(node, cpu, memory)
    this.allocs.set(alloc.ID, alloc)
    return alloc
  }
}

/** An allocation of `cpu` MHz and `memory` MB on the node, with no ports. */
export function allocOn(node: Node, cpu = 500, memory = 256): Allocation {
  const alloc = mockAlloc()
  alloc.NodeID = node.ID
  alloc.Job = null
  alloc.AllocatedResources = {
    Tasks: { web: { Cpu: { CpuShares: cpu }, Memory: { MemoryMB: memory }, Networks: [] } },
    Shared: { DiskMB: 10 },
  }
  return alloc
}

export function emptyPlan(change: Partial<Plan> = {}): Plan {
  return { EvalID: 'e', EvalToken: '', Priority: 50, AllAtOnce: false, SnapshotIndex: 0, NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {}, ...change }
}
