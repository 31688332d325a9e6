/**
 * Records the state store keeps that @nomadic/structs does not (yet) define. Field names are
 * Nomad's Go field names, as in nomad/structs, so they map onto Nomad's msgpack.
 */
import type { Index } from '@nomadic/structs'

/** Allocation counts of one task group, by client status (Nomad's TaskGroupSummary). */
export interface TaskGroupSummary {
  Queued: number
  Complete: number
  Failed: number
  Running: number
  Starting: number
  Lost: number
}

/** Children of a periodic or parameterized job, by status. */
export interface JobChildrenSummary {
  Pending: number
  Running: number
  Dead: number
}

/** Per task group allocation counts of a job, kept in step with every allocation change. */
export interface JobSummary {
  JobID: string
  Namespace: string
  Summary: Record<string, TaskGroupSummary>
  Children?: JobChildrenSummary | null
  CreateIndex: Index
  ModifyIndex: Index
}

/** When a periodic job last launched a child. */
export interface PeriodicLaunch {
  ID: string
  Namespace: string
  Launch: Date
  CreateIndex: Index
  ModifyIndex: Index
}

/** A named ACL policy. */
export interface ACLPolicy {
  Name: string
  Description: string
  Rules: string
  Hash?: Uint8Array | null
  CreateIndex: Index
  ModifyIndex: Index
}

/** An ACL token: `client` with policies, or `management`. */
export interface ACLToken {
  AccessorID: string
  SecretID: string
  Name: string
  Type: string
  Policies?: string[] | null
  Global: boolean
  Hash?: Uint8Array | null
  CreateTime: Date
  CreateIndex: Index
  ModifyIndex: Index
}

/** Which schedulers may preempt. */
export interface PreemptionConfig {
  SystemSchedulerEnabled: boolean
  BatchSchedulerEnabled: boolean
  ServiceSchedulerEnabled: boolean
}

/** The cluster-wide scheduler configuration (operator API). */
export interface SchedulerConfiguration {
  /** `binpack` or `spread`. */
  SchedulerAlgorithm: string
  PreemptionConfig: PreemptionConfig
  CreateIndex: Index
  ModifyIndex: Index
}

/** Autopilot's configuration (operator API). Durations are nanoseconds. */
export interface AutopilotConfig {
  CleanupDeadServers: boolean
  ServerStabilizationTime: number
  LastContactThreshold: number
  MaxTrailingLogs: number
  MinQuorum: number
  EnableRedundancyZones: boolean
  DisableUpgradeMigration: boolean
  EnableCustomUpgrades: boolean
  CreateIndex: Index
  ModifyIndex: Index
}

/** The cluster's identity, set once by the first leader. */
export interface ClusterMetadata {
  ClusterID: string
  /** Unix nanoseconds. */
  CreateTime: number
}

/** One row of the `index` table: the last Raft index that modified a table. */
export interface IndexEntry {
  Key: string
  Value: Index
}

/** Promote a deployment's canaries (Nomad's ApplyDeploymentPromoteRequest, Raft type 15). */
export interface DeploymentPromoteRequest {
  DeploymentID: string
  /** Promote every group; otherwise only `Groups`. */
  All: boolean
  Groups?: string[] | null
  /** An eval to write with the promotion. */
  Eval?: import('@nomadic/structs').Evaluation | null
}

/** Set allocations' deployment health (Nomad's ApplyDeploymentAllocHealthRequest, Raft type 16). */
export interface DeploymentAllocHealthRequest {
  DeploymentID: string
  HealthyAllocationIDs?: string[] | null
  UnhealthyAllocationIDs?: string[] | null
  /** When the health was decided. */
  Timestamp: Date
  DeploymentUpdate?: import('@nomadic/structs').DeploymentStatusUpdate | null
  Job?: import('@nomadic/structs').Job | null
  Eval?: import('@nomadic/structs').Evaluation | null
}
