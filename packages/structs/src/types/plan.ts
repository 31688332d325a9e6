import type { Index } from './common.js'
import type { Allocation } from './allocation.js'
import type { Deployment, DeploymentStatusUpdate } from './deployment.js'
import type { Job } from './job.js'

/** Per-group counts of what the scheduler decided. */
export interface DesiredUpdates {
  Ignore: number
  Place: number
  Migrate: number
  Stop: number
  InPlaceUpdate: number
  DestructiveUpdate: number
  Canary: number
  Preemptions: number
}

/** Annotations the scheduler attaches when asked (`AnnotatePlan`). */
export interface PlanAnnotations {
  DesiredTGUpdates?: Record<string, DesiredUpdates> | null
  PreemptedAllocs?: Record<string, unknown>[] | null
}

/** What a scheduler wants to change, submitted to the leader's plan applier. */
export interface Plan {
  EvalID: string
  EvalToken: string
  Priority: number
  AllAtOnce: boolean
  Job?: Job | null
  /** Allocations to stop or evict, by node ID. */
  NodeUpdate?: Record<string, Allocation[]> | null
  /** Allocations to place or update, by node ID. */
  NodeAllocation?: Record<string, Allocation[]> | null
  Annotations?: PlanAnnotations | null
  Deployment?: Deployment | null
  DeploymentUpdates?: DeploymentStatusUpdate[] | null
  /** Allocations to preempt, by node ID. */
  NodePreemptions?: Record<string, Allocation[]> | null
  SnapshotIndex: Index
}

/** What the plan applier committed. */
export interface PlanResult {
  NodeUpdate?: Record<string, Allocation[]> | null
  NodeAllocation?: Record<string, Allocation[]> | null
  Deployment?: Deployment | null
  DeploymentUpdates?: DeploymentStatusUpdate[] | null
  NodePreemptions?: Record<string, Allocation[]> | null
  /** Non-zero when only part of the plan committed: the scheduler must refresh to this index. */
  RefreshIndex: Index
  /** The Raft index of the applied allocations. */
  AllocIndex: Index
}
