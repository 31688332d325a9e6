import type { Duration, Index, StringMap } from './common.js'
import type { Job } from './job.js'
import type { AllocatedResources, Resources } from './resources.js'

/** An event in a task's life (Received, Started, Terminated, …). */
export interface TaskEvent {
  Type: string
  /** Unix nanoseconds. */
  Time: number
  Message: string
  DisplayMessage: string
  Details?: StringMap | null
  [extra: string]: unknown
}

/** The state of one task of an allocation, as the client reports it. */
export interface TaskState {
  /** `pending`, `running` or `dead`. */
  State: string
  Failed: boolean
  Restarts: number
  LastRestart: Date
  StartedAt: Date
  FinishedAt: Date
  Events?: TaskEvent[] | null
}

/** Deployment health of an allocation; `Healthy` is null until known. */
export interface AllocDeploymentStatus {
  Healthy?: boolean | null
  Timestamp: Date
  Canary: boolean
  ModifyIndex: Index
}

/** One reschedule of an allocation. */
export interface RescheduleEvent {
  /** Unix nanoseconds. */
  RescheduleTime: number
  PrevAllocID: string
  PrevNodeID: string
  Delay: Duration
}

/** The reschedule history carried from allocation to replacement. */
export interface RescheduleTracker {
  Events?: RescheduleEvent[] | null
}

/** What the server wants to happen next to an allocation (each flag null when unset). */
export interface DesiredTransition {
  Migrate?: boolean | null
  Reschedule?: boolean | null
  ForceReschedule?: boolean | null
}

/** A recorded allocation-level state change (Nomad 0.12). */
export interface AllocState {
  /** Go `AllocStateField` (uint8); 0 is ClientStatus. */
  Field: number
  Value: string
  Time: Date
}

/** Placement metrics: why nodes were filtered or exhausted. */
export interface AllocMetric {
  NodesEvaluated: number
  NodesFiltered: number
  NodesAvailable?: Record<string, number> | null
  ClassFiltered?: Record<string, number> | null
  ConstraintFiltered?: Record<string, number> | null
  NodesExhausted: number
  ClassExhausted?: Record<string, number> | null
  DimensionExhausted?: Record<string, number> | null
  QuotaExhausted?: string[] | null
  /** Deprecated. */
  Scores?: Record<string, number> | null
  ScoreMetaData?: NodeScoreMeta[] | null
  AllocationTime: Duration
  CoalescedFailures: number
}

/** The scores one node got. */
export interface NodeScoreMeta {
  NodeID: string
  Scores?: Record<string, number> | null
  NormScore: number
}

/** An instance of a task group placed on a node. */
export interface Allocation {
  ID: string
  Namespace: string
  EvalID: string
  /** `<job>.<group>[<index>]`. */
  Name: string
  NodeID: string
  NodeName: string
  JobID: string
  Job?: Job | null
  TaskGroup: string
  /** Deprecated pre-0.9 resources. */
  Resources?: Resources | null
  SharedResources?: Resources | null
  TaskResources?: Record<string, Resources> | null
  AllocatedResources?: AllocatedResources | null
  Metrics?: AllocMetric | null
  /** `run`, `stop` or `evict`. */
  DesiredStatus: string
  DesiredDescription: string
  DesiredTransition: DesiredTransition
  /** `pending`, `running`, `complete`, `failed` or `lost`. */
  ClientStatus: string
  ClientDescription: string
  TaskStates?: Record<string, TaskState> | null
  AllocStates?: AllocState[] | null
  PreviousAllocation: string
  NextAllocation: string
  DeploymentID: string
  DeploymentStatus?: AllocDeploymentStatus | null
  RescheduleTracker?: RescheduleTracker | null
  /** Runtime network details (newer Nomad; absent from 0.12 peers). */
  NetworkStatus?: { InterfaceName: string; Address: string; DNS?: unknown } | null
  FollowupEvalID: string
  PreemptedAllocations?: string[] | null
  PreemptedByAllocation: string
  CreateIndex: Index
  ModifyIndex: Index
  AllocModifyIndex: Index
  /** Unix nanoseconds. */
  CreateTime: number
  /** Unix nanoseconds. */
  ModifyTime: number
}

/** The diff form of an allocation that plans carry for stopped or preempted allocations. */
export type AllocationDiff = Partial<Allocation> & { ID: string }
