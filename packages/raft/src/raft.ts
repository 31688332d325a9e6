/**
 * A Raft node with hashicorp/raft 1.1.2's behaviour, on an event loop instead of goroutines:
 * every state change runs in one serial queue (the "main loop"), replication runs per follower
 * ({@link Replicator}), and committed entries reach the FSM in order through {@link FSMRunner}.
 */
import { Readable } from 'node:stream'
import {
  TypedEmitter, noopLogger, systemClock, systemRandom,
  type Clock, type Logger, type Random, type Timer,
} from '@nomadic/runtime'
import { Deferred, SerialQueue } from './deferred.js'
import { FSMRunner, type ApplyResult } from './fsm-runner.js'
import { Replicator, type ReplicationHost } from './replication.js'
import { resolveOptions, PROTOCOL_VERSION_MAX, type RaftOptions, type ResolvedOptions } from './options.js'
import {
  checkConfiguration, cloneConfiguration, hasVote, nextConfiguration, quorumSize, voters,
  type ConfigurationChange, type ConfigurationChangeCommand,
} from './configuration.js'
import { decodeConfiguration, decodePeers, encodeConfiguration, encodePeers } from './configuration-codec.js'
import {
  CantBootstrapError, EnqueueTimeoutError, LeadershipLostError, LeadershipTransferInProgressError, NothingNewToSnapshotError,
  NotLeaderError, RaftError, ShutdownError, TimeoutError, UnsupportedProtocolError,
} from './errors.js'
import {
  LogType, RPCType,
  type AppendEntriesRequest, type AppendEntriesResponse, type Configuration, type FSM, type IncomingRPC, type InstallSnapshotRequest,
  type InstallSnapshotResponse, type Log, type LogStore, type OpenedSnapshot, type RPC, type RPCHeader, type RequestPreVoteRequest,
  type RequestVoteRequest, type RequestVoteResponse, type Server, type ServerAddress, type ServerID, type SnapshotMeta,
  type SnapshotStore, type StableStore, type Transport,
} from './types.js'

export type { ApplyResult } from './fsm-runner.js'

/** The role of a node (hashicorp's RaftState names). */
export type RaftState = 'Follower' | 'Candidate' | 'Leader' | 'Shutdown'

/** The parts a node is built from. */
export interface RaftComponents {
  fsm: FSM
  logStore: LogStore
  stableStore: StableStore
  snapshotStore: SnapshotStore
  transport: Transport
  clock?: Clock
  random?: Random
  logger?: Logger
}

/** Options of {@link Raft.apply} and the other leader operations. */
export interface ApplyOptions {
  /** Bounds only the wait to enter the leader's log (hashicorp: ErrEnqueueTimeout). */
  timeout?: number
  /** Rejects the returned promise when it fires; an entry already in the log may still commit. */
  signal?: AbortSignal
  /** Stored with the entry for middleware. */
  extensions?: Buffer
}

/** The cluster leader as this node knows it. */
export interface LeaderInfo {
  address: ServerAddress
  id: ServerID
}

/** Data of an {@link Observation}. */
export type ObservationData =
  | { type: 'requestVote'; request: RequestVoteRequest }
  | { type: 'state'; state: RaftState }
  | { type: 'leader'; leader: LeaderInfo }
  | { type: 'peer'; removed: boolean; peer: Server }

/** Something that happened on a node, delivered to registered observers. */
export interface Observation {
  node: ServerID
  data: ObservationData
}

/** Receives observations that pass its filter (hashicorp's Observer). */
export interface Observer {
  filter?: (observation: Observation) => boolean
  notify: (observation: Observation) => void
}

/** Events of a node. */
export type RaftEvents = {
  /** The node's role changed. */
  state: (state: RaftState) => void
  /** The known leader changed (empty address: none known). */
  leader: (leader: LeaderInfo) => void
  /** This node gained (true) or lost (false) leadership. */
  leadership: (isLeader: boolean) => void
  /** The FSM applied entries up to `index`. */
  applied: (index: number) => void
}

/** A configuration and the log index it was written at. */
export interface IndexedConfiguration {
  configuration: Configuration
  index: number
}

/** A finished snapshot. */
export interface SnapshotResult {
  meta: SnapshotMeta
  /** Opens it for reading. */
  open(): Promise<OpenedSnapshot>
}

interface PendingApply {
  log: Log
  future?: Deferred<ApplyResult>
}

interface VerifyRequest {
  seq: number
  votes: Set<ServerID>
  future: Deferred<void>
}

interface ChangeRequest {
  change: ConfigurationChange
  future: Deferred<ApplyResult>
}

/** Leader-only state, dropped when leadership ends. */
interface LeaderState {
  term: number
  /** Index of the leader's first entry (its no-op): only entries from here commit by counting. */
  startIndex: number
  replicators: Map<ServerID, Replicator>
  inflight: Map<number, PendingApply>
  verifies: Set<VerifyRequest>
  transfer: Deferred<void> | undefined
  leaseTimer: Timer | undefined
  /** The leader's own last stored index: its vote in the commit count (it may trail lastLogIndex). */
  durableIndex: number
}

const KEY_CURRENT_TERM = 'CurrentTerm'
const KEY_LAST_VOTE_TERM = 'LastVoteTerm'
const KEY_LAST_VOTE_CAND = 'LastVoteCand'

/**
 * A Raft node.
 *
 * @example
 * ```ts
 * const raft = await Raft.create({ fsm, logStore, stableStore, snapshotStore, transport }, { localID: 'a' })
 * const { index, response } = await raft.apply(Buffer.from('set x 1'))
 * ```
 */
export class Raft extends TypedEmitter<RaftEvents> {
  readonly options: ResolvedOptions
  private readonly fsm: FSM
  private readonly logs: LogStore
  private readonly stable: StableStore
  private readonly snapshots: SnapshotStore
  private readonly transport: Transport
  private readonly clock: Clock
  private readonly random: Random
  private readonly logger: Logger
  private readonly runner: FSMRunner
  private readonly main = new SerialQueue()
  private readonly localAddress: ServerAddress
  private readonly localPeer: Buffer

  private stateValue: RaftState = 'Follower'
  private started = false
  private shutdownPromise: Promise<void> | undefined
  private currentTerm = 0
  private lastVoteTerm = 0
  private lastVoteCand: Buffer | undefined
  private lastLogIndexValue = 0
  private lastLogTerm = 0
  private lastSnapshotIndex = 0
  private lastSnapshotTerm = 0
  private commitIndexValue = 0
  private leaderAddress: ServerAddress = ''
  private lastContactAt = 0
  private latest: IndexedConfiguration = { configuration: { Servers: [] }, index: 0 }
  private committed: IndexedConfiguration = { configuration: { Servers: [] }, index: 0 }
  private leaderState: LeaderState | undefined
  private electionSeq = 0
  private fromTransfer = false
  private followerTimer: Timer | undefined
  private electionTimer: Timer | undefined
  private snapshotTimer: Timer | undefined
  private snapshotting = false
  private sendSeq = 0
  private readonly pendingApplies: PendingApply[] = []
  /** Leader entries handed to replication while the leader's own write is still running. */
  private readonly unflushed = new Map<number, Log>()
  private dispatchQueued = false
  private readonly pendingChanges: ChangeRequest[] = []
  private readonly observers = new Set<Observer>()
  private readonly waiters = new Set<Deferred<unknown>>()

  /** Validates the options; call {@link Raft.start} (or use {@link Raft.create}) before use. */
  constructor(components: RaftComponents, options: RaftOptions) {
    super()
    this.options = resolveOptions(options)
    this.fsm = components.fsm
    this.logs = components.logStore
    this.stable = components.stableStore
    this.snapshots = components.snapshotStore
    this.transport = components.transport
    this.clock = components.clock ?? systemClock
    this.random = components.random ?? systemRandom
    this.logger = (components.logger ?? noopLogger).child({ node: this.options.localID })
    this.localAddress = this.transport.localAddr()
    this.localPeer = this.transport.encodePeer(this.options.localID, this.localAddress)
    if (this.options.protocolVersion < 3 && this.options.localID !== this.localAddress) {
      throw new RaftError('RAFT_INVALID_CONFIG', 'localID: when running with ProtocolVersion < 3, LocalID must be set to the network address')
    }
    this.runner = new FSMRunner(this.fsm, this.options.maxAppendEntries, (i) => this.readLog(i), this.logger, (index) => {
      this.emit('applied', index)
      this.maybeSnapshotByThreshold()
    })
  }

  /** Constructs and starts a node. */
  static async create(components: RaftComponents, options: RaftOptions): Promise<Raft> {
    const raft = new Raft(components, options)
    await raft.start()
    return raft
  }

  /**
   * Restores the newest snapshot, reads the term, the vote and the configuration from the stores,
   * and starts as a follower.
   */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.currentTerm = await this.stable.getUint64(KEY_CURRENT_TERM)
    this.lastVoteTerm = await this.stable.getUint64(KEY_LAST_VOTE_TERM)
    this.lastVoteCand = await this.stable.get(KEY_LAST_VOTE_CAND)
    const lastIndex = await this.logs.lastIndex()
    if (lastIndex > 0) {
      const last = await this.logs.getLog(lastIndex)
      this.lastLogIndexValue = lastIndex
      this.lastLogTerm = last?.Term ?? 0
    }
    if (!this.options.noSnapshotRestoreOnStart) await this.restoreNewestSnapshot()
    await this.scanConfigurations()
    this.transport.setConsumer((rpc) => this.onRPC(rpc))
    this.transport.setHeartbeatHandler((rpc) => this.onRPC(rpc))
    this.lastContactAt = this.clock.now()
    this.resetFollowerTimer()
    this.scheduleSnapshotCheck()
    this.logger.info('initial configuration', { index: this.latest.index, servers: this.latest.configuration.Servers.length })
  }

  private async restoreNewestSnapshot(): Promise<void> {
    for (const meta of await this.snapshots.list()) {
      let opened: OpenedSnapshot
      try {
        opened = await this.snapshots.open(meta.ID)
      } catch (err) {
        this.logger.error('failed to open snapshot', { id: meta.ID, error: String(err) })
        continue
      }
      try {
        await this.fsm.restore(opened.reader)
      } catch (err) {
        opened.reader.destroy()
        this.logger.error('failed to restore snapshot', { id: meta.ID, error: String(err) })
        continue
      }
      const configuration = meta.Version > 0 ? meta.Configuration : decodePeers(meta.Peers, this.transport)
      this.runner.reset(meta.Index, meta.Term, configuration, meta.ConfigurationIndex)
      this.lastSnapshotIndex = meta.Index
      this.lastSnapshotTerm = meta.Term
      this.commitIndexValue = meta.Index
      this.committed = { configuration, index: meta.ConfigurationIndex }
      this.latest = { configuration, index: meta.ConfigurationIndex }
      if (this.lastLogIndexValue < meta.Index) {
        this.lastLogIndexValue = meta.Index
        this.lastLogTerm = meta.Term
      }
      return
    }
  }

  private async scanConfigurations(): Promise<void> {
    const first = Math.max(await this.logs.firstIndex(), this.lastSnapshotIndex + 1, 1)
    for (let i = first; i <= this.lastLogIndexValue; i++) {
      const log = await this.logs.getLog(i)
      if (log !== undefined) this.processConfigurationEntry(log)
    }
  }

  // ---- public API ----------------------------------------------------------------------------

  /** The node's role. */
  get state(): RaftState {
    return this.stateValue
  }

  /** The local server ID. */
  get id(): ServerID {
    return this.options.localID
  }

  /** The known leader ({address: '', id: ''} when none). */
  leader(): LeaderInfo {
    const address = this.leaderAddress
    const server = address === '' ? undefined : this.latest.configuration.Servers.find((s) => s.Address === address)
    return { address, id: server?.ID ?? (address === this.localAddress && address !== '' ? this.options.localID : '') }
  }

  /** Last index in the log or the last snapshot. */
  lastIndex(): number {
    return Math.max(this.lastLogIndexValue, this.lastSnapshotIndex)
  }

  /** Last index applied to the FSM. */
  appliedIndex(): number {
    return this.runner.lastApplied
  }

  /** Highest index known to be committed. */
  commitIndex(): number {
    return this.commitIndexValue
  }

  /** The current term. */
  currentTermValue(): number {
    return this.currentTerm
  }

  /** When the node last heard from a leader (ms of the clock). */
  lastContact(): number {
    return this.lastContactAt
  }

  /** The newest configuration (possibly uncommitted) and its index. */
  getConfiguration(): IndexedConfiguration {
    return { configuration: cloneConfiguration(this.latest.configuration), index: this.latest.index }
  }

  /** The newest committed configuration and its index. */
  getCommittedConfiguration(): IndexedConfiguration {
    return { configuration: cloneConfiguration(this.committed.configuration), index: this.committed.index }
  }

  /**
   * Appends a command to the log; resolves with its index and the FSM's response once it is
   * committed and applied. Only on the leader ({@link NotLeaderError} elsewhere).
   */
  apply(data: Buffer | Uint8Array, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.enqueueLog(LogType.Command, Buffer.from(data.buffer, data.byteOffset, data.byteLength), options)
  }

  /** Resolves once every entry before it has been applied to the FSM. */
  barrier(options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.enqueueLog(LogType.Barrier, Buffer.alloc(0), options)
  }

  private enqueueLog(type: LogType, data: Buffer, options: ApplyOptions): Promise<ApplyResult> {
    const failure = this.leaderOnly()
    if (failure !== undefined) return Promise.reject(failure)
    if (this.leaderState?.transfer !== undefined) return Promise.reject(new LeadershipTransferInProgressError())
    const future = new Deferred<ApplyResult>()
    const pending: PendingApply = {
      log: { Index: 0, Term: 0, Type: type, Data: data, Extensions: options.extensions ?? Buffer.alloc(0) },
      future,
    }
    this.track(future)
    this.pendingApplies.push(pending)
    this.bound(future, options, () => {
      const at = this.pendingApplies.indexOf(pending)
      if (at < 0) return false
      this.pendingApplies.splice(at, 1)
      return true
    })
    this.scheduleDispatch()
    return future.promise
  }

  /** Applies the caller's timeout (to the enqueue only) and signal (to the whole wait). */
  private bound<T>(future: Deferred<T>, options: ApplyOptions, dequeue: () => boolean): void {
    if (options.timeout !== undefined && options.timeout > 0) {
      const timer = this.clock.setTimeout(() => {
        if (dequeue()) future.reject(new EnqueueTimeoutError())
      }, options.timeout)
      void future.promise.then(() => timer.cancel(), () => timer.cancel())
    }
    const signal = options.signal
    if (signal !== undefined) {
      const onAbort = (): void => {
        dequeue()
        future.reject(signal.reason instanceof Error ? signal.reason : new TimeoutError('operation aborted'))
      }
      if (signal.aborted) onAbort()
      else {
        signal.addEventListener('abort', onAbort, { once: true })
        void future.promise.then(() => signal.removeEventListener('abort', onAbort), () => signal.removeEventListener('abort', onAbort))
      }
    }
  }

  /** Resolves once a quorum of voters confirms this node still leads. */
  verifyLeader(options: ApplyOptions = {}): Promise<void> {
    const failure = this.leaderOnly()
    if (failure !== undefined) return Promise.reject(failure)
    const ls = this.leaderState!
    const request: VerifyRequest = { seq: this.sendSeq, votes: new Set([this.options.localID]), future: new Deferred<void>() }
    this.track(request.future)
    this.bound(request.future, { signal: options.signal }, () => ls.verifies.delete(request))
    ls.verifies.add(request)
    this.checkVerify(request)
    if (!request.future.settled) for (const r of ls.replicators.values()) r.heartbeatNow()
    return request.future.promise
  }

  private checkVerify(request: VerifyRequest): void {
    const voterIDs = voters(this.latest.configuration).map((s) => s.ID)
    const votes = voterIDs.filter((id) => request.votes.has(id)).length
    if (votes >= quorumSize(this.latest.configuration)) {
      this.leaderState?.verifies.delete(request)
      request.future.resolve()
    }
  }

  /** Adds (or updates) a voter. `prevIndex` ≠ 0 makes it conditional on the latest configuration index. */
  addVoter(id: ServerID, address: ServerAddress, prevIndex = 0, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.requestChange('addStaging', id, address, prevIndex, options, 2)
  }

  /** Adds a server that receives the log but does not vote. */
  addNonvoter(id: ServerID, address: ServerAddress, prevIndex = 0, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.requestChange('addNonvoter', id, address, prevIndex, options, 3)
  }

  /** Takes a voter's vote away, keeping it as a non-voter. */
  demoteVoter(id: ServerID, prevIndex = 0, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.requestChange('demoteVoter', id, '', prevIndex, options, 3)
  }

  /** Removes a server; a leader that removes itself steps down once the change commits. */
  removeServer(id: ServerID, prevIndex = 0, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.requestChange('removeServer', id, '', prevIndex, options, 2)
  }

  private requestChange(
    command: ConfigurationChangeCommand, id: ServerID, address: ServerAddress, prevIndex: number,
    options: ApplyOptions, minProtocol: number,
  ): Promise<ApplyResult> {
    if (this.options.protocolVersion < minProtocol) return Promise.reject(new UnsupportedProtocolError())
    const failure = this.leaderOnly()
    if (failure !== undefined) return Promise.reject(failure)
    const request: ChangeRequest = { change: { command, id, address, prevIndex }, future: new Deferred<ApplyResult>() }
    this.track(request.future)
    this.pendingChanges.push(request)
    this.bound(request.future, options, () => {
      const at = this.pendingChanges.indexOf(request)
      if (at < 0) return false
      this.pendingChanges.splice(at, 1)
      return true
    })
    this.scheduleChange()
    return request.future.promise
  }

  /**
   * Hands leadership to `target` (or the most up-to-date voter): catches it up, sends it
   * TimeoutNow, and resolves once this node has stepped down.
   */
  leadershipTransfer(target?: { id: ServerID; address: ServerAddress }): Promise<void> {
    if (this.options.protocolVersion < 3) return Promise.reject(new UnsupportedProtocolError())
    const failure = this.leaderOnly()
    if (failure !== undefined) return Promise.reject(failure)
    const ls = this.leaderState!
    if (ls.transfer !== undefined) return Promise.reject(new LeadershipTransferInProgressError())
    let server: Server | undefined
    if (target !== undefined) server = { Suffrage: 0, ID: target.id, Address: target.address }
    else {
      let best: Replicator | undefined
      for (const r of ls.replicators.values()) {
        if (!hasVote(this.latest.configuration, r.server.ID)) continue
        if (best === undefined || r.matchIndex > best.matchIndex) best = r
      }
      server = best?.server
    }
    if (server === undefined) return Promise.reject(new RaftError('RAFT_TRANSFER_NO_TARGET', 'cannot find peer'))
    const replicator = ls.replicators.get(server.ID)
    if (replicator === undefined) return Promise.reject(new RaftError('RAFT_TRANSFER_NO_TARGET', 'cannot find replication state for peer'))
    const future = new Deferred<void>()
    this.track(future)
    ls.transfer = future
    void this.runTransfer(ls, replicator, future)
    return future.promise
  }

  private async runTransfer(ls: LeaderState, replicator: Replicator, future: Deferred<void>): Promise<void> {
    const deadline = this.clock.now() + this.options.electionTimeout
    const timer = this.clock.setTimeout(() => {
      if (this.leaderState === ls && ls.transfer === future) ls.transfer = undefined
      future.reject(new TimeoutError('leadership transfer timeout'))
    }, this.options.electionTimeout)
    void future.promise.then(() => timer.cancel(), () => timer.cancel())
    // Catch the target up, polling at the commit timeout: no new applies enter while transferring.
    while (!future.settled && this.leaderState === ls && replicator.matchIndex < this.lastLogIndexValue) {
      replicator.kick()
      await this.clock.sleep(this.options.commitTimeout)
      if (this.clock.now() > deadline) return
    }
    if (future.settled || this.leaderState !== ls) return
    try {
      await this.transport.timeoutNow(replicator.server.ID, replicator.server.Address, { ProtocolVersion: this.options.protocolVersion })
    } catch (err) {
      if (ls.transfer === future) ls.transfer = undefined
      future.reject(new RaftError('RAFT_TRANSFER_FAILED', `failed to make TimeoutNow RPC to ${replicator.server.ID}: ${String(err)}`))
    }
    // Success is this node stepping down when the target's election reaches it.
  }

  /** Takes a snapshot now; rejects with {@link NothingNewToSnapshotError} when nothing was applied since the last. */
  snapshot(): Promise<SnapshotResult> {
    if (this.shutdownPromise !== undefined) return Promise.reject(new ShutdownError())
    return this.takeSnapshot(true)
  }

  /** Statistics with hashicorp's keys. */
  stats(): Record<string, string> {
    const latest = this.latest.configuration
    const lastContact = this.stateValue === 'Leader'
      ? '0'
      : this.lastContactAt === 0 ? 'never' : `${this.clock.now() - this.lastContactAt}ms`
    return {
      state: this.stateValue,
      term: String(this.currentTerm),
      last_log_index: String(this.lastLogIndexValue),
      last_log_term: String(this.lastLogTerm),
      commit_index: String(this.commitIndexValue),
      applied_index: String(this.runner.lastApplied),
      fsm_pending: String(Math.max(0, this.commitIndexValue - this.runner.lastApplied)),
      last_snapshot_index: String(this.lastSnapshotIndex),
      last_snapshot_term: String(this.lastSnapshotTerm),
      protocol_version: String(this.options.protocolVersion),
      protocol_version_min: '0',
      protocol_version_max: String(PROTOCOL_VERSION_MAX),
      snapshot_version_min: '0',
      snapshot_version_max: '1',
      latest_configuration: JSON.stringify(latest.Servers),
      latest_configuration_index: String(this.latest.index),
      num_peers: String(Math.max(0, voters(latest).filter((s) => s.ID !== this.options.localID).length)),
      last_contact: lastContact,
    }
  }

  /** Registers an observer of elections, state and leader changes, and peer changes. */
  registerObserver(observer: Observer): void {
    this.observers.add(observer)
  }

  deregisterObserver(observer: Observer): void {
    this.observers.delete(observer)
  }

  /** Whether the node has never been bootstrapped nor joined (see {@link hasExistingState}). */
  async hasExistingState(): Promise<boolean> {
    return hasExistingState(this.logs, this.stable, this.snapshots)
  }

  /** Bootstraps a new cluster on a running node that has no state. */
  async bootstrapCluster(configuration: Configuration): Promise<void> {
    if (this.shutdownPromise !== undefined) throw new ShutdownError()
    await this.main.run(async () => {
      await bootstrapCluster(this.options, this.logs, this.stable, this.snapshots, this.transport, configuration)
      this.currentTerm = await this.stable.getUint64(KEY_CURRENT_TERM)
      const log = await this.logs.getLog(1)
      if (log !== undefined) {
        this.lastLogIndexValue = 1
        this.lastLogTerm = log.Term
        this.processConfigurationEntry(log)
      }
      this.lastContactAt = 0
      this.resetFollowerTimer()
    })
  }

  /**
   * Stops the node: every pending future settles with {@link ShutdownError}, timers stop,
   * the transport closes. Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.shutdownPromise === undefined) this.shutdownPromise = this.runShutdown()
    return this.shutdownPromise
  }

  private async runShutdown(): Promise<void> {
    const wasLeader = this.stateValue === 'Leader'
    this.leaveLeader(new ShutdownError())
    this.setState('Shutdown')
    if (wasLeader) this.emit('leadership', false)
    this.followerTimer?.cancel()
    this.electionTimer?.cancel()
    this.snapshotTimer?.cancel()
    this.transport.setConsumer(undefined)
    this.transport.setHeartbeatHandler(undefined)
    for (const p of this.pendingApplies.splice(0)) p.future?.reject(new ShutdownError())
    for (const c of this.pendingChanges.splice(0)) c.future.reject(new ShutdownError())
    for (const w of this.waiters) w.reject(new ShutdownError())
    this.waiters.clear()
    // Closing the transport first ends any snapshot stream a task may be reading from.
    await this.transport.close()
    await this.runner.stop()
    await this.main.idle()
  }

  // ---- helpers --------------------------------------------------------------------------------

  private track<T>(future: Deferred<T>): void {
    const d = future as Deferred<unknown>
    this.waiters.add(d)
    void future.promise.then(() => this.waiters.delete(d), () => this.waiters.delete(d))
  }

  private leaderOnly(): RaftError | undefined {
    if (this.shutdownPromise !== undefined || !this.started) return new ShutdownError()
    if (this.stateValue !== 'Leader' || this.leaderState === undefined) {
      const { address, id } = this.leader()
      return new NotLeaderError(address, id)
    }
    return undefined
  }

  private isShutdown(): boolean {
    return this.shutdownPromise !== undefined
  }

  private header(): RPCHeader {
    return { ProtocolVersion: this.options.protocolVersion }
  }

  private observe(data: ObservationData): void {
    if (this.observers.size === 0) return
    const observation: Observation = { node: this.options.localID, data }
    for (const o of this.observers) {
      if (o.filter !== undefined && !o.filter(observation)) continue
      try {
        o.notify(observation)
      } catch {
        // An observer's failure is its own.
      }
    }
  }

  private setState(state: RaftState): void {
    if (this.stateValue === state || this.stateValue === 'Shutdown') return
    this.stateValue = state
    this.observe({ type: 'state', state })
    this.emit('state', state)
  }

  private setLeader(address: ServerAddress): void {
    if (this.leaderAddress === address) return
    this.leaderAddress = address
    const info = this.leader()
    this.observe({ type: 'leader', leader: info })
    this.emit('leader', info)
  }

  private async setCurrentTerm(term: number): Promise<void> {
    await this.stable.setUint64(KEY_CURRENT_TERM, term)
    this.currentTerm = term
  }

  private async persistVote(term: number, candidate: Buffer): Promise<void> {
    await this.stable.setUint64(KEY_LAST_VOTE_TERM, term)
    await this.stable.set(KEY_LAST_VOTE_CAND, candidate)
    this.lastVoteTerm = term
    this.lastVoteCand = candidate
  }

  private randomTimeout(base: number): number {
    return base + this.random.next() * base
  }

  private processConfigurationEntry(log: Log): void {
    if (log.Type === LogType.Configuration) {
      this.committed = this.latest
      this.latest = { configuration: decodeConfiguration(log.Data), index: log.Index }
    } else if (log.Type === LogType.AddPeerDeprecated || log.Type === LogType.RemovePeerDeprecated) {
      this.committed = this.latest
      this.latest = { configuration: decodePeers(log.Data, this.transport), index: log.Index }
    }
  }

  private async termAt(index: number): Promise<number | undefined> {
    if (index === 0) return 0
    if (index === this.lastLogIndexValue) return this.lastLogTerm
    if (index === this.lastSnapshotIndex) return this.lastSnapshotTerm
    const log = await this.readLog(index)
    return log?.Term
  }

  /** An entry from the leader's unflushed batch or the log store. */
  private readLog(index: number): Promise<Log | undefined> {
    const pending = this.unflushed.get(index)
    return pending !== undefined ? Promise.resolve(pending) : this.logs.getLog(index)
  }

  // ---- follower and candidate timers ----------------------------------------------------------

  private resetFollowerTimer(): void {
    this.followerTimer?.cancel()
    if (this.isShutdown()) return
    this.followerTimer = this.clock.setTimeout(() => {
      this.followerTimer = undefined
      void this.main.run(() => this.onFollowerTimeout())
    }, this.randomTimeout(this.options.heartbeatTimeout))
  }

  private async onFollowerTimeout(): Promise<void> {
    if (this.isShutdown() || this.stateValue !== 'Follower') return
    if (this.clock.now() - this.lastContactAt < this.options.heartbeatTimeout) {
      this.resetFollowerTimer()
      return
    }
    this.setLeader('')
    if (this.latest.index === 0 || !hasVote(this.latest.configuration, this.options.localID)) {
      this.resetFollowerTimer()
      return
    }
    this.logger.debug('heartbeat timeout reached, starting election')
    if (this.options.preVote && this.transport.requestPreVote !== undefined) await this.preElect()
    else await this.elect(false)
  }

  private scheduleElectionTimer(): void {
    this.electionTimer?.cancel()
    if (this.isShutdown()) return
    this.electionTimer = this.clock.setTimeout(() => {
      this.electionTimer = undefined
      void this.main.run(async () => {
        if (this.isShutdown() || this.stateValue !== 'Candidate') return
        if (!hasVote(this.latest.configuration, this.options.localID)) {
          this.becomeFollower()
          return
        }
        if (this.options.preVote && this.transport.requestPreVote !== undefined) await this.preElect()
        else await this.elect(false)
      })
    }, this.randomTimeout(this.options.electionTimeout))
  }

  private becomeFollower(): void {
    this.electionTimer?.cancel()
    this.electionTimer = undefined
    this.electionSeq++
    this.setState('Follower')
    this.resetFollowerTimer()
  }

  /** Asks for pre-votes at term + 1 without changing any state; campaigns on a quorum. */
  private async preElect(): Promise<void> {
    this.setState('Candidate')
    this.setLeader('')
    const election = ++this.electionSeq
    this.scheduleElectionTimer()
    const configuration = this.latest.configuration
    const needed = quorumSize(configuration)
    let granted = 1
    const request: RequestPreVoteRequest = {
      ...this.header(),
      ID: Buffer.from(this.options.localID),
      Addr: this.localPeer,
      Term: this.currentTerm + 1,
      LastLogIndex: this.lastLogIndexValue,
      LastLogTerm: this.lastLogTerm,
    }
    if (granted >= needed) {
      await this.elect(false)
      return
    }
    for (const server of voters(configuration)) {
      if (server.ID === this.options.localID) continue
      this.transport.requestPreVote!(server.ID, server.Address, request).then(
        (response) => void this.main.run(async () => {
          if (this.isShutdown() || election !== this.electionSeq || this.stateValue !== 'Candidate') return
          if (!response.Granted) return
          granted++
          if (granted === needed) await this.elect(false)
        }),
        () => {},
      )
    }
  }

  /** Increments the term, votes for itself, and asks every voter. */
  private async elect(transfer: boolean): Promise<void> {
    this.setState('Candidate')
    this.setLeader('')
    const election = ++this.electionSeq
    const term = this.currentTerm + 1
    await this.setCurrentTerm(term)
    await this.persistVote(term, this.localPeer)
    if (this.isShutdown() || election !== this.electionSeq) return
    this.scheduleElectionTimer()
    const configuration = this.latest.configuration
    const needed = quorumSize(configuration)
    const granted = new Set<ServerID>([this.options.localID])
    const request: RequestVoteRequest = {
      ...this.header(),
      Term: term,
      Candidate: this.localPeer,
      LastLogIndex: this.lastLogIndexValue,
      LastLogTerm: this.lastLogTerm,
      LeadershipTransfer: transfer,
    }
    this.logger.debug('entering candidate state', { term })
    if (granted.size >= needed) {
      this.becomeLeader()
      return
    }
    for (const server of voters(configuration)) {
      if (server.ID === this.options.localID) continue
      this.transport.requestVote(server.ID, server.Address, request).then(
        (response) => void this.main.run(async () => {
          if (this.isShutdown() || election !== this.electionSeq || this.stateValue !== 'Candidate') return
          if (response.Term > this.currentTerm) {
            await this.stepDown(response.Term)
            return
          }
          if (!response.Granted || response.Term !== term) return
          granted.add(server.ID)
          if (granted.size === needed) this.becomeLeader()
        }),
        () => {},
      )
    }
  }

  /** Adopts a newer term (if given) and becomes a follower. */
  private async stepDown(term?: number): Promise<void> {
    if (term !== undefined && term > this.currentTerm) await this.setCurrentTerm(term)
    if (this.stateValue === 'Leader') {
      this.leaveLeader(new LeadershipLostError())
      this.setLeader('')
      this.setState('Follower')
      this.emit('leadership', false)
    }
    this.becomeFollower()
  }

  // ---- leader ----------------------------------------------------------------------------------

  private becomeLeader(): void {
    if (this.isShutdown()) return
    this.electionTimer?.cancel()
    this.electionTimer = undefined
    this.followerTimer?.cancel()
    this.followerTimer = undefined
    this.electionSeq++
    this.fromTransfer = false
    this.setState('Leader')
    this.setLeader(this.localAddress)
    const ls: LeaderState = {
      term: this.currentTerm,
      startIndex: this.lastLogIndexValue + 1,
      replicators: new Map(),
      inflight: new Map(),
      verifies: new Set(),
      transfer: undefined,
      leaseTimer: undefined,
      durableIndex: this.lastLogIndexValue,
    }
    this.leaderState = ls
    this.logger.info('entering leader state', { term: ls.term })
    this.startReplication(ls)
    this.scheduleLease(ls)
    // The no-op commits every earlier entry once it commits.
    this.pendingApplies.unshift({ log: { Index: 0, Term: 0, Type: LogType.Noop, Data: Buffer.alloc(0), Extensions: Buffer.alloc(0) } })
    this.scheduleDispatch()
    this.emit('leadership', true)
  }

  /** Drops leader state; inflight entries fail with `error`. */
  private leaveLeader(error: RaftError): void {
    const ls = this.leaderState
    if (ls === undefined) return
    this.leaderState = undefined
    ls.leaseTimer?.cancel()
    for (const r of ls.replicators.values()) r.stop()
    for (const p of ls.inflight.values()) p.future?.reject(error)
    ls.inflight.clear()
    const notLeader = error instanceof ShutdownError ? error : new NotLeaderError()
    for (const v of ls.verifies) v.future.reject(notLeader)
    ls.verifies.clear()
    for (const p of this.pendingApplies.splice(0)) p.future?.reject(notLeader)
    for (const c of this.pendingChanges.splice(0)) c.future.reject(notLeader)
    if (ls.transfer !== undefined) {
      // Stepping down while transferring is what a transfer is for.
      if (error instanceof ShutdownError) ls.transfer.reject(error)
      else ls.transfer.resolve()
    }
  }

  private replicationHost(ls: LeaderState): ReplicationHost {
    return {
      clock: this.clock,
      random: this.random,
      logger: this.logger,
      transport: this.transport,
      maxAppendEntries: this.options.maxAppendEntries,
      heartbeatTimeout: this.options.heartbeatTimeout,
      commitTimeout: this.options.commitTimeout,
      maxPipelineInFlight: this.options.maxPipelineInFlight,
      term: ls.term,
      isCurrent: () => this.leaderState === ls && !this.isShutdown(),
      header: () => this.header(),
      leaderPeer: () => this.localPeer,
      lastLogIndex: () => this.lastLogIndexValue,
      commitIndex: () => this.commitIndexValue,
      termAt: (index) => this.termAt(index),
      getLogs: async (from, to) => {
        const out: Log[] = []
        for (let i = from; i <= to; i++) {
          const log = await this.readLog(i)
          if (log === undefined) return undefined
          out.push(log)
        }
        return out
      },
      sendSnapshot: (server) => this.sendSnapshot(ls, server),
      sawTerm: (term) => void this.main.run(async () => {
        if (this.leaderState === ls && term > this.currentTerm) await this.stepDown(term)
      }),
      matched: (server) => this.updateCommit(ls, server),
      contacted: (server, seq) => {
        for (const v of ls.verifies) {
          if (seq > v.seq) {
            v.votes.add(server.ID)
            this.checkVerify(v)
          }
        }
      },
      nextSeq: () => ++this.sendSeq,
    }
  }

  private startReplication(ls: LeaderState): void {
    const host = this.replicationHost(ls)
    const inConfiguration = new Set<ServerID>()
    for (const server of this.latest.configuration.Servers) {
      if (server.ID === this.options.localID) continue
      inConfiguration.add(server.ID)
      const existing = ls.replicators.get(server.ID)
      if (existing !== undefined && existing.server.Address === server.Address) continue
      existing?.stop()
      const r = new Replicator({ ...server }, host)
      ls.replicators.set(server.ID, r)
      this.logger.debug('added peer, starting replication', { peer: server.ID })
      r.start()
      this.observe({ type: 'peer', removed: false, peer: { ...server } })
    }
    for (const [id, r] of ls.replicators) {
      if (inConfiguration.has(id)) continue
      r.stop()
      ls.replicators.delete(id)
      this.observe({ type: 'peer', removed: true, peer: r.server })
    }
  }

  private scheduleLease(ls: LeaderState): void {
    ls.leaseTimer = this.clock.setTimeout(() => {
      void this.main.run(async () => {
        if (this.leaderState !== ls || this.isShutdown()) return
        const now = this.clock.now()
        let contacted = 0
        for (const server of voters(this.latest.configuration)) {
          if (server.ID === this.options.localID) contacted++
          else {
            const r = ls.replicators.get(server.ID)
            if (r !== undefined && now - r.lastContact <= this.options.leaderLeaseTimeout) contacted++
          }
        }
        if (contacted < quorumSize(this.latest.configuration)) {
          this.logger.warn('failed to contact quorum of nodes, stepping down')
          await this.stepDown()
          return
        }
        this.scheduleLease(ls)
      })
    }, this.options.leaderLeaseTimeout)
  }

  private scheduleDispatch(): void {
    if (this.dispatchQueued) return
    this.dispatchQueued = true
    void this.main.run(async () => {
      this.dispatchQueued = false
      await this.dispatch()
    })
  }

  /**
   * Writes up to maxAppendEntries pending entries in one batch (group commit). Replication starts
   * before the leader's own write finishes (Raft thesis §10.2.1); the leader counts towards the
   * commit quorum only once its write is done.
   */
  private async dispatch(): Promise<void> {
    const ls = this.leaderState
    if (ls === undefined || this.isShutdown()) return
    const batch = this.pendingApplies.splice(0, this.options.maxAppendEntries)
    if (batch.length === 0) return
    if (this.pendingApplies.length > 0) this.scheduleDispatch()
    const now = this.clock.now()
    let index = this.lastLogIndexValue
    const logs = batch.map((p) => {
      p.log.Index = ++index
      p.log.Term = ls.term
      p.log.AppendedAt = now
      return p.log
    })
    const previous = { index: this.lastLogIndexValue, term: this.lastLogTerm, latest: this.latest, committed: this.committed }
    for (const p of batch) {
      this.unflushed.set(p.log.Index, p.log)
      ls.inflight.set(p.log.Index, p)
    }
    const last = logs[logs.length - 1]!
    this.lastLogIndexValue = last.Index
    this.lastLogTerm = last.Term
    let configurationChanged = false
    for (const log of logs) {
      if (log.Type === LogType.Configuration) {
        this.processConfigurationEntry(log)
        configurationChanged = true
      }
    }
    if (configurationChanged) this.startReplication(ls)
    for (const r of ls.replicators.values()) r.kick()
    try {
      await this.logs.storeLogs(logs)
    } catch (err) {
      this.logger.error('failed to commit logs', { error: String(err) })
      for (const log of logs) {
        this.unflushed.delete(log.Index)
        ls.inflight.get(log.Index)?.future?.reject(err)
        ls.inflight.delete(log.Index)
      }
      this.lastLogIndexValue = previous.index
      this.lastLogTerm = previous.term
      this.latest = previous.latest
      this.committed = previous.committed
      if (this.leaderState === ls) await this.stepDown()
      return
    }
    for (const log of logs) this.unflushed.delete(log.Index)
    ls.durableIndex = Math.max(ls.durableIndex, last.Index)
    this.updateCommit(ls)
  }

  /** Moves the commit index to the quorum's match index (entries of this term only). */
  private updateCommit(ls: LeaderState, _server?: Server): void {
    if (this.leaderState !== ls) return
    const matches: number[] = []
    for (const server of voters(this.latest.configuration)) {
      if (server.ID === this.options.localID) matches.push(ls.durableIndex)
      else matches.push(ls.replicators.get(server.ID)?.matchIndex ?? 0)
    }
    if (matches.length === 0) return
    matches.sort((a, b) => b - a)
    const quorumMatch = matches[quorumSize(this.latest.configuration) - 1]!
    if (quorumMatch > this.commitIndexValue && quorumMatch >= ls.startIndex) {
      this.setCommitIndex(quorumMatch, ls.inflight)
      for (const r of ls.replicators.values()) r.commitAdvanced()
    }
  }

  private setCommitIndex(index: number, futures: Map<number, PendingApply>): void {
    this.commitIndexValue = index
    const configurationCommitted = this.latest.index <= index && this.committed.index !== this.latest.index
    if (this.latest.index <= index) this.committed = this.latest
    this.runner.commit(index, futures)
    if (configurationCommitted) {
      this.scheduleChange()
      const ls = this.leaderState
      if (ls !== undefined && !hasVote(this.committed.configuration, this.options.localID)) {
        void this.main.run(async () => {
          if (this.leaderState !== ls) return
          this.logger.info('removed ourself, transitioning to follower')
          await this.stepDown()
          if (this.options.shutdownOnRemove) void this.shutdown()
        })
      }
    }
  }

  private scheduleChange(): void {
    if (this.pendingChanges.length === 0) return
    void this.main.run(async () => this.processChange())
  }

  /** Appends one membership change when the previous one has committed. */
  private async processChange(): Promise<void> {
    const ls = this.leaderState
    if (ls === undefined || this.isShutdown()) return
    if (this.latest.index !== this.committed.index) return
    const request = this.pendingChanges.shift()
    if (request === undefined) return
    let configuration: Configuration
    try {
      configuration = nextConfiguration(this.latest.configuration, this.latest.index, request.change)
    } catch (err) {
      request.future.reject(err)
      this.scheduleChange()
      return
    }
    this.pendingApplies.push({
      log: { Index: 0, Term: 0, Type: LogType.Configuration, Data: encodeConfiguration(configuration), Extensions: Buffer.alloc(0) },
      future: request.future,
    })
    await this.dispatch()
  }

  // ---- snapshots -------------------------------------------------------------------------------

  private scheduleSnapshotCheck(): void {
    if (this.isShutdown()) return
    this.snapshotTimer = this.clock.setTimeout(() => {
      this.snapshotTimer = undefined
      this.maybeSnapshotByThreshold()
      this.scheduleSnapshotCheck()
    }, this.randomTimeout(this.options.snapshotInterval))
  }

  private maybeSnapshotByThreshold(): void {
    if (this.snapshotting || this.isShutdown()) return
    if (this.runner.lastApplied - this.lastSnapshotIndex <= this.options.snapshotThreshold) return
    void this.takeSnapshot(false).catch((err) => this.logger.error('failed to take snapshot', { error: String(err) }))
  }

  private async takeSnapshot(user: boolean): Promise<SnapshotResult> {
    if (this.snapshotting) throw new RaftError('RAFT_SNAPSHOT_IN_PROGRESS', 'snapshot already in progress')
    this.snapshotting = true
    try {
      const captured = await this.runner.capture()
      if (captured.index === 0 || captured.index <= this.lastSnapshotIndex) {
        captured.snapshot.release()
        throw new NothingNewToSnapshotError()
      }
      const sink = await this.snapshots.create(1, captured.index, captured.term, captured.configuration, captured.configurationIndex, this.transport)
      try {
        await captured.snapshot.persist(sink)
      } catch (err) {
        await sink.cancel().catch(() => {})
        throw err
      } finally {
        captured.snapshot.release()
      }
      const id = sink.id()
      const metas = await this.snapshots.list()
      const meta = metas.find((m) => m.ID === id) ?? {
        Version: 1, ID: id, Index: captured.index, Term: captured.term, Peers: Buffer.alloc(0),
        Configuration: captured.configuration, ConfigurationIndex: captured.configurationIndex, Size: 0,
      }
      if (captured.index > this.lastSnapshotIndex) {
        this.lastSnapshotIndex = captured.index
        this.lastSnapshotTerm = captured.term
      }
      await this.main.run(() => this.compactLogs(captured.index))
      this.logger.info('snapshot complete', { index: captured.index, user })
      return { meta, open: () => this.snapshots.open(id) }
    } finally {
      this.snapshotting = false
    }
  }

  /** Deletes log entries covered by the snapshot at `index`, keeping trailingLogs. */
  private async compactLogs(index: number): Promise<void> {
    if (this.isShutdown()) return
    const first = await this.logs.firstIndex()
    if (first === 0) return
    const last = await this.logs.lastIndex()
    const max = Math.min(index, last - this.options.trailingLogs)
    if (max < first) return
    await this.logs.deleteRange(first, max)
  }

  /** Sends the newest snapshot to a follower that needs compacted entries. */
  private async sendSnapshot(ls: LeaderState, server: Server): Promise<number | undefined> {
    const metas = await this.snapshots.list()
    const meta = metas[0]
    if (meta === undefined) {
      this.logger.error('no snapshots found to send', { peer: server.ID })
      return undefined
    }
    let opened: OpenedSnapshot
    try {
      opened = await this.snapshots.open(meta.ID)
    } catch (err) {
      this.logger.error('failed to open snapshot', { id: meta.ID, error: String(err) })
      return undefined
    }
    if (this.leaderState !== ls) {
      opened.reader.destroy()
      return undefined
    }
    const request: InstallSnapshotRequest = {
      ...this.header(),
      SnapshotVersion: opened.meta.Version,
      Term: ls.term,
      Leader: this.localPeer,
      LastLogIndex: opened.meta.Index,
      LastLogTerm: opened.meta.Term,
      Peers: opened.meta.Peers,
      Configuration: encodeConfiguration(opened.meta.Configuration),
      ConfigurationIndex: opened.meta.ConfigurationIndex,
      Size: opened.meta.Size,
    }
    try {
      const response = await this.transport.installSnapshot(server.ID, server.Address, request, opened.reader)
      if (response.Term > ls.term) {
        void this.main.run(async () => {
          if (this.leaderState === ls && response.Term > this.currentTerm) await this.stepDown(response.Term)
        })
        return undefined
      }
      return response.Success ? opened.meta.Index : undefined
    } catch (err) {
      this.logger.debug('failed to install snapshot', { peer: server.ID, error: String(err) })
      return undefined
    } finally {
      opened.reader.destroy()
    }
  }

  // ---- incoming RPCs ---------------------------------------------------------------------------

  private onRPC(rpc: RPC): void {
    if (this.isShutdown()) {
      rpc.reader?.destroy()
      rpc.respond(undefined, new ShutdownError())
      return
    }
    void this.main.run(() => this.handleRPC(rpc)).catch((err) => {
      this.logger.error('failed to handle rpc', { type: rpc.type, error: String(err) })
      rpc.reader?.destroy()
      rpc.respond(undefined, err instanceof Error ? err : new Error(String(err)))
    })
  }

  private async handleRPC(rpc: RPC): Promise<void> {
    if (this.isShutdown()) {
      rpc.reader?.destroy()
      rpc.respond(undefined, new ShutdownError())
      return
    }
    const version = rpc.command.ProtocolVersion
    if (version < 0 || version > PROTOCOL_VERSION_MAX || version < this.options.protocolVersion - 1) {
      rpc.reader?.destroy()
      rpc.respond(undefined, new RaftError('RAFT_UNSUPPORTED_PROTOCOL', 'protocol version not supported'))
      return
    }
    switch (rpc.type) {
      case RPCType.AppendEntries:
        rpc.respond(await this.appendEntries(rpc.command))
        return
      case RPCType.RequestVote:
        rpc.respond(await this.requestVote(rpc.command))
        return
      case RPCType.RequestPreVote:
        rpc.respond(this.requestPreVote(rpc.command))
        return
      case RPCType.InstallSnapshot:
        await this.installSnapshot(rpc)
        return
      case RPCType.TimeoutNow:
        await this.timeoutNow()
        rpc.respond(this.header())
        return
      default:
        (rpc as { respond(r: undefined, e: Error): void }).respond(undefined, new Error('unexpected command'))
    }
  }

  private async appendEntries(a: AppendEntriesRequest): Promise<AppendEntriesResponse> {
    const response: AppendEntriesResponse = {
      ...this.header(), Term: this.currentTerm, LastLog: this.lastLogIndexValue, Success: false, NoRetryBackoff: false,
    }
    if (a.Term < this.currentTerm) return response
    if (a.Term > this.currentTerm || this.stateValue !== 'Follower') {
      if (a.Term > this.currentTerm) await this.setCurrentTerm(a.Term)
      if (this.stateValue === 'Leader') {
        this.leaveLeader(new LeadershipLostError())
        this.emit('leadership', false)
      }
      this.becomeFollower()
      response.Term = a.Term
    }
    this.setLeader(this.transport.decodePeer(a.Leader))
    this.lastContactAt = this.clock.now()
    this.resetFollowerTimer()

    if (a.PrevLogEntry > 0 && a.PrevLogEntry > this.lastSnapshotIndex) {
      let prevTerm: number | undefined
      if (a.PrevLogEntry === this.lastLogIndexValue) prevTerm = this.lastLogTerm
      else if (a.PrevLogEntry < this.lastLogIndexValue) prevTerm = (await this.logs.getLog(a.PrevLogEntry))?.Term
      if (prevTerm === undefined || prevTerm !== a.PrevLogTerm) {
        response.NoRetryBackoff = true
        return response
      }
    }
    // Entries at or below our snapshot are committed, hence identical to the leader's: skip them.
    if (a.Entries.length > 0) {
      let newEntries: Log[] = []
      for (let i = 0; i < a.Entries.length; i++) {
        const entry = a.Entries[i]!
        if (entry.Index <= this.lastSnapshotIndex) continue
        if (entry.Index > this.lastLogIndexValue) {
          newEntries = a.Entries.slice(i)
          break
        }
        const stored = await this.logs.getLog(entry.Index)
        if (stored === undefined) {
          this.logger.warn('failed to get log entry', { index: entry.Index })
          return response
        }
        if (stored.Term !== entry.Term) {
          this.logger.warn('clearing log suffix', { from: entry.Index, to: this.lastLogIndexValue })
          await this.logs.deleteRange(entry.Index, this.lastLogIndexValue)
          if (entry.Index <= this.latest.index) this.latest = this.committed
          newEntries = a.Entries.slice(i)
          break
        }
      }
      if (newEntries.length > 0) {
        await this.logs.storeLogs(newEntries)
        for (const entry of newEntries) this.processConfigurationEntry(entry)
        const last = newEntries[newEntries.length - 1]!
        this.lastLogIndexValue = last.Index
        this.lastLogTerm = last.Term
      }
    }
    // Commit only what this request proved we share with the leader.
    const verified = a.PrevLogEntry + a.Entries.length
    if (a.LeaderCommitIndex > this.commitIndexValue) {
      const index = Math.min(a.LeaderCommitIndex, verified, this.lastLogIndexValue)
      if (index > this.commitIndexValue) this.setCommitIndex(index, new Map())
    }
    response.Success = true
    response.LastLog = this.lastLogIndexValue
    this.lastContactAt = this.clock.now()
    return response
  }

  private async requestVote(req: RequestVoteRequest): Promise<RequestVoteResponse> {
    this.observe({ type: 'requestVote', request: req })
    const response: RequestVoteResponse = { ...this.header(), Term: this.currentTerm, Peers: Buffer.alloc(0), Granted: false }
    if (this.options.protocolVersion < 2) response.Peers = encodePeers(this.latest.configuration, this.transport)
    const candidate = this.transport.decodePeer(req.Candidate)
    if (this.leaderAddress !== '' && this.leaderAddress !== candidate && !req.LeadershipTransfer) return response
    if (req.Term < this.currentTerm) return response
    if (req.Term > this.currentTerm) {
      await this.stepDown(req.Term)
      response.Term = req.Term
    }
    if (this.lastVoteTerm === req.Term && this.lastVoteCand !== undefined) {
      if (this.lastVoteCand.equals(req.Candidate)) response.Granted = true
      return response
    }
    if (this.lastLogTerm > req.LastLogTerm) return response
    if (this.lastLogTerm === req.LastLogTerm && this.lastLogIndexValue > req.LastLogIndex) return response
    await this.persistVote(req.Term, Buffer.from(req.Candidate))
    response.Granted = true
    this.lastContactAt = this.clock.now()
    this.resetFollowerTimer()
    return response
  }

  private requestPreVote(req: RequestPreVoteRequest): { ProtocolVersion: number; Term: number; Granted: boolean } {
    const response = { ...this.header(), Term: this.currentTerm, Granted: false }
    const recentLeader = this.leaderAddress !== '' && this.clock.now() - this.lastContactAt < this.options.heartbeatTimeout
    if (recentLeader || this.stateValue === 'Leader') return response
    if (req.Term < this.currentTerm) return response
    if (this.lastLogTerm > req.LastLogTerm) return response
    if (this.lastLogTerm === req.LastLogTerm && this.lastLogIndexValue > req.LastLogIndex) return response
    response.Granted = true
    return response
  }

  private async installSnapshot(rpc: IncomingRPC<typeof RPCType.InstallSnapshot>): Promise<void> {
    const req = rpc.command
    const reader = rpc.reader ?? Readable.from([])
    const response: InstallSnapshotResponse = { ...this.header(), Term: this.currentTerm, Success: false }
    const drain = async (): Promise<void> => {
      for await (const _chunk of reader) { /* discard */ }
    }
    if (req.Term < this.currentTerm) {
      await drain().catch(() => {})
      rpc.respond(response)
      return
    }
    if (req.Term > this.currentTerm || this.stateValue !== 'Follower') {
      if (req.Term > this.currentTerm) await this.setCurrentTerm(req.Term)
      if (this.stateValue === 'Leader') {
        this.leaveLeader(new LeadershipLostError())
        this.emit('leadership', false)
      }
      this.becomeFollower()
      response.Term = req.Term
    }
    this.setLeader(this.transport.decodePeer(req.Leader))
    this.lastContactAt = this.clock.now()
    // A snapshot of entries we already committed adds nothing.
    if (req.LastLogIndex <= this.commitIndexValue) {
      await drain().catch(() => {})
      response.Success = true
      rpc.respond(response)
      return
    }
    const configuration = req.SnapshotVersion > 0 ? decodeConfiguration(req.Configuration) : decodePeers(req.Peers, this.transport)
    const sink = await this.snapshots.create(1, req.LastLogIndex, req.LastLogTerm, configuration, req.ConfigurationIndex, this.transport)
    let copied = 0
    try {
      for await (const chunk of reader) {
        const bytes = chunk as Uint8Array
        copied += bytes.length
        await sink.write(bytes)
      }
    } catch (err) {
      await sink.cancel().catch(() => {})
      rpc.respond(undefined, err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (copied !== req.Size) {
      await sink.cancel().catch(() => {})
      rpc.respond(undefined, new Error(`short read: received ${copied} of ${req.Size} bytes`))
      return
    }
    await sink.close()
    const opened = await this.snapshots.open(sink.id())
    await this.runner.restore(opened.reader, req.LastLogIndex, req.LastLogTerm, configuration, req.ConfigurationIndex)
    // Keep log entries that follow a matching entry at the snapshot's index; otherwise drop the log.
    const existing = req.LastLogIndex <= this.lastLogIndexValue ? await this.logs.getLog(req.LastLogIndex) : undefined
    const first = await this.logs.firstIndex()
    if (existing !== undefined && existing.Term === req.LastLogTerm) {
      if (first > 0 && first <= req.LastLogIndex) await this.logs.deleteRange(first, req.LastLogIndex)
    } else {
      if (first > 0) await this.logs.deleteRange(first, Math.max(this.lastLogIndexValue, await this.logs.lastIndex()))
      this.lastLogIndexValue = req.LastLogIndex
      this.lastLogTerm = req.LastLogTerm
    }
    this.lastSnapshotIndex = req.LastLogIndex
    this.lastSnapshotTerm = req.LastLogTerm
    this.commitIndexValue = Math.max(this.commitIndexValue, req.LastLogIndex)
    this.latest = { configuration, index: req.ConfigurationIndex }
    this.committed = { configuration, index: req.ConfigurationIndex }
    if (existing !== undefined && existing.Term === req.LastLogTerm) {
      // Configuration entries after the snapshot still count as the latest.
      for (let i = req.LastLogIndex + 1; i <= this.lastLogIndexValue; i++) {
        const log = await this.logs.getLog(i)
        if (log !== undefined) this.processConfigurationEntry(log)
      }
      this.committed = { configuration, index: req.ConfigurationIndex }
    }
    response.Success = true
    this.lastContactAt = this.clock.now()
    this.resetFollowerTimer()
    rpc.respond(response)
  }

  private async timeoutNow(): Promise<void> {
    this.setLeader('')
    if (this.stateValue === 'Leader') {
      this.leaveLeader(new LeadershipLostError())
      this.emit('leadership', false)
    }
    this.fromTransfer = true
    void this.main.run(async () => {
      if (this.isShutdown() || !this.fromTransfer) return
      this.fromTransfer = false
      if (!hasVote(this.latest.configuration, this.options.localID)) return
      await this.elect(true)
    })
  }
}

/** Whether any of the stores holds state: a term, a log entry or a snapshot. */
export async function hasExistingState(logs: LogStore, stable: StableStore, snapshots: SnapshotStore): Promise<boolean> {
  if ((await stable.getUint64(KEY_CURRENT_TERM)) > 0) return true
  if ((await logs.lastIndex()) > 0) return true
  return (await snapshots.list()).length > 0
}

/**
 * Writes the first configuration of a new cluster into fresh stores: term 1 and a Configuration
 * entry at index 1 (hashicorp's BootstrapCluster). Throws {@link CantBootstrapError} when the
 * stores hold state.
 */
export async function bootstrapCluster(
  options: RaftOptions, logs: LogStore, stable: StableStore, snapshots: SnapshotStore, transport: Transport,
  configuration: Configuration,
): Promise<void> {
  const resolved = resolveOptions(options)
  checkConfiguration(configuration)
  if (await hasExistingState(logs, stable, snapshots)) throw new CantBootstrapError()
  await stable.setUint64(KEY_CURRENT_TERM, 1)
  const entry: Log = resolved.protocolVersion < 3
    ? { Index: 1, Term: 1, Type: LogType.RemovePeerDeprecated, Data: encodePeers(configuration, transport), Extensions: Buffer.alloc(0) }
    : { Index: 1, Term: 1, Type: LogType.Configuration, Data: encodeConfiguration(configuration), Extensions: Buffer.alloc(0) }
  await logs.storeLog(entry)
}

/**
 * Forces a new configuration onto a stopped node's stores (hashicorp's RecoverCluster): replays the
 * log into `fsm`, takes a snapshot carrying `configuration`, and empties the log. Everything in the
 * log is thereby treated as committed.
 */
export async function recoverCluster(
  options: RaftOptions, fsm: FSM, logs: LogStore, stable: StableStore, snapshots: SnapshotStore, transport: Transport,
  configuration: Configuration,
): Promise<void> {
  resolveOptions(options)
  checkConfiguration(configuration)
  if (!(await hasExistingState(logs, stable, snapshots))) {
    throw new RaftError('RAFT_NO_STATE', 'refused to recover cluster with no initial state, this is probably an operator error')
  }
  let snapshotIndex = 0
  let snapshotTerm = 0
  for (const meta of await snapshots.list()) {
    try {
      const opened = await snapshots.open(meta.ID)
      await fsm.restore(opened.reader)
      snapshotIndex = meta.Index
      snapshotTerm = meta.Term
      break
    } catch {
      continue
    }
  }
  let lastIndex = snapshotIndex
  let lastTerm = snapshotTerm
  const last = await logs.lastIndex()
  for (let i = snapshotIndex + 1; i <= last; i++) {
    const log = await logs.getLog(i)
    if (log === undefined) throw new RaftError('RAFT_LOG_NOT_FOUND', `failed to get log at index ${i}`)
    if (log.Type === LogType.Command) fsm.apply(log)
    lastIndex = log.Index
    lastTerm = log.Term
  }
  const snapshot = await fsm.snapshot()
  const sink = await snapshots.create(1, lastIndex, lastTerm, configuration, 1, transport)
  try {
    await snapshot.persist(sink)
  } finally {
    snapshot.release()
  }
  const first = await logs.firstIndex()
  if (first > 0 && last > 0) await logs.deleteRange(first, last)
}
