import type { Allocation, Deployment, Evaluation, Job, Node } from '@nomadic/structs'
import { compoundKey, type IndexSchema, type TableSchema } from './memdb/db.js'
import { allocTerminal, isParameterized, isPeriodic, jobIsGCable } from './rules.js'
import type { ACLPolicy, ACLToken, AutopilotConfig, ClusterMetadata, IndexEntry, JobSummary, PeriodicLaunch, SchedulerConfiguration } from './types.js'

/** Table names, as in Nomad's schema.go. */
export const Tables = {
  index: 'index',
  nodes: 'nodes',
  jobs: 'jobs',
  jobSummary: 'job_summary',
  jobVersion: 'job_version',
  periodicLaunch: 'periodic_launch',
  evals: 'evals',
  allocs: 'allocs',
  deployment: 'deployment',
  aclPolicy: 'acl_policy',
  aclToken: 'acl_token',
  schedulerConfig: 'scheduler_config',
  autopilotConfig: 'autopilot-config',
  clusterMeta: 'cluster_meta',
} as const

/** A table name of the state store. */
export type TableName = (typeof Tables)[keyof typeof Tables]

const unique = <T>(key: (obj: T) => string | undefined): IndexSchema<T> => ({ unique: true, key })
const multi = <T>(key: (obj: T) => string | undefined): IndexSchema<T> => ({ unique: false, key })
const flag = (b: boolean): string => (b ? '1' : '0')
/** Versions sort numerically: fixed-width decimal. */
export const versionKey = (v: number): string => v.toString().padStart(20, '0')
/** Singleton tables hold one row under this key. */
export const SINGLETON = 'singleton'

export const indexTable: TableSchema<IndexEntry> = { name: Tables.index, indexes: { id: unique((e) => e.Key) } }

export const nodesTable: TableSchema<Node> = {
  name: Tables.nodes,
  indexes: { id: unique((n) => n.ID), secret_id: unique((n) => n.SecretID || undefined) },
}

export const jobsTable: TableSchema<Job> = {
  name: Tables.jobs,
  indexes: {
    id: unique((j) => compoundKey(j.Namespace, j.ID)),
    type: multi((j) => j.Type),
    gc: multi((j) => flag(jobIsGCable(j))),
    periodic: multi((j) => flag(isPeriodic(j))),
    parameterized: multi((j) => flag(isParameterized(j))),
  },
}

export const jobSummaryTable: TableSchema<JobSummary> = {
  name: Tables.jobSummary,
  indexes: { id: unique((s) => compoundKey(s.Namespace, s.JobID)) },
}

export const jobVersionTable: TableSchema<Job> = {
  name: Tables.jobVersion,
  indexes: { id: unique((j) => compoundKey(j.Namespace, j.ID, versionKey(j.Version))) },
}

export const periodicLaunchTable: TableSchema<PeriodicLaunch> = {
  name: Tables.periodicLaunch,
  indexes: { id: unique((l) => compoundKey(l.Namespace, l.ID)) },
}

export const evalsTable: TableSchema<Evaluation> = {
  name: Tables.evals,
  indexes: {
    id: unique((e) => e.ID),
    job: multi((e) => compoundKey(e.Namespace, e.JobID, e.Status)),
  },
}

export const allocsTable: TableSchema<Allocation> = {
  name: Tables.allocs,
  indexes: {
    id: unique((a) => a.ID),
    node: multi((a) => compoundKey(a.NodeID, flag(allocTerminal(a)))),
    job: multi((a) => compoundKey(a.Namespace, a.JobID)),
    eval: multi((a) => a.EvalID),
    deployment: multi((a) => a.DeploymentID || undefined),
  },
}

export const deploymentTable: TableSchema<Deployment> = {
  name: Tables.deployment,
  indexes: {
    id: unique((d) => d.ID),
    job: multi((d) => compoundKey(d.Namespace, d.JobID)),
  },
}

export const aclPolicyTable: TableSchema<ACLPolicy> = { name: Tables.aclPolicy, indexes: { id: unique((p) => p.Name) } }

export const aclTokenTable: TableSchema<ACLToken> = {
  name: Tables.aclToken,
  indexes: {
    id: unique((t) => t.AccessorID),
    secret: unique((t) => t.SecretID),
    global: multi((t) => flag(t.Global)),
  },
}

export const schedulerConfigTable: TableSchema<SchedulerConfiguration> = {
  name: Tables.schedulerConfig,
  indexes: { id: unique(() => SINGLETON) },
}

export const autopilotConfigTable: TableSchema<AutopilotConfig> = {
  name: Tables.autopilotConfig,
  indexes: { id: unique(() => SINGLETON) },
}

export const clusterMetaTable: TableSchema<ClusterMetadata> = {
  name: Tables.clusterMeta,
  indexes: { id: unique(() => SINGLETON) },
}

/** Every table of the state store. */
export const stateSchema: ReadonlyArray<TableSchema<any>> = [
  indexTable,
  nodesTable,
  jobsTable,
  jobSummaryTable,
  jobVersionTable,
  periodicLaunchTable,
  evalsTable,
  allocsTable,
  deploymentTable,
  aclPolicyTable,
  aclTokenTable,
  schedulerConfigTable,
  autopilotConfigTable,
  clusterMetaTable,
]
