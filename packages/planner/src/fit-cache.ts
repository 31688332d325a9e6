import type { Allocation, ComparableResources, Node } from '@nomadic/structs'
import { addToAllocsUsage, allocsUsage, allocTerminal, nodeComparableReserved, nodeComparableResources, subtractComparable, type AllocsUsage } from '@nomadic/structs'

/** What a node's live allocations use, as the plan applier last saw them. */
export interface LiveUsage extends AllocsUsage {
  /** The node object it was computed for (a changed node is a new object). */
  node: Node
  /** The node's resources less what it reserves: derived from `node`, so computed once with it. */
  available: ComparableResources
  /**
   * Everything the snapshot listed on the node (terminal ones too), in its order: the very
   * objects. The non-terminal ones are what the totals count.
   */
  seen: Allocation[]
}

/**
 * Per node, what its live allocations use, so that checking a plan's placements on a node does
 * not walk every allocation already there each time. An entry is brought up to date in place when
 * the snapshot shows the same allocation objects plus new ones (the usual case: the node gained
 * the previous plan's placements) and rebuilt when anything else changed. The plan applier keeps
 * one for its lifetime and evaluates one plan at a time.
 */
export class NodeFitCache {
  private readonly entries = new Map<string, LiveUsage>()

  /** The usage of the non-terminal allocations among `allocs` (everything on `node`). */
  current(node: Node, allocs: readonly Allocation[]): LiveUsage {
    const entry = this.entries.get(node.ID)
    if (entry !== undefined && entry.node === node && grow(entry, allocs)) return entry
    const available = nodeComparableResources(node)
    subtractComparable(available, nodeComparableReserved(node))
    const usage: LiveUsage = { node, available, seen: allocs.slice(), ...allocsUsage(node, allocs) }
    this.entries.set(node.ID, usage)
    return usage
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear()
  }
}

// Adds the allocations `allocs` has beyond the entry's, when it still has all of the entry's
// (the same objects); false, with the entry untouched, otherwise.
function grow(entry: LiveUsage, allocs: readonly Allocation[]): boolean {
  // Stores usually list a node's allocations in the same order each time, new ones last: then
  // comparing references in place is enough (IDs are unique, so the rest are new allocations).
  const seen = entry.seen
  let same = 0
  if (allocs.length >= seen.length) while (same < seen.length && allocs[same] === seen[same]) same++
  let added: Allocation[] | undefined
  if (same === seen.length) {
    for (let i = same; i < allocs.length; i++) {
      const a = allocs[i]!
      seen.push(a)
      if (!allocTerminal(a)) (added ??= []).push(a)
    }
  } else {
    const before = new Set(seen)
    const liveIDs = new Set<string>()
    for (const a of seen) if (!allocTerminal(a)) liveIDs.add(a.ID)
    let kept = 0
    for (const a of allocs) {
      if (allocTerminal(a)) continue
      if (before.has(a)) kept++
      else if (liveIDs.has(a.ID)) return false // changed
      else (added ??= []).push(a)
    }
    if (kept !== liveIDs.size) return false
    entry.seen = allocs.slice()
  }
  if (added !== undefined) addToAllocsUsage(entry, added)
  return true
}
