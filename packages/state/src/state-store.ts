import type { Clock } from '@nomadic/runtime'
import { systemClock } from '@nomadic/runtime'
import type {
  Allocation,
  ApplyPlanResultsRequest,
  Deployment,
  DeploymentStatusUpdateRequest,
  DesiredTransition,
  DrainStrategy,
  Evaluation,
  Job,
  Node,
  NodeEvent,
} from '@nomadic/structs'
import { IndexBackwardsError, InvalidInputError, RestoreError, StateError } from './errors.js'
import { MemDB, type ReadView } from './memdb/db.js'
import { WatchSet, type WaitOptions } from './memdb/watch.js'
import { StateReader } from './reader.js'
import { stateSchema, Tables } from './schema.js'
import { checkRecord, RECORD_ORDER, type SnapshotRecord } from './snapshot-records.js'
import type {
  ACLPolicy,
  ACLToken,
  AutopilotConfig,
  ClusterMetadata,
  DeploymentAllocHealthRequest,
  DeploymentPromoteRequest,
  JobSummary,
  PeriodicLaunch,
  SchedulerConfiguration,
} from './types.js'
import { StateWriter } from './writer.js'

/** Options of {@link StateStore}. */
export interface StateStoreOptions {
  /** Stamps SubmitTime on jobs submitted without one, and runs blocking-query timeouts. */
  clock?: Clock
}

/** What a blocking query's function returns: its result and the index it is at. */
export interface QueryResult<T> {
  index: number
  value: T
}

/** Options of {@link StateStore.blockingQuery}. */
export interface BlockingQueryOptions extends WaitOptions {
  /** Run again until the result's index is above this (Nomad's MinQueryIndex). */
  minIndex: number
}

/**
 * An immutable view of the store at one moment. Taking one is O(1) whatever the store's size;
 * it never sees later writes. It is the scheduler's `State`.
 */
export class StateSnapshot extends StateReader {
  constructor(
    view: ReadView,
    private readonly options: StateStoreOptions,
  ) {
    super(view)
  }

  /** The snapshot's records in Nomad's persist order (the FSM writes each as type byte + msgpack). */
  *records(): Generator<SnapshotRecord> {
    for (const { type, table } of RECORD_ORDER) {
      for (const value of this.view.all<unknown>(table)) yield { type, value } as SnapshotRecord
    }
  }

  /** A writable store that starts from this snapshot and shares its data (O(1)). */
  toStore(): StateStore {
    const store = new StateStore(this.options)
    store.db.root = { version: 0, tables: this.view.dbRoot.tables, exposed: true, owned: new Set() }
    return store
  }
}

/**
 * Nomad's state store: tables and indexes over persistent B+ trees, write transactions stamped
 * with the Raft index, O(1) immutable snapshots, and watch sets for blocking queries.
 *
 * @example
 * const store = new StateStore()
 * store.upsertNode(1000, node)
 * const snap = store.snapshot()
 * snap.nodeByID(node.ID)
 */
export class StateStore {
  /** @internal */
  readonly db = new MemDB(stateSchema)
  private readonly clock: Clock

  constructor(private readonly options: StateStoreOptions = {}) {
    this.clock = options.clock ?? systemClock
  }

  /** An immutable view of everything committed so far. */
  snapshot(): StateSnapshot {
    return new StateSnapshot(this.db.snapshot(), this.options)
  }

  /** The highest Raft index any write carried. */
  latestIndex(): number {
    return new StateReader(this.db.peek()).latestIndex()
  }

  /** The last Raft index that modified `table`. */
  index(table: string): number {
    return new StateReader(this.db.peek()).index(table)
  }

  /** True once a restore replaced this store. */
  get abandoned(): boolean {
    return this.db.registry.abandoned
  }

  /** Marks the store replaced: every blocking query wakes with `abandoned`. */
  abandon(): void {
    this.db.registry.abandon()
  }

  /** Number of watch sets waiting on this store. */
  get watcherCount(): number {
    return this.db.registry.watcherCount
  }

  /**
   * Runs `query` on a fresh snapshot until its index is above `minIndex`, waiting between runs
   * for what it read to change (Nomad's blockingRPC). Returns the last result at the timeout.
   */
  async blockingQuery<T>(options: BlockingQueryOptions, query: (snap: StateSnapshot, ws: WatchSet) => QueryResult<T>): Promise<QueryResult<T>> {
    const clock = options.clock ?? this.clock
    const deadline = options.timeoutMs === undefined ? undefined : clock.now() + options.timeoutMs
    for (;;) {
      const ws = new WatchSet()
      const result = query(this.snapshot(), ws)
      const left = deadline === undefined ? undefined : deadline - clock.now()
      if (result.index > options.minIndex || (left !== undefined && left <= 0)) {
        ws.close()
        return result
      }
      const why = await ws.wait({ timeoutMs: left, clock, signal: options.signal })
      if (why === 'timeout' || why === 'abandoned') {
        const last = new WatchSet()
        const final = query(this.snapshot(), last)
        last.close()
        return final
      }
    }
  }

  /** Waits until the store has applied `index` (Nomad's SnapshotMinIndex), then snapshots. */
  async snapshotMinIndex(index: number, options: WaitOptions = {}): Promise<StateSnapshot> {
    const result = await this.blockingQuery({ ...options, minIndex: index - 1, clock: options.clock ?? this.clock }, (snap, ws) => {
      snap.indexes(ws)
      return { index: snap.latestIndex(), value: snap }
    })
    if (result.index < index) throw new StateError('ERR_STATE_TIMEOUT', `timed out after waiting for index ${index} (store at ${result.index})`)
    return result.value
  }

  // ---- writes --------------------------------------------------------------------------------

  /**
   * Runs `fn` in one write transaction stamped with `index`: all of it commits, or (when it
   * throws) none of it does.
   */
  write<R>(index: number, fn: (w: StateWriter) => R): R {
    if (!Number.isSafeInteger(index) || index <= 0) throw new InvalidInputError(`invalid Raft index ${index}`)
    const latest = this.latestIndex()
    if (index < latest) throw new IndexBackwardsError(index, latest)
    const txn = this.db.txn()
    try {
      const result = fn(new StateWriter(txn, index))
      txn.commit()
      return result
    } catch (err) {
      txn.abort()
      throw err
    }
  }

  /** Registers or updates a node; drain, eligibility and events stay the server's. */
  upsertNode(index: number, node: Node): void {
    this.write(index, (w) => w.upsertNode(node))
  }

  /** Deletes nodes; every ID must exist. */
  deleteNode(index: number, nodeIDs: readonly string[]): void {
    this.write(index, (w) => w.deleteNodes(nodeIDs))
  }

  /** Sets a node's status (`ready`, `down`, …) and appends the event. */
  updateNodeStatus(index: number, nodeID: string, status: string, updatedAt: number, event?: NodeEvent | null): void {
    this.write(index, (w) => w.updateNodeStatus(nodeID, status, updatedAt, event))
  }

  /** Starts (strategy) or ends (null) a drain; a drain makes the node ineligible. */
  updateNodeDrain(index: number, nodeID: string, drain: DrainStrategy | null, markEligible: boolean, updatedAt: number, event?: NodeEvent | null): void {
    this.write(index, (w) => w.updateNodeDrain(nodeID, drain, markEligible, updatedAt, event))
  }

  /** Sets a node's scheduling eligibility; a draining node cannot become eligible. */
  updateNodeEligibility(index: number, nodeID: string, eligibility: string, updatedAt: number, event?: NodeEvent | null): void {
    this.write(index, (w) => w.updateNodeEligibility(nodeID, eligibility, updatedAt, event))
  }

  /** Registers a job or a new version of it (last 6 versions kept), with its summary. */
  upsertJob(index: number, job: Job): void {
    const stamped = job.SubmitTime ? job : { ...job, SubmitTime: this.clock.now() * 1e6 }
    this.write(index, (w) => w.upsertJob(stamped, false))
  }

  /** Deletes a job, its versions and its summary. */
  deleteJob(index: number, namespace: string, jobID: string): void {
    this.write(index, (w) => w.deleteJob(namespace, jobID))
  }

  /** Marks one version of a job stable (or not) without a new version. */
  updateJobStability(index: number, namespace: string, jobID: string, version: number, stable: boolean): void {
    this.write(index, (w) => w.updateJobStability(namespace, jobID, version, stable))
  }

  /** Writes a job summary as given. */
  upsertJobSummary(index: number, summary: JobSummary): void {
    this.write(index, (w) => w.upsertJobSummary(summary))
  }

  /** Rebuilds every job summary from the allocations. */
  reconcileJobSummaries(index: number): void {
    this.write(index, (w) => w.reconcileJobSummaries())
  }

  /** Records a periodic job's launch. */
  upsertPeriodicLaunch(index: number, launch: PeriodicLaunch): void {
    this.write(index, (w) => w.upsertPeriodicLaunch(launch))
  }

  /** Deletes a periodic launch; it must exist. */
  deletePeriodicLaunch(index: number, namespace: string, jobID: string): void {
    this.write(index, (w) => w.deletePeriodicLaunch(namespace, jobID))
  }

  /** Writes evaluations: queued counts into summaries, blocked evals cancelled on success. */
  upsertEvals(index: number, evals: readonly Evaluation[]): void {
    this.write(index, (w) => w.upsertEvals(evals))
  }

  /** Deletes evaluations and allocations (garbage collection); absent IDs are skipped. */
  deleteEval(index: number, evalIDs: readonly string[], allocIDs: readonly string[]): void {
    this.write(index, (w) => w.deleteEvals(evalIDs, allocIDs))
  }

  /** Writes allocations as the scheduler decided them; summaries, deployments and job status follow. */
  upsertAllocs(index: number, allocs: readonly Allocation[]): void {
    this.write(index, (w) => w.upsertAllocs(allocs))
  }

  /** Takes client status, task states and deployment health from clients. */
  updateAllocsFromClient(index: number, allocs: readonly Allocation[]): void {
    this.write(index, (w) => w.updateAllocsFromClient(allocs))
  }

  /** Sets desired transitions (migrate, reschedule) and writes the evals that act on them. */
  updateAllocsDesiredTransitions(index: number, transitions: Record<string, DesiredTransition>, evals: readonly Evaluation[] = []): void {
    this.write(index, (w) => w.updateAllocsDesiredTransitions(transitions, evals))
  }

  /** Applies a committed plan; stopped and preempted allocations arrive as diffs. */
  upsertPlanResults(index: number, results: ApplyPlanResultsRequest): void {
    this.write(index, (w) => w.upsertPlanResults(results))
  }

  /** Creates or replaces a deployment. */
  upsertDeployment(index: number, deployment: Deployment): void {
    this.write(index, (w) => w.upsertDeployment(deployment))
  }

  /** Deletes deployments; every ID must exist. */
  deleteDeployment(index: number, deploymentIDs: readonly string[]): void {
    this.write(index, (w) => w.deleteDeployments(deploymentIDs))
  }

  /** Sets an active deployment's status, with the job and eval that come with it. */
  updateDeploymentStatus(index: number, req: DeploymentStatusUpdateRequest): void {
    this.write(index, (w) => {
      if (req.DeploymentUpdate) w.updateDeploymentStatus(req.DeploymentUpdate)
      if (req.Job) w.upsertJob(req.Job, false)
      if (req.Eval) w.upsertEvals([req.Eval])
    })
  }

  /** Promotes a deployment's canaries; every promoted group needs its healthy canaries. */
  updateDeploymentPromotion(index: number, req: DeploymentPromoteRequest): void {
    this.write(index, (w) => w.updateDeploymentPromotion(req))
  }

  /** Sets allocations' deployment health, with the status update, job and eval that come with it. */
  updateDeploymentAllocHealth(index: number, req: DeploymentAllocHealthRequest): void {
    this.write(index, (w) => w.updateDeploymentAllocHealth(req))
  }

  /** Creates or replaces ACL policies. */
  upsertACLPolicies(index: number, policies: readonly ACLPolicy[]): void {
    this.write(index, (w) => {
      for (const p of policies) {
        const existing = w.aclPolicyByName(p.Name)
        w.put(Tables.aclPolicy, { ...p, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index })
      }
    })
  }

  /** Deletes ACL policies by name; absent names are skipped. */
  deleteACLPolicies(index: number, names: readonly string[]): void {
    this.write(index, (w) => {
      for (const name of names) w.remove(Tables.aclPolicy, name)
      w.bumpIndex(Tables.aclPolicy)
    })
  }

  /** Creates or replaces ACL tokens; a token's SecretID cannot change. */
  upsertACLTokens(index: number, tokens: readonly ACLToken[]): void {
    this.write(index, (w) => {
      for (const t of tokens) {
        const existing = w.aclTokenByAccessorID(t.AccessorID)
        if (existing !== undefined && existing.SecretID !== t.SecretID) throw new InvalidInputError('ACLToken SecretID cannot be changed')
        w.put(Tables.aclToken, { ...t, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index })
      }
    })
  }

  /** Deletes ACL tokens by accessor ID; absent IDs are skipped. */
  deleteACLTokens(index: number, accessorIDs: readonly string[]): void {
    this.write(index, (w) => {
      for (const id of accessorIDs) w.remove(Tables.aclToken, id)
      w.bumpIndex(Tables.aclToken)
    })
  }

  /** Writes the first management token once; again only with the matching reset index. */
  bootstrapACLTokens(index: number, resetIndex: number, token: ACLToken): void {
    this.write(index, (w) => {
      const done = w.index('acl_token_bootstrap')
      if (done !== 0) {
        if (resetIndex === 0) throw new InvalidInputError('ACL bootstrap already done')
        if (resetIndex !== done) throw new InvalidInputError('Invalid reset index for ACL bootstrap')
      }
      w.put(Tables.aclToken, { ...token, CreateIndex: index, ModifyIndex: index })
      w.bumpIndex('acl_token_bootstrap')
    })
  }

  /** Sets the scheduler configuration. */
  schedulerSetConfig(index: number, config: SchedulerConfiguration): void {
    this.write(index, (w) => w.setConfig(Tables.schedulerConfig, config))
  }

  /** Sets the scheduler configuration only if its ModifyIndex is `cas` (0: only if unset). */
  schedulerCASConfig(index: number, cas: number, config: SchedulerConfiguration): boolean {
    return this.write(index, (w) => w.setConfig(Tables.schedulerConfig, config, cas))
  }

  /** Sets autopilot's configuration. */
  autopilotSetConfig(index: number, config: AutopilotConfig): void {
    this.write(index, (w) => w.setConfig(Tables.autopilotConfig, config))
  }

  /** Sets autopilot's configuration only if its ModifyIndex is `cas` (0: only if unset). */
  autopilotCASConfig(index: number, cas: number, config: AutopilotConfig): boolean {
    return this.write(index, (w) => w.setConfig(Tables.autopilotConfig, config, cas))
  }

  /** Sets the cluster metadata; the cluster ID never changes once set. */
  clusterSetMetadata(index: number, meta: ClusterMetadata): void {
    this.write(index, (w) => {
      const existing = w.clusterMetadata()
      if (existing !== undefined && existing.ClusterID !== '' && existing.ClusterID !== meta.ClusterID) {
        throw new InvalidInputError('set cluster metadata failed: refusing to modify cluster id after set')
      }
      w.put(Tables.clusterMeta, { ...meta })
    })
  }

  // ---- restore -------------------------------------------------------------------------------

  /**
   * Builds a fresh store from a snapshot's records. A malformed record throws a
   * {@link RestoreError} and no store is built. The caller abandons the old store.
   */
  static restore(records: Iterable<unknown>, options: StateStoreOptions = {}): StateStore {
    const store = new StateStore(options)
    const txn = store.db.txn({ undo: false }) // a failed restore discards the store
    let n = 0
    try {
      for (const record of records) {
        insertRecord(txn, record, n++)
      }
      txn.commit()
    } catch (err) {
      txn.abort()
      throw err instanceof RestoreError ? err : new RestoreError((err as Error).message, n - 1)
    }
    return store
  }

  /** {@link StateStore.restore} from an async stream (a snapshot being read from disk or network). */
  static async restoreAsync(records: AsyncIterable<unknown>, options: StateStoreOptions = {}): Promise<StateStore> {
    const store = new StateStore(options)
    const txn = store.db.txn({ undo: false }) // a failed restore discards the store
    let n = 0
    try {
      for await (const record of records) insertRecord(txn, record, n++)
      txn.commit()
    } catch (err) {
      txn.abort()
      throw err instanceof RestoreError ? err : new RestoreError((err as Error).message, n - 1)
    }
    return store
  }
}

function insertRecord(txn: ReturnType<MemDB['txn']>, record: unknown, n: number): void {
  const checked = checkRecord(record)
  if (typeof checked === 'string') throw new RestoreError(checked, n)
  txn.insert(checked.shape.table, { ...checked.value })
}
