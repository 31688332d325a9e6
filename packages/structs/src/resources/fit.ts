import { allocTerminal } from '../status.js'
import type { Allocation } from '../types/allocation.js'
import type { Node } from '../types/node.js'
import { type ComparableResources, comparableSuperset, nodeComparableReserved, nodeComparableResources, subtractComparable, usedCpuMemDisk } from './comparable.js'
import { NetworkIndex } from './network-index.js'

/** The answer of {@link allocsFit}. */
export interface FitResult {
  fits: boolean
  /** Why not: `cpu`, `memory`, `disk`, `reserved port collision`, `bandwidth exceeded`, `device oversubscribed`. */
  dimension: string
  /** Cpu, memory and disk the non-terminal allocations use together (networks: see `usedResources`). */
  used: ComparableResources
}

/**
 * Nomad's `AllocsFit`: whether `allocs` fit on `node` together. The cpu, memory and disk of the
 * non-terminal allocations must fit in what the node has minus what it reserves; no two ports
 * may collide (with each other or with the node's reserved ports); no device may use more
 * bandwidth than it has; with `checkDevices`, no device instance may be assigned twice.
 * Pass a `netIdx` already filled by the caller to skip rebuilding it (then port collisions are
 * the caller's to check, as in Go).
 */
export function allocsFit(node: Node, allocs: readonly Allocation[], netIdx?: NetworkIndex, checkDevices = false): FitResult {
  const used = usedCpuMemDisk(allocs)
  const available = nodeComparableResources(node)
  subtractComparable(available, nodeComparableReserved(node))
  const superset = comparableSuperset(available, used)
  if (!superset.fits) return { fits: false, dimension: superset.dimension, used }
  let idx = netIdx
  if (idx === undefined) {
    idx = new NetworkIndex()
    const nodeCollide = idx.setNode(node)
    const allocCollide = idx.addAllocs(allocs)
    if (nodeCollide || allocCollide) return { fits: false, dimension: 'reserved port collision', used }
  }
  if (idx.overcommitted()) return { fits: false, dimension: 'bandwidth exceeded', used }
  if (checkDevices && devicesOversubscribed(node, allocs)) return { fits: false, dimension: 'device oversubscribed', used }
  return { fits: true, dimension: '', used }
}

/** A device instance of the node assigned to two live allocations (unknown instances are ignored, as in Go's DeviceAccounter). */
function devicesOversubscribed(node: Node, allocs: readonly Allocation[]): boolean {
  const known = new Set<string>()
  for (const dev of node.NodeResources?.Devices ?? []) {
    for (const inst of dev.Instances ?? []) known.add(`${dev.Vendor}/${dev.Type}/${dev.Name}/${inst.ID}`)
  }
  if (known.size === 0) return false // nothing the allocations hold can be counted
  const taken = new Set<string>()
  for (const alloc of allocs) {
    if (allocTerminal(alloc)) continue
    for (const task of Object.values(alloc.AllocatedResources?.Tasks ?? {})) {
      for (const dev of task.Devices ?? []) {
        for (const id of dev.DeviceIDs ?? []) {
          const key = `${dev.Vendor}/${dev.Type}/${dev.Name}/${id}`
          if (!known.has(key)) continue
          if (taken.has(key)) return true
          taken.add(key)
        }
      }
    }
  }
  return false
}
