import type { Duration, Index, StringMap } from './common.js'
import type { NodeReservedResources, NodeResources, Resources } from './resources.js'

/** How a node drains: a deadline (−1 forces at once, 0 waits forever) and system-job handling. */
export interface DrainStrategy {
  Deadline: Duration
  IgnoreSystemJobs: boolean
  /** When the deadline forces remaining allocations off (Go `time.Time`). */
  ForceDeadline: Date
  /** When the drain started (Go `time.Time`). */
  StartedAt: Date
}

/** An event in a node's history. */
export interface NodeEvent {
  Message: string
  Subsystem: string
  Details?: StringMap | null
  Timestamp: Date
  CreateIndex: Index
}

/** A driver's fingerprint on a node. */
export interface DriverInfo {
  Attributes?: StringMap | null
  Detected: boolean
  Healthy: boolean
  HealthDescription: string
  UpdateTime: Date
}

/** A client host volume. */
export interface ClientHostVolumeConfig {
  Name: string
  Path: string
  ReadOnly: boolean
}

/** A client machine that runs allocations. */
export interface Node {
  ID: string
  SecretID: string
  Datacenter: string
  Name: string
  HTTPAddr: string
  TLSEnabled: boolean
  Attributes?: StringMap | null
  NodeResources?: NodeResources | null
  ReservedResources?: NodeReservedResources | null
  /** Deprecated pre-0.9 resources, still sent by clients. */
  Resources?: Resources | null
  Reserved?: Resources | null
  Links?: StringMap | null
  Meta?: StringMap | null
  NodeClass: string
  /** Hash of the class-relevant fields; see `computeNodeClass`. */
  ComputedClass: string
  /** Deprecated boolean drain flag (still set while DrainStrategy is non-null). */
  Drain: boolean
  DrainStrategy?: DrainStrategy | null
  /** `eligible` or `ineligible`. */
  SchedulingEligibility: string
  /** `initializing`, `ready` or `down`. */
  Status: string
  StatusDescription: string
  /** Unix seconds. */
  StatusUpdatedAt: number
  Events?: NodeEvent[] | null
  Drivers?: Record<string, DriverInfo> | null
  CSIControllerPlugins?: Record<string, unknown> | null
  CSINodePlugins?: Record<string, unknown> | null
  HostVolumes?: Record<string, ClientHostVolumeConfig> | null
  CreateIndex: Index
  ModifyIndex: Index
}
