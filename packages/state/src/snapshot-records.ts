import type { Allocation, Deployment, Evaluation, Job, Node } from '@nomadic/structs'
import { Tables, type TableName } from './schema.js'
import type { ACLPolicy, ACLToken, ClusterMetadata, IndexEntry, JobSummary, PeriodicLaunch, SchedulerConfiguration } from './types.js'

/**
 * Record types of Nomad's FSM snapshot stream (nomad/fsm.go SnapshotType), for the tables this
 * store keeps. Numbers 5 (TimeTable), 8 (VaultAccessor) and 15+ (SI tokens, scaling, CSI) belong
 * to other parts of the server. Autopilot's configuration is not part of Nomad's snapshot.
 */
export const SnapshotType = {
  Node: 0,
  Job: 1,
  Index: 2,
  Eval: 3,
  Alloc: 4,
  PeriodicLaunch: 6,
  JobSummary: 7,
  JobVersion: 9,
  Deployment: 10,
  ACLPolicy: 11,
  ACLToken: 12,
  SchedulerConfig: 13,
  ClusterMetadata: 14,
} as const

/** One typed record of a snapshot stream. */
export type SnapshotRecord =
  | { type: typeof SnapshotType.Node; value: Node }
  | { type: typeof SnapshotType.Job; value: Job }
  | { type: typeof SnapshotType.Index; value: IndexEntry }
  | { type: typeof SnapshotType.Eval; value: Evaluation }
  | { type: typeof SnapshotType.Alloc; value: Allocation }
  | { type: typeof SnapshotType.PeriodicLaunch; value: PeriodicLaunch }
  | { type: typeof SnapshotType.JobSummary; value: JobSummary }
  | { type: typeof SnapshotType.JobVersion; value: Job }
  | { type: typeof SnapshotType.Deployment; value: Deployment }
  | { type: typeof SnapshotType.ACLPolicy; value: ACLPolicy }
  | { type: typeof SnapshotType.ACLToken; value: ACLToken }
  | { type: typeof SnapshotType.SchedulerConfig; value: SchedulerConfiguration }
  | { type: typeof SnapshotType.ClusterMetadata; value: ClusterMetadata }

interface RecordShape {
  table: TableName
  strings: readonly string[]
  numbers: readonly string[]
}

/** Where each record type goes and which fields its indexes need (checked before restoring). */
export const RECORD_SHAPES: Readonly<Record<number, RecordShape>> = {
  [SnapshotType.Node]: { table: Tables.nodes, strings: ['ID', 'SecretID', 'Status'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.Job]: { table: Tables.jobs, strings: ['ID', 'Namespace', 'Type', 'Status'], numbers: ['Version', 'CreateIndex', 'ModifyIndex'] },
  [SnapshotType.Index]: { table: Tables.index, strings: ['Key'], numbers: ['Value'] },
  [SnapshotType.Eval]: { table: Tables.evals, strings: ['ID', 'Namespace', 'JobID', 'Status'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.Alloc]: {
    table: Tables.allocs,
    strings: ['ID', 'Namespace', 'JobID', 'NodeID', 'EvalID', 'TaskGroup', 'ClientStatus', 'DesiredStatus'],
    numbers: ['CreateIndex', 'ModifyIndex'],
  },
  [SnapshotType.PeriodicLaunch]: { table: Tables.periodicLaunch, strings: ['ID', 'Namespace'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.JobSummary]: { table: Tables.jobSummary, strings: ['JobID', 'Namespace'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.JobVersion]: { table: Tables.jobVersion, strings: ['ID', 'Namespace', 'Type'], numbers: ['Version', 'CreateIndex', 'ModifyIndex'] },
  [SnapshotType.Deployment]: { table: Tables.deployment, strings: ['ID', 'Namespace', 'JobID', 'Status'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.ACLPolicy]: { table: Tables.aclPolicy, strings: ['Name'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.ACLToken]: { table: Tables.aclToken, strings: ['AccessorID', 'SecretID'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.SchedulerConfig]: { table: Tables.schedulerConfig, strings: ['SchedulerAlgorithm'], numbers: ['CreateIndex', 'ModifyIndex'] },
  [SnapshotType.ClusterMetadata]: { table: Tables.clusterMeta, strings: ['ClusterID'], numbers: [] },
}

/** The order records are written in: Nomad's persist order for the tables kept here. */
export const RECORD_ORDER: ReadonlyArray<{ type: number; table: TableName }> = [
  { type: SnapshotType.Index, table: Tables.index },
  { type: SnapshotType.Node, table: Tables.nodes },
  { type: SnapshotType.Job, table: Tables.jobs },
  { type: SnapshotType.Eval, table: Tables.evals },
  { type: SnapshotType.Alloc, table: Tables.allocs },
  { type: SnapshotType.PeriodicLaunch, table: Tables.periodicLaunch },
  { type: SnapshotType.JobSummary, table: Tables.jobSummary },
  { type: SnapshotType.JobVersion, table: Tables.jobVersion },
  { type: SnapshotType.Deployment, table: Tables.deployment },
  { type: SnapshotType.ACLPolicy, table: Tables.aclPolicy },
  { type: SnapshotType.ACLToken, table: Tables.aclToken },
  { type: SnapshotType.SchedulerConfig, table: Tables.schedulerConfig },
  { type: SnapshotType.ClusterMetadata, table: Tables.clusterMeta },
]

/** Returns why a record cannot be restored, or undefined when it can. */
export function checkRecord(record: unknown): { shape: RecordShape; value: Record<string, unknown> } | string {
  if (record === null || typeof record !== 'object') return 'not an object'
  const { type, value } = record as { type?: unknown; value?: unknown }
  if (typeof type !== 'number' || !Number.isInteger(type)) return 'missing record type'
  const shape = RECORD_SHAPES[type]
  if (shape === undefined) return `unrecognized snapshot type ${type}`
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `type ${type}: value is not an object`
  const v = value as Record<string, unknown>
  for (const f of shape.strings) if (typeof v[f] !== 'string') return `type ${type}: field ${f} is not a string`
  for (const f of shape.numbers) {
    const n = v[f]
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return `type ${type}: field ${f} is not an index`
  }
  return { shape, value: v }
}
