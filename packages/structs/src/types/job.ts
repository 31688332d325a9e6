import type { Duration, Index, StringMap } from './common.js'
import type { Affinity, Constraint, NetworkResource, Resources, Spread, TaskLifecycleConfig } from './resources.js'

/** How a group is updated: rolling updates, canaries, health checks, auto revert. */
export interface UpdateStrategy {
  Stagger: Duration
  MaxParallel: number
  /** `checks`, `task_states` or `manual`. */
  HealthCheck: string
  MinHealthyTime: Duration
  HealthyDeadline: Duration
  ProgressDeadline: Duration
  AutoRevert: boolean
  AutoPromote: boolean
  Canary: number
}

/** How failed allocations are replaced on other nodes. */
export interface ReschedulePolicy {
  Attempts: number
  Interval: Duration
  Delay: Duration
  /** `constant`, `exponential` or `fibonacci`. */
  DelayFunction: string
  MaxDelay: Duration
  Unlimited: boolean
}

/** How a task is restarted on the same node. */
export interface RestartPolicy {
  Attempts: number
  Interval: Duration
  Delay: Duration
  /** `delay` or `fail`. */
  Mode: string
}

/** How allocations move off a draining node. */
export interface MigrateStrategy {
  MaxParallel: number
  HealthCheck: string
  MinHealthyTime: Duration
  HealthyDeadline: Duration
}

/** A cron-launched job. */
export interface PeriodicConfig {
  Enabled: boolean
  Spec: string
  /** `cron`. */
  SpecType: string
  ProhibitOverlap: boolean
  TimeZone: string
}

/** A job launched by `dispatch`. */
export interface ParameterizedJobConfig {
  /** `optional`, `required` or `forbidden`. */
  Payload: string
  MetaRequired?: string[] | null
  MetaOptional?: string[] | null
}

/** The local disk of a task group. */
export interface EphemeralDisk {
  Sticky: boolean
  SizeMB: number
  Migrate: boolean
}

/** A Consul service check (the fields the server uses). */
export interface ServiceCheck {
  Name: string
  Type: string
  Command: string
  Args?: string[] | null
  Path: string
  Protocol: string
  PortLabel: string
  AddressMode: string
  Interval: Duration
  Timeout: Duration
  InitialStatus: string
  [extra: string]: unknown
}

/** A Consul service registration. */
export interface Service {
  Name: string
  TaskName?: string
  PortLabel: string
  AddressMode: string
  EnableTagOverride: boolean
  Tags?: string[] | null
  CanaryTags?: string[] | null
  Checks?: ServiceCheck[] | null
  Meta?: StringMap | null
  CanaryMeta?: StringMap | null
  [extra: string]: unknown
}

/** A log rotation configuration. */
export interface LogConfig {
  MaxFiles: number
  MaxFileSizeMB: number
}

/** A volume a task group asks for. */
export interface VolumeRequest {
  Name: string
  Type: string
  Source: string
  ReadOnly: boolean
  [extra: string]: unknown
}

/** A task: one process driven by a driver. */
export interface Task {
  Name: string
  Driver: string
  User: string
  Config?: Record<string, unknown> | null
  Env?: StringMap | null
  Services?: Service[] | null
  Vault?: Record<string, unknown> | null
  Templates?: Record<string, unknown>[] | null
  Constraints?: Constraint[] | null
  Affinities?: Affinity[] | null
  Resources?: Resources | null
  RestartPolicy?: RestartPolicy | null
  DispatchPayload?: { File: string } | null
  Lifecycle?: TaskLifecycleConfig | null
  Meta?: StringMap | null
  KillTimeout: Duration
  LogConfig?: LogConfig | null
  Artifacts?: Record<string, unknown>[] | null
  Leader: boolean
  ShutdownDelay: Duration
  VolumeMounts?: Record<string, unknown>[] | null
  KillSignal: string
  Kind: string
  CSIPluginConfig?: Record<string, unknown> | null
}

/** A set of tasks placed together on one node, `Count` times. */
export interface TaskGroup {
  Name: string
  Count: number
  Update?: UpdateStrategy | null
  Migrate?: MigrateStrategy | null
  Constraints?: Constraint[] | null
  Scaling?: Record<string, unknown> | null
  RestartPolicy?: RestartPolicy | null
  Tasks?: Task[] | null
  EphemeralDisk?: EphemeralDisk | null
  Meta?: StringMap | null
  ReschedulePolicy?: ReschedulePolicy | null
  Affinities?: Affinity[] | null
  Spreads?: Spread[] | null
  Networks?: NetworkResource[] | null
  Services?: Service[] | null
  Volumes?: Record<string, VolumeRequest> | null
  /** A `*time.Duration`: null when unset. */
  ShutdownDelay?: Duration | null
  StopAfterClientDisconnect?: Duration | null
}

/** A multi-region deployment (Nomad 0.12 Enterprise). */
export interface Multiregion {
  Strategy?: { MaxParallel: number; OnFailure: string } | null
  Regions?: { Name: string; Count: number; Datacenters?: string[] | null; Meta?: StringMap | null }[] | null
}

/** A job: the unit users submit. */
export interface Job {
  Stop: boolean
  Region: string
  Namespace: string
  ID: string
  ParentID: string
  Name: string
  /** `service`, `batch`, `system` (or `_core` for the server's own jobs). */
  Type: string
  Priority: number
  AllAtOnce: boolean
  Datacenters?: string[] | null
  Constraints?: Constraint[] | null
  Affinities?: Affinity[] | null
  Spreads?: Spread[] | null
  TaskGroups?: TaskGroup[] | null
  /** Deprecated job-level update block (a value, not a pointer, in Go). */
  Update: UpdateStrategy
  Multiregion?: Multiregion | null
  Periodic?: PeriodicConfig | null
  ParameterizedJob?: ParameterizedJobConfig | null
  Dispatched: boolean
  /** Go `[]byte`: a raw string on the wire. */
  Payload?: Uint8Array | null
  Meta?: StringMap | null
  ConsulToken: string
  VaultToken: string
  /** Vault namespace (newer Nomad; optional on the wire). */
  VaultNamespace?: string
  NomadTokenID: string
  Status: string
  StatusDescription: string
  Stable: boolean
  Version: number
  /** Unix nanoseconds. */
  SubmitTime: number
  CreateIndex: Index
  ModifyIndex: Index
  JobModifyIndex: Index
}
