import type { Allocation, Deployment, Evaluation, Job, Node } from '@nomadic/structs'
import { compoundKey, type ReadView } from './memdb/db.js'
import { KEY_SEPARATOR, type WatchSet } from './memdb/watch.js'
import { SINGLETON, Tables, versionKey, type TableName } from './schema.js'
import type {
  ACLPolicy,
  ACLToken,
  AutopilotConfig,
  ClusterMetadata,
  IndexEntry,
  JobSummary,
  PeriodicLaunch,
  SchedulerConfiguration,
} from './types.js'

/**
 * Every query of Nomad's state store, over one immutable view. Each takes an optional
 * {@link WatchSet} last, which records what the query read for a blocking query.
 * Returned objects belong to the store: never mutate them.
 */
export class StateReader {
  constructor(protected readonly view: ReadView) {}

  // ---- indexes -------------------------------------------------------------------------------

  /** The last Raft index that modified `table` (0 when never). */
  index(table: TableName | string, ws?: WatchSet): number {
    return this.view.get<IndexEntry>(Tables.index, 'id', table, ws)?.Value ?? 0
  }

  /**
   * The highest index of any table: the index this view is at. With a table, that table's
   * index (the planner's `PlanSnapshot.latestIndex('allocs')`).
   */
  latestIndex(table?: TableName | string): number {
    if (table !== undefined) return this.index(table)
    let max = 0
    for (const e of this.view.all<IndexEntry>(Tables.index)) if (e.Value > max) max = e.Value
    return max
  }

  /** Number of rows in a table (O(1)). */
  count(table: TableName | string): number {
    return this.view.count(table)
  }

  /** Every row of the index table. */
  indexes(ws?: WatchSet): IndexEntry[] {
    return this.view.all<IndexEntry>(Tables.index, ws)
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /** Every node, by ID. */
  nodes(ws?: WatchSet): Node[] {
    return this.view.all<Node>(Tables.nodes, ws)
  }

  /** The node with this ID. */
  nodeByID(id: string, ws?: WatchSet): Node | undefined {
    return this.view.get<Node>(Tables.nodes, 'id', id, ws)
  }

  /** Nodes whose ID starts with `prefix`. */
  nodesByIDPrefix(prefix: string, ws?: WatchSet): Node[] {
    return this.view.byPrefix<Node>(Tables.nodes, 'id', prefix, ws)
  }

  /** The node with this secret ID. */
  nodeBySecretID(secretID: string, ws?: WatchSet): Node | undefined {
    return this.view.get<Node>(Tables.nodes, 'secret_id', secretID, ws)
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /** Every job, by namespace and ID. */
  jobs(ws?: WatchSet): Job[] {
    return this.view.all<Job>(Tables.jobs, ws)
  }

  /** Jobs of one namespace. */
  jobsByNamespace(namespace: string, ws?: WatchSet): Job[] {
    return this.view.byPrefix<Job>(Tables.jobs, 'id', namespace + KEY_SEPARATOR, ws)
  }

  /** The job with this ID. */
  jobByID(namespace: string, id: string, ws?: WatchSet): Job | undefined {
    return this.view.get<Job>(Tables.jobs, 'id', compoundKey(namespace, id), ws)
  }

  /** Jobs of a namespace whose ID starts with `prefix`. */
  jobsByIDPrefix(namespace: string, prefix: string, ws?: WatchSet): Job[] {
    return this.view.byPrefix<Job>(Tables.jobs, 'id', namespace + KEY_SEPARATOR + prefix, ws)
  }

  /** Jobs of a scheduler type (`service`, `batch`, `system`, `_core`). */
  jobsByScheduler(type: string, ws?: WatchSet): Job[] {
    return this.view.getAll<Job>(Tables.jobs, 'type', type, ws)
  }

  /** Jobs that are (or are not) periodic. */
  jobsByPeriodic(periodic: boolean, ws?: WatchSet): Job[] {
    return this.view.getAll<Job>(Tables.jobs, 'periodic', periodic ? '1' : '0', ws)
  }

  /** Jobs that are (or are not) parameterized templates. */
  jobsByParameterized(parameterized: boolean, ws?: WatchSet): Job[] {
    return this.view.getAll<Job>(Tables.jobs, 'parameterized', parameterized ? '1' : '0', ws)
  }

  /** Jobs that can (or cannot) be garbage collected. */
  jobsByGC(gc: boolean, ws?: WatchSet): Job[] {
    return this.view.getAll<Job>(Tables.jobs, 'gc', gc ? '1' : '0', ws)
  }

  /** Every tracked version of a job, newest first. */
  jobVersionsByID(namespace: string, id: string, ws?: WatchSet): Job[] {
    return this.view.byPrefix<Job>(Tables.jobVersion, 'id', compoundKey(namespace, id) + KEY_SEPARATOR, ws).reverse()
  }

  /** One tracked version of a job. */
  jobByIDAndVersion(namespace: string, id: string, version: number, ws?: WatchSet): Job | undefined {
    return this.view.get<Job>(Tables.jobVersion, 'id', compoundKey(namespace, id, versionKey(version)), ws)
  }

  /** Every tracked job version of every job (for snapshots). */
  jobVersions(ws?: WatchSet): Job[] {
    return this.view.all<Job>(Tables.jobVersion, ws)
  }

  /** The job's allocation counts per task group. */
  jobSummaryByID(namespace: string, jobID: string, ws?: WatchSet): JobSummary | undefined {
    return this.view.get<JobSummary>(Tables.jobSummary, 'id', compoundKey(namespace, jobID), ws)
  }

  /** Every job summary. */
  jobSummaries(ws?: WatchSet): JobSummary[] {
    return this.view.all<JobSummary>(Tables.jobSummary, ws)
  }

  /** The last launch of a periodic job. */
  periodicLaunchByID(namespace: string, id: string, ws?: WatchSet): PeriodicLaunch | undefined {
    return this.view.get<PeriodicLaunch>(Tables.periodicLaunch, 'id', compoundKey(namespace, id), ws)
  }

  /** Every periodic launch. */
  periodicLaunches(ws?: WatchSet): PeriodicLaunch[] {
    return this.view.all<PeriodicLaunch>(Tables.periodicLaunch, ws)
  }

  // ---- evaluations ---------------------------------------------------------------------------

  /** Every evaluation, by ID. */
  evals(ws?: WatchSet): Evaluation[] {
    return this.view.all<Evaluation>(Tables.evals, ws)
  }

  /** The evaluation with this ID. */
  evalByID(id: string, ws?: WatchSet): Evaluation | undefined {
    return this.view.get<Evaluation>(Tables.evals, 'id', id, ws)
  }

  /** Evaluations whose ID starts with `prefix`. */
  evalsByIDPrefix(prefix: string, ws?: WatchSet): Evaluation[] {
    return this.view.byPrefix<Evaluation>(Tables.evals, 'id', prefix, ws)
  }

  /** Evaluations of a job, in any status. */
  evalsByJob(namespace: string, jobID: string, ws?: WatchSet): Evaluation[] {
    return this.view.byPrefix<Evaluation>(Tables.evals, 'job', compoundKey(namespace, jobID) + KEY_SEPARATOR, ws)
  }

  /** Evaluations of a job in one status (`blocked`, `pending`, …). */
  evalsByJobStatus(namespace: string, jobID: string, status: string, ws?: WatchSet): Evaluation[] {
    return this.view.getAll<Evaluation>(Tables.evals, 'job', compoundKey(namespace, jobID, status), ws)
  }

  // ---- allocations ---------------------------------------------------------------------------

  /** Every allocation, by ID. */
  allocs(ws?: WatchSet): Allocation[] {
    return this.view.all<Allocation>(Tables.allocs, ws)
  }

  /** The allocation with this ID. */
  allocByID(id: string, ws?: WatchSet): Allocation | undefined {
    return this.view.get<Allocation>(Tables.allocs, 'id', id, ws)
  }

  /** Allocations whose ID starts with `prefix`. */
  allocsByIDPrefix(prefix: string, ws?: WatchSet): Allocation[] {
    return this.view.byPrefix<Allocation>(Tables.allocs, 'id', prefix, ws)
  }

  /** Allocations on a node, terminal or not. */
  allocsByNode(nodeID: string, ws?: WatchSet): Allocation[] {
    return this.view.byPrefix<Allocation>(Tables.allocs, 'node', nodeID + KEY_SEPARATOR, ws)
  }

  /** Allocations on a node that are (or are not) terminal. */
  allocsByNodeTerminal(nodeID: string, terminal: boolean, ws?: WatchSet): Allocation[] {
    return this.view.getAll<Allocation>(Tables.allocs, 'node', compoundKey(nodeID, terminal ? '1' : '0'), ws)
  }

  /**
   * Allocations of a job. Unless `all`, allocations of an earlier job registered under the same
   * ID (a different job CreateIndex) are left out, as Nomad's AllocsByJob does.
   */
  allocsByJob(namespace: string, jobID: string, all: boolean, ws?: WatchSet): Allocation[] {
    const job = this.jobByID(namespace, jobID)
    const allocs = this.view.getAll<Allocation>(Tables.allocs, 'job', compoundKey(namespace, jobID), ws)
    if (all || job === undefined) return allocs
    return allocs.filter((a) => a.Job == null || a.Job.CreateIndex === job.CreateIndex)
  }

  /** Allocations an evaluation created. */
  allocsByEval(evalID: string, ws?: WatchSet): Allocation[] {
    return this.view.getAll<Allocation>(Tables.allocs, 'eval', evalID, ws)
  }

  /** Allocations of a deployment. */
  allocsByDeployment(deploymentID: string, ws?: WatchSet): Allocation[] {
    return this.view.getAll<Allocation>(Tables.allocs, 'deployment', deploymentID, ws)
  }

  // ---- deployments ---------------------------------------------------------------------------

  /** Every deployment, by ID. */
  deployments(ws?: WatchSet): Deployment[] {
    return this.view.all<Deployment>(Tables.deployment, ws)
  }

  /** The deployment with this ID. */
  deploymentByID(id: string, ws?: WatchSet): Deployment | undefined {
    return this.view.get<Deployment>(Tables.deployment, 'id', id, ws)
  }

  /** Deployments whose ID starts with `prefix`. */
  deploymentsByIDPrefix(prefix: string, ws?: WatchSet): Deployment[] {
    return this.view.byPrefix<Deployment>(Tables.deployment, 'id', prefix, ws)
  }

  /**
   * Deployments of a job. Unless `all`, only those of the currently registered job (same job
   * CreateIndex), as Nomad's DeploymentsByJobID does.
   */
  deploymentsByJobID(namespace: string, jobID: string, all: boolean, ws?: WatchSet): Deployment[] {
    const deployments = this.view.getAll<Deployment>(Tables.deployment, 'job', compoundKey(namespace, jobID), ws)
    if (all) return deployments
    const job = this.jobByID(namespace, jobID)
    if (job === undefined) return deployments
    return deployments.filter((d) => d.JobCreateIndex === job.CreateIndex)
  }

  /** The job's deployment with the highest CreateIndex. */
  latestDeploymentByJobID(namespace: string, jobID: string, ws?: WatchSet): Deployment | undefined {
    let latest: Deployment | undefined
    for (const d of this.view.getAll<Deployment>(Tables.deployment, 'job', compoundKey(namespace, jobID), ws)) {
      if (latest === undefined || d.CreateIndex > latest.CreateIndex) latest = d
    }
    return latest
  }

  // ---- ACL -----------------------------------------------------------------------------------

  /** Every ACL policy, by name. */
  aclPolicies(ws?: WatchSet): ACLPolicy[] {
    return this.view.all<ACLPolicy>(Tables.aclPolicy, ws)
  }

  /** The ACL policy with this name. */
  aclPolicyByName(name: string, ws?: WatchSet): ACLPolicy | undefined {
    return this.view.get<ACLPolicy>(Tables.aclPolicy, 'id', name, ws)
  }

  /** ACL policies whose name starts with `prefix`. */
  aclPoliciesByNamePrefix(prefix: string, ws?: WatchSet): ACLPolicy[] {
    return this.view.byPrefix<ACLPolicy>(Tables.aclPolicy, 'id', prefix, ws)
  }

  /** Every ACL token, by accessor ID. */
  aclTokens(ws?: WatchSet): ACLToken[] {
    return this.view.all<ACLToken>(Tables.aclToken, ws)
  }

  /** The ACL token with this accessor ID. */
  aclTokenByAccessorID(id: string, ws?: WatchSet): ACLToken | undefined {
    return this.view.get<ACLToken>(Tables.aclToken, 'id', id, ws)
  }

  /** The ACL token with this secret ID. */
  aclTokenBySecretID(secret: string, ws?: WatchSet): ACLToken | undefined {
    return this.view.get<ACLToken>(Tables.aclToken, 'secret', secret, ws)
  }

  /** ACL tokens whose accessor ID starts with `prefix`. */
  aclTokensByAccessorPrefix(prefix: string, ws?: WatchSet): ACLToken[] {
    return this.view.byPrefix<ACLToken>(Tables.aclToken, 'id', prefix, ws)
  }

  /** Global (or local) ACL tokens. */
  aclTokensByGlobal(global: boolean, ws?: WatchSet): ACLToken[] {
    return this.view.getAll<ACLToken>(Tables.aclToken, 'global', global ? '1' : '0', ws)
  }

  // ---- configuration -------------------------------------------------------------------------

  /** The scheduler configuration, when set (its ModifyIndex is the index that last set it). */
  schedulerConfig(ws?: WatchSet): SchedulerConfiguration | undefined {
    return this.view.get<SchedulerConfiguration>(Tables.schedulerConfig, 'id', SINGLETON, ws)
  }

  /** Autopilot's configuration, when set. */
  autopilotConfig(ws?: WatchSet): AutopilotConfig | undefined {
    return this.view.get<AutopilotConfig>(Tables.autopilotConfig, 'id', SINGLETON, ws)
  }

  /** The cluster's metadata, when set. */
  clusterMetadata(ws?: WatchSet): ClusterMetadata | undefined {
    return this.view.get<ClusterMetadata>(Tables.clusterMeta, 'id', SINGLETON, ws)
  }
}
