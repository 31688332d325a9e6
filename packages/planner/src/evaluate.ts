import type { Allocation, Deployment, Node, Plan, PlanResult } from '@nomadic/structs'
import {
  allocsFit,
  allocTerminal,
  comparableSuperset,
  NodeSchedulingIneligible,
  NodeStatusReady,
  planResultIsNoOp,
  usedCpuMemDisk,
} from '@nomadic/structs'
import { PlannerError } from './errors.js'
import type { NodeFitCache } from './fit-cache.js'
import type { PlanSnapshot } from './snapshot.js'

/** Whether one node of a plan fits, and why not. */
export interface NodeFit {
  fit: boolean
  reason: string
}

/** Options of {@link evaluatePlan}. */
export interface EvaluateOptions {
  /** Nodes evaluated at once. Default 2. */
  concurrency?: number
  /** What nodes' live allocations use, kept from plan to plan (the applier keeps one). */
  fitCache?: NodeFitCache
}

const hasEntries = (m: Record<string, Allocation[]> | null | undefined, nodeID: string): boolean =>
  (m?.[nodeID]?.length ?? 0) > 0

/**
 * Whether the plan's changes to one node fit, as Nomad's plan applier decides: evictions alone
 * always fit; placements need a ready, eligible, non-draining node on which the non-terminal
 * allocations, less those the plan stops, preempts or replaces, plus the plan's placements fit.
 */
export function evaluateNodePlan(snap: PlanSnapshot, plan: Plan, nodeID: string, cache?: NodeFitCache): NodeFit {
  const placements = plan.NodeAllocation?.[nodeID] ?? []
  if (placements.length === 0) return { fit: true, reason: '' }

  const node = snap.nodeByID(nodeID)
  if (node === undefined) return { fit: false, reason: 'node does not exist' }
  if (node.Status !== NodeStatusReady) return { fit: false, reason: 'node is not ready for placements' }
  if (node.SchedulingEligibility === NodeSchedulingIneligible) return { fit: false, reason: 'node is not eligible for draining' }
  if (node.Drain) return { fit: false, reason: 'node is draining' }

  if (cache !== undefined && !hasEntries(plan.NodeUpdate, nodeID) && !hasEntries(plan.NodePreemptions, nodeID) && (node.NodeResources?.Devices ?? []).length === 0) {
    const fit = placementsFit(snap, cache, node, snap.allocsByNode(nodeID), placements)
    if (fit !== undefined) return fit
  }

  const removed = new Set<string>()
  for (const a of plan.NodeUpdate?.[nodeID] ?? []) removed.add(a.ID)
  for (const a of plan.NodePreemptions?.[nodeID] ?? []) removed.add(a.ID)
  for (const a of placements) removed.add(a.ID)
  const proposed: Allocation[] = []
  for (const alloc of snap.allocsByNode(nodeID)) {
    if (!allocTerminal(alloc) && !removed.has(alloc.ID)) proposed.push(alloc)
  }
  for (const alloc of placements) proposed.push(alloc)

  const { fits, dimension } = allocsFit(node, proposed, undefined, true)
  return { fit: fits, reason: fits ? '' : dimension }
}

// allocsFit of the live allocations plus the placements, worked out from the cached usage of the
// live ones: the same checks in the same order (cpu, memory, disk, port collisions, bandwidth).
// Undefined when a placement replaces a live allocation (then the full check runs). The caller
// has ruled out stops, preemptions and devices.
function placementsFit(snap: PlanSnapshot, cache: NodeFitCache, node: Node, allocs: readonly Allocation[], placements: readonly Allocation[]): NodeFit | undefined {
  // A placement with an ID the snapshot knows updates an allocation in place: the full check
  // takes the replaced one out. New allocations have IDs never seen.
  for (const a of placements) if (snap.allocByID(a.ID) !== undefined) return undefined
  const live = cache.current(node, allocs)
  const used = usedCpuMemDisk(placements)
  used.Flattened.Cpu.CpuShares += live.cpu
  used.Flattened.Memory.MemoryMB += live.memory
  used.Shared.DiskMB += live.disk
  const superset = comparableSuperset(live.available, used)
  if (!superset.fits) return { fit: false, reason: superset.dimension }
  if (live.collide) return { fit: false, reason: 'reserved port collision' }
  const net = live.netIdx.checkAllocs(placements)
  if (net.collide) return { fit: false, reason: 'reserved port collision' }
  if (net.overcommitted) return { fit: false, reason: 'bandwidth exceeded' }
  return { fit: true, reason: '' }
}

/** Whether a result commits nothing at all (structs' `planResultIsNoOp`). */
export const isNoOp = planResultIsNoOp

/**
 * Evaluates a plan against a snapshot and returns what may commit. Nodes that do not fit are left
 * out (a partial commit, with a RefreshIndex so the scheduler refreshes its state); an
 * `AllAtOnce` plan commits wholly or not at all.
 */
export async function evaluatePlan(snap: PlanSnapshot, plan: Plan, options: EvaluateOptions = {}): Promise<PlanResult> {
  const result: PlanResult = {
    NodeUpdate: {},
    NodeAllocation: {},
    NodePreemptions: {},
    Deployment: plan.Deployment ? structuredClone(plan.Deployment) : null,
    DeploymentUpdates: plan.DeploymentUpdates ?? null,
    RefreshIndex: 0,
    AllocIndex: 0,
  }
  const nodeIDs = [...new Set([...Object.keys(plan.NodeUpdate ?? {}), ...Object.keys(plan.NodeAllocation ?? {})])]
  const fits = await evaluateNodes(snap, plan, nodeIDs, options.concurrency ?? 2, options.fitCache)

  let partial = false
  for (let i = 0; i < nodeIDs.length; i++) {
    const nodeID = nodeIDs[i]!
    if (!fits[i]!.fit) {
      partial = true
      if (plan.AllAtOnce) {
        result.NodeUpdate = {}
        result.NodeAllocation = {}
        result.NodePreemptions = {}
        result.Deployment = null
        result.DeploymentUpdates = null
        break
      }
      continue
    }
    if (hasEntries(plan.NodeUpdate, nodeID)) result.NodeUpdate![nodeID] = plan.NodeUpdate![nodeID]!
    if (hasEntries(plan.NodeAllocation, nodeID)) result.NodeAllocation![nodeID] = plan.NodeAllocation![nodeID]!
    // Preempting an allocation that has already stopped frees nothing and changes nothing.
    const preempt = (plan.NodePreemptions?.[nodeID] ?? []).filter((a) => {
      const stored = snap.allocByID(a.ID)
      return stored === undefined || !allocTerminal(stored)
    })
    if (preempt.length > 0) result.NodePreemptions![nodeID] = preempt
  }

  if (partial) {
    result.RefreshIndex = Math.max(snap.latestIndex('allocs'), snap.latestIndex('nodes'))
    if (result.RefreshIndex === 0) {
      throw new PlannerError('PLAN_REFRESH_INDEX_ZERO', 'partial commit, but the snapshot has no allocs or nodes index to refresh to')
    }
    if (result.Deployment) dropUnplacedCanaries(result.Deployment, result)
  }
  return result
}

// The nodes are evaluated by a bounded pool of workers: with an async state behind the snapshot
// this bounds concurrent reads, and each worker yields between nodes so a large plan does not
// hold the event loop (Raft heartbeats share it).
async function evaluateNodes(snap: PlanSnapshot, plan: Plan, nodeIDs: string[], concurrency: number, cache: NodeFitCache | undefined): Promise<NodeFit[]> {
  const fits = new Array<NodeFit>(nodeIDs.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < nodeIDs.length) {
      const i = next++
      fits[i] = evaluateNodePlan(snap, plan, nodeIDs[i]!, cache)
      if (i % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, nodeIDs.length)) }, worker))
  return fits
}

// Canaries the plan placed on nodes that did not commit are not placed: take them out of the
// deployment so it does not wait for them.
function dropUnplacedCanaries(deployment: Deployment, result: PlanResult): void {
  const placed = new Set<string>()
  for (const allocs of Object.values(result.NodeAllocation ?? {})) for (const a of allocs) placed.add(a.ID)
  for (const group of Object.values(deployment.TaskGroups ?? {})) {
    if (group.PlacedCanaries) group.PlacedCanaries = group.PlacedCanaries.filter((id) => placed.has(id))
  }
}
