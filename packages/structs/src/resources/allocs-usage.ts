import type { Allocation } from '../types/allocation.js'
import type { Node } from '../types/node.js'
import { usedCpuMemDisk } from './comparable.js'
import { NetworkIndex } from './network-index.js'

/**
 * What a node's non-terminal allocations use, kept as running totals so that a cache can add
 * allocations to it without walking the ones already counted (what `allocsFit` recomputes).
 */
export interface AllocsUsage {
  /** The node's networks with the allocations' ports and bandwidth marked used. */
  netIdx: NetworkIndex
  /** The node's reserved ports or the allocations' ports collide. */
  collide: boolean
  cpu: number
  memory: number
  disk: number
}

/** The usage of the non-terminal ones of `allocs` on `node` (terminal ones are skipped). */
export function allocsUsage(node: Node, allocs: readonly Allocation[]): AllocsUsage {
  const netIdx = new NetworkIndex()
  const nodeCollide = netIdx.setNode(node)
  const usage: AllocsUsage = { netIdx, collide: nodeCollide, cpu: 0, memory: 0, disk: 0 }
  addToAllocsUsage(usage, allocs)
  return usage
}

/** Counts the non-terminal ones of `allocs` into `usage`, in place. */
export function addToAllocsUsage(usage: AllocsUsage, allocs: readonly Allocation[]): void {
  if (usage.netIdx.addAllocs(allocs)) usage.collide = true
  const used = usedCpuMemDisk(allocs)
  usage.cpu += used.Flattened.Cpu.CpuShares
  usage.memory += used.Flattened.Memory.MemoryMB
  usage.disk += used.Shared.DiskMB
}
