import type { Duration, Index } from './common.js'
import type { Allocation, AllocationDiff, DesiredTransition } from './allocation.js'
import type { Deployment, DeploymentStatusUpdate } from './deployment.js'
import type { Evaluation } from './evaluation.js'
import type { Job } from './job.js'
import type { DrainStrategy, Node, NodeEvent } from './node.js'

/** Embedded in every write request (flattened into the request's map on the wire). */
export interface WriteRequest {
  Region: string
  Namespace: string
  AuthToken: string
  Forwarded: boolean
}

/** Embedded in every read request. */
export interface QueryOptions {
  Region: string
  Namespace: string
  MinQueryIndex: Index
  MaxQueryTime: Duration
  AllowStale: boolean
  Prefix: string
  AuthToken: string
  Forwarded: boolean
}

/** Embedded in read responses. */
export interface QueryMeta {
  Index: Index
  LastContact: Duration
  KnownLeader: boolean
}

/** Embedded in write responses. */
export interface WriteMeta {
  Index: Index
}

/** Fields every request may leave out: the embedded {@link WriteRequest}. */
export type Write<T> = T & Partial<WriteRequest>

export type NodeRegisterRequest = Write<{ Node: Node | null; NodeEvent?: NodeEvent | null }>
export type NodeDeregisterRequest = Write<{ NodeID: string }>
export type NodeBatchDeregisterRequest = Write<{ NodeIDs: string[] | null }>
export type NodeUpdateStatusRequest = Write<{ NodeID: string; Status: string; NodeEvent?: NodeEvent | null; UpdatedAt: number }>
export type NodeUpdateDrainRequest = Write<{
  NodeID: string
  DrainStrategy?: DrainStrategy | null
  Drain: boolean
  MarkEligible: boolean
  NodeEvent?: NodeEvent | null
  UpdatedAt: number
}>
export type NodeUpdateEligibilityRequest = Write<{ NodeID: string; Eligibility: string; NodeEvent?: NodeEvent | null; UpdatedAt: number }>

export type JobRegisterRequest = Write<{
  Job: Job | null
  EnforceIndex: boolean
  JobModifyIndex: Index
  PreserveCounts?: boolean
  PolicyOverride: boolean
  /** The eval written with the job (newer Nomad; 0.12 writes it separately). */
  Eval?: Evaluation | null
}>
export type JobDeregisterRequest = Write<{ JobID: string; Purge: boolean; Global?: boolean; Eval?: Evaluation | null }>

export type EvalUpdateRequest = Write<{ Evals: Evaluation[] | null; EvalToken: string }>
export type EvalDeleteRequest = Write<{ Evals: string[] | null; Allocs: string[] | null }>

/** Allocation upserts; also embedded (flattened) in {@link ApplyPlanResultsRequest}. */
export interface AllocUpdateRequest extends Partial<WriteRequest> {
  Alloc?: Allocation[] | null
  AllocsStopped?: AllocationDiff[] | null
  AllocsUpdated?: Allocation[] | null
  Evals?: Evaluation[] | null
  Job?: Job | null
}

export type AllocUpdateDesiredTransitionRequest = Write<{
  Allocs?: Record<string, DesiredTransition> | null
  Evals?: Evaluation[] | null
}>

/** The Raft entry of a committed plan (`ApplyPlanResultsRequestType`). */
export interface ApplyPlanResultsRequest extends AllocUpdateRequest {
  Deployment?: Deployment | null
  DeploymentUpdates?: DeploymentStatusUpdate[] | null
  EvalID: string
  /** Deprecated since 0.9.2 in favour of AllocsPreempted. */
  NodePreemptions?: Allocation[] | null
  AllocsPreempted?: AllocationDiff[] | null
  PreemptionEvals?: Evaluation[] | null
}

export type DeploymentStatusUpdateRequest = Write<{
  Eval?: Evaluation | null
  DeploymentUpdate?: DeploymentStatusUpdate | null
  Job?: Job | null
}>
