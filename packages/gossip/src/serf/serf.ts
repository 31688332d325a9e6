import { noopLogger, noopMetrics, systemClock, systemRandom, TypedEmitter, type Clock, type Logger, type Metrics, type Random, type Timer } from '@nomadic/runtime'
import type { MemberlistConfig, Profile } from '../config.js'
import { MessageType } from '../constants.js'
import type { MergeDelegate, Node } from '../delegates.js'
import { GossipError, InvalidConfigError, MetaTooLargeError, ShutdownError, TimeoutError } from '../errors.js'
import { Memberlist } from '../memberlist.js'
import type { Keyring } from '../security/keyring.js'
import { TransmitLimitedQueue } from '../state/broadcast-queue.js'
import { decodeTags, encodeTags } from '../tags.js'
import type { Transport } from '../transport/transport.js'
import { joinHostPort } from '../transport/transport.js'
import { ipToBytes, ipToString } from '../wire/ip.js'
import { LamportClock } from './lamport.js'
import {
  QUERY_FLAG_ACK, QUERY_FLAG_NO_BROADCAST, SerfMessageType,
  decodeJoin, decodeLeave, decodePushPull, decodeQuery, decodeQueryResponse, decodeRelay, decodeSerfBody, decodeUserEvent,
  encodeJoin, encodeLeave, encodeNodeFilter, encodePushPull, encodeQuery, encodeQueryResponse, encodeRelay, encodeTagFilter,
  encodeUserEvent,
  type MessageJoin, type MessageLeave, type MessageQuery, type MessageQueryResponse, type MessageUserEvent, type UserEvents,
} from './messages.js'
import { handleInternalQuery, INTERNAL_QUERY_PREFIX } from './internal-query.js'
import { Snapshotter } from './snapshot.js'
import { queryFiltersMatch } from './filter.js'
import { CoalesceStage, MemberEventCoalescer, UserEventCoalescer } from './coalesce.js'
import { resolveNameConflict, type ConflictVote } from './conflict.js'

/** Member status as serf tracks it. */
export type MemberStatus = 'none' | 'alive' | 'leaving' | 'left' | 'failed'

/** A serf member: a memberlist node plus tags and serf's status. */
export interface Member {
  name: string
  addr: string
  port: number
  tags: Record<string, string>
  status: MemberStatus
  protocolMin: number
  protocolMax: number
  protocolCur: number
  delegateMin: number
  delegateMax: number
  delegateCur: number
}

/** Everything serf reports, in order. */
export type SerfEvent =
  | { type: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'; members: Member[] }
  | { type: 'user'; ltime: number; name: string; payload: Buffer; coalesce: boolean }
  | { type: 'query'; query: Query }

/** No user event may be larger than this, whatever the configuration (serf's UserEventSizeLimit). */
export const USER_EVENT_SANE_LIMIT = 9 * 1024

/** Serf's defaults (serf.DefaultConfig), durations in ms. */
export const serfDefaults = {
  protocolVersion: 4,
  broadcastTimeout: 5_000,
  leavePropagateDelay: 1_000,
  reapInterval: 15_000,
  reconnectInterval: 30_000,
  reconnectTimeout: 24 * 3600_000,
  tombstoneTimeout: 24 * 3600_000,
  recentIntentTimeout: 5 * 60_000,
  eventBuffer: 512,
  queryBuffer: 512,
  queryTimeoutMult: 16,
  querySizeLimit: 1024,
  queryResponseSizeLimit: 1024,
  userEventSizeLimit: 512,
  maxQueueDepth: 4096,
  /** Member-event coalescing window and quiet period (0 = off, serf's default). */
  coalescePeriod: 0,
  quiescentPeriod: 0,
  /** Coalescing of user events sent with `coalesce` (0 = off). */
  userCoalescePeriod: 0,
  userQuiescentPeriod: 0,
  /** Ask the cluster who owns our name when another node claims it (Nomad turns this off). */
  enableNameConflictResolution: true,
}

/** Options of {@link Serf}. */
export interface SerfOptions extends Partial<typeof serfDefaults> {
  name: string
  transport: Transport
  tags?: Record<string, string>
  profile?: Profile
  memberlist?: Partial<MemberlistConfig>
  keyring?: Keyring
  /** Vets the nodes of a join (Nomad's merge delegate rejects non-servers). */
  merge?: (members: Member[]) => void
  /** Append-only snapshot file; replayed and rejoined on start. */
  snapshotPath?: string
  /** Rejoin from the snapshot even after a graceful leave (Nomad sets this). */
  rejoinAfterLeave?: boolean
  /** Called after a lost name-conflict vote, once this node has shut itself down. */
  onNameConflictLost?: (vote: ConflictVote) => void
  clock?: Clock
  random?: Random
  logger?: Logger
  metrics?: Metrics
}

/** Query parameters: filters, acks, relay factor and timeout (ms). */
export interface QueryParams {
  filterNodes?: string[]
  filterTags?: Record<string, string>
  requestAck?: boolean
  relayFactor?: number
  timeout?: number
  /** Aborting closes the query early: no more acks or responses are collected. */
  signal?: AbortSignal
}

/** A query delivered to this node; answer it with {@link Query.respond}. */
export class Query {
  private responded = false
  constructor(
    private readonly serf: Serf,
    readonly ltime: number,
    readonly name: string,
    readonly payload: Buffer,
    readonly id: number,
    readonly sourceAddr: Buffer,
    readonly sourcePort: number,
    readonly sourceNode: string,
    readonly deadline: number,
    readonly relayFactor: number,
  ) {}

  /** Sends `payload` back to the originator, once, before the deadline. */
  respond(payload: Buffer): void {
    if (this.responded) throw new GossipError('GOSSIP_MALFORMED', 'response already sent')
    if (this.serf.now() > this.deadline) throw new TimeoutError('response is past the deadline')
    const resp: MessageQueryResponse = { ltime: this.ltime, id: this.id, from: this.serf.name, flags: 0, payload }
    this.serf.sendQueryResponse(this, resp)
    this.responded = true
  }
}

/** Collects acks and responses to a query until its timeout. */
export class QueryResponse extends TypedEmitter<{ ack: (from: string) => void; response: (from: string, payload: Buffer) => void; done: () => void }> {
  readonly acks = new Set<string>()
  readonly responses = new Map<string, Buffer>()
  private closed = false
  readonly done: Promise<void>
  private resolveDone!: () => void

  constructor(readonly ltime: number, readonly id: number, readonly deadline: number) {
    super()
    this.done = new Promise((resolve) => { this.resolveDone = resolve })
  }

  get finished(): boolean {
    return this.closed
  }

  /** @internal */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.resolveDone()
    this.emit('done')
  }
}

interface MemberState {
  member: Member
  statusLTime: number
  leaveTime: number
}

interface Intent { type: 'join' | 'leave'; ltime: number; at: number }

/**
 * Serf on top of {@link Memberlist}: tags, Lamport-ordered join/leave intents, user events,
 * queries, the keyring queries, reaping and reconnecting, snapshots. Wire-compatible with
 * hashicorp/serf 0.9.4.
 */
export class Serf extends TypedEmitter<{ event: (e: SerfEvent) => void }> {
  readonly name: string
  readonly memberlist: Memberlist
  readonly clock = new LamportClock()
  readonly eventClock = new LamportClock()
  readonly queryClock = new LamportClock()
  private readonly cfg: typeof serfDefaults
  private readonly time: Clock
  private readonly random: Random
  private readonly logger: Logger
  private tags: Record<string, string>
  private readonly memberStates = new Map<string, MemberState>()
  private failedMembers: MemberState[] = []
  private leftMembers: MemberState[] = []
  private readonly recentIntents = new Map<string, Intent>()
  private readonly broadcasts: TransmitLimitedQueue
  private readonly eventBroadcasts: TransmitLimitedQueue
  private readonly queryBroadcasts: TransmitLimitedQueue
  private readonly eventBuffer: Array<UserEvents | null>
  private readonly queryBuffer: Array<{ ltime: number; ids: number[] } | null>
  private eventMinTime = 0
  private queryMinTime = 0
  private eventJoinIgnore = false
  private readonly queryResponses = new Map<number, QueryResponse>()
  private readonly timers = new Set<Timer>()
  private state: 'alive' | 'leaving' | 'left' | 'shutdown' = 'alive'
  private readonly snapshot: Snapshotter | undefined
  private readonly options: SerfOptions
  private readonly iterators = new Set<{ push: (e: SerfEvent) => void; wake: () => void }>()
  private readonly metrics: Metrics
  /** Coalescing stages between the state machine and the listeners, in delivery order. */
  private readonly stages: CoalesceStage[] = []
  private deliver: (e: SerfEvent) => void
  /** Aborted by shutdown: ends waits that would otherwise outlive the agent. */
  private readonly stopping = new AbortController()

  constructor(options: SerfOptions) {
    super()
    this.options = options
    this.name = options.name
    const { name: _n, transport: _t, tags: _g, profile: _p, memberlist: _m, keyring: _k, merge: _d, snapshotPath: _s, rejoinAfterLeave: _r, onNameConflictLost: _o, clock: _c, random: _x, logger: _l, metrics: _y, ...rest } = options
    const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
    this.cfg = { ...serfDefaults, ...given }
    for (const [k, v] of Object.entries(this.cfg)) {
      if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new InvalidConfigError(`${k} must be a number ≥ 0`)
    }
    if (!(this.cfg.eventBuffer >= 1) || !(this.cfg.queryBuffer >= 1)) throw new InvalidConfigError('eventBuffer and queryBuffer must be at least 1')
    if (this.cfg.reapInterval === 0 || this.cfg.reconnectInterval === 0) throw new InvalidConfigError('reapInterval and reconnectInterval must be > 0')
    if (this.cfg.protocolVersion < 2 || this.cfg.protocolVersion > 5) throw new InvalidConfigError('protocolVersion must be in [2, 5]')
    if (this.cfg.userEventSizeLimit > USER_EVENT_SANE_LIMIT) throw new InvalidConfigError(`user event size limit exceeds limit of ${USER_EVENT_SANE_LIMIT} bytes`)
    this.time = options.clock ?? systemClock
    this.random = options.random ?? systemRandom
    this.logger = (options.logger ?? noopLogger).child({ component: 'serf', node: options.name })
    this.metrics = options.metrics ?? noopMetrics
    // Lamport times start at 1 so that a default join time of 0 is always old (as serf does).
    this.clock.increment()
    this.eventClock.increment()
    this.queryClock.increment()
    this.deliver = (e) => this.deliverToListeners(e)
    if (this.cfg.userCoalescePeriod > 0 && this.cfg.userQuiescentPeriod > 0) this.addStage(new UserEventCoalescer(), this.cfg.userCoalescePeriod, this.cfg.userQuiescentPeriod)
    if (this.cfg.coalescePeriod > 0 && this.cfg.quiescentPeriod > 0) this.addStage(new MemberEventCoalescer(), this.cfg.coalescePeriod, this.cfg.quiescentPeriod)
    this.tags = { ...(options.tags ?? {}) }
    if (this.encodedTags().length > 512) throw new MetaTooLargeError(this.encodedTags().length, 512)
    this.eventBuffer = new Array(this.cfg.eventBuffer).fill(null)
    this.queryBuffer = new Array(this.cfg.queryBuffer).fill(null)
    const numNodes = (): number => this.memberStates.size
    this.broadcasts = new TransmitLimitedQueue(numNodes, 4)
    this.eventBroadcasts = new TransmitLimitedQueue(numNodes, 4)
    this.queryBroadcasts = new TransmitLimitedQueue(numNodes, 4)
    if (options.snapshotPath !== undefined) this.snapshot = new Snapshotter(options.snapshotPath, this.logger)
    const merge: MergeDelegate | undefined = options.merge === undefined ? undefined : {
      notifyMerge: (peers) => options.merge!(peers.map((p) => this.memberFromNode(p, p.state === 'left' ? 'left' : 'none'))),
    }
    this.memberlist = new Memberlist({
      name: options.name,
      transport: options.transport,
      profile: options.profile,
      config: options.memberlist,
      keyring: options.keyring,
      delegateProtocol: { min: 2, max: 5, cur: this.cfg.protocolVersion },
      clock: options.clock,
      random: options.random,
      logger: options.logger,
      metrics: options.metrics,
      merge,
      alive: merge === undefined ? undefined : { notifyAlive: (peer) => merge.notifyMerge([peer]) },
      delegate: {
        nodeMeta: (limit) => {
          const meta = this.encodedTags()
          if (meta.length > limit) throw new MetaTooLargeError(meta.length, limit)
          return meta
        },
        notifyMsg: (buf) => this.notifyMsg(buf),
        getBroadcasts: (overhead, limit) => this.getBroadcasts(overhead, limit),
        localState: () => this.localState(),
        mergeRemoteState: (buf, join) => this.mergeRemoteState(buf, join),
      },
      events: {
        notifyJoin: (n) => this.handleNodeJoin(n),
        notifyLeave: (n) => this.handleNodeLeave(n),
        notifyUpdate: (n) => this.handleNodeUpdate(n),
      },
      conflict: {
        notifyConflict: (existing, other) => this.handleNodeConflict(existing, other),
      },
    })
    // Serf's queues retransmit as often as memberlist's own (the profile's RetransmitMult).
    for (const q of [this.broadcasts, this.eventBroadcasts, this.queryBroadcasts]) q.retransmitMult = this.memberlist.config.retransmitMult
  }

  /** Creates, starts and (with a snapshot) rejoins previously known nodes. */
  static async create(options: SerfOptions): Promise<Serf> {
    const s = new Serf(options)
    await s.start()
    return s
  }

  /** Replays the snapshot (clocks; a background rejoin to its alive nodes, tried one by one), starts memberlist and the reap, reconnect and snapshot-clock timers. */
  async start(): Promise<void> {
    const previous = this.snapshot?.replay(this.options.rejoinAfterLeave === true)
    if (previous !== undefined) {
      this.clock.witness(previous.clock)
      this.eventClock.witness(previous.eventClock)
      this.queryClock.witness(previous.queryClock)
      this.eventMinTime = previous.eventClock + 1
      this.queryMinTime = previous.queryClock + 1
    }
    await this.memberlist.start()
    this.every(this.cfg.reapInterval, () => this.reap())
    this.every(this.cfg.reconnectInterval, () => { void this.reconnect() })
    this.every(500, () => this.snapshot?.updateClock(this.clock.time()))
    // Like serf, rejoin in the background: start() does not wait on dead addresses.
    if (previous !== undefined && previous.alive.length > 0) void this.rejoin(previous.alive)
  }

  /** Tries the snapshot's alive nodes in random order until one join succeeds. */
  private async rejoin(previous: Array<{ name: string; addr: string }>): Promise<void> {
    const order = previous.filter((p) => p.name !== this.name)
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1)
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    for (const p of order) {
      if (this.state !== 'alive') return
      try {
        await this.memberlist.join([p.addr])
        this.logger.info(`Re-joined to previously known node: ${p.name}: ${p.addr}`)
        return
      } catch {
        // try the next one
      }
    }
    if (order.length > 0) this.logger.warn('Failed to re-join any previously known node')
  }

  /** The injected clock's time in ms. */
  now(): number {
    return this.time.now()
  }

  private every(ms: number, fn: () => void): void {
    const t = this.time.setInterval(() => { if (this.state !== 'shutdown') fn() }, ms)
    this.timers.add(t)
  }

  // ---- public API -------------------------------------------------------------------------

  /** Every member known, in any status (failed and left until reaped). */
  members(): Member[] {
    return [...this.memberStates.values()].map((m) => copyMember(m.member))
  }

  /** This agent as a member (available once started). */
  localMember(): Member {
    return copyMember(this.memberStates.get(this.name)!.member)
  }

  /** Joins through the given addresses; broadcasts a join intent when any answered. */
  async join(addresses: readonly string[], ignoreOld = false, signal?: AbortSignal): Promise<number> {
    if (this.state !== 'alive') throw new GossipError('GOSSIP_SHUTDOWN', "Serf can't Join after Leave or Shutdown")
    if (ignoreOld) this.eventJoinIgnore = true
    try {
      const n = await this.memberlist.join(addresses, signal)
      if (n > 0) this.broadcastJoin(this.clock.time())
      return n
    } finally {
      this.eventJoinIgnore = false
    }
  }

  private broadcastJoin(ltime: number): void {
    const msg: MessageJoin = { ltime, node: this.name }
    this.clock.witness(ltime)
    this.handleNodeJoinIntent(msg)
    this.broadcasts.queue({ message: () => encodeJoin(msg) })
  }

  /** Graceful leave: leave intent, memberlist leave, then LeavePropagateDelay. */
  async leave(signal?: AbortSignal): Promise<void> {
    if (this.state === 'left') return
    if (this.state === 'leaving') throw new GossipError('GOSSIP_SHUTDOWN', 'Leave already in progress')
    if (this.state === 'shutdown') throw new ShutdownError()
    this.state = 'leaving'
    this.snapshot?.leave()
    const msg: MessageLeave = { ltime: this.clock.time(), node: this.name, prune: false }
    this.clock.increment()
    this.handleNodeLeaveIntent(msg)
    if (this.hasAliveMembers()) await this.broadcastAndWait(encodeLeave(msg), 'timeout while waiting for graceful leave', signal)
    await this.memberlist.leave(this.cfg.broadcastTimeout, signal)
    // Stay up while the leave spreads; a shutdown meanwhile ends the wait.
    const wait = new AbortController()
    const stopWaiting = (): void => wait.abort()
    for (const s of [signal, this.stopping.signal]) s?.addEventListener('abort', stopWaiting)
    if (signal?.aborted === true || this.stopping.signal.aborted) wait.abort()
    await this.time.sleep(this.cfg.leavePropagateDelay, wait.signal).catch(() => undefined)
    for (const s of [signal, this.stopping.signal]) s?.removeEventListener('abort', stopWaiting)
    if ((this.state as string) !== 'shutdown') this.state = 'left'
  }

  /** Queues an intent and waits until it was sent out enough times (or the timeout, or the abort). */
  private broadcastAndWait(msg: Buffer, timeoutText: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (err?: unknown): void => {
        timer.cancel()
        this.timers.delete(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onAbort = (): void => settle(signal!.reason)
      const timer = this.time.setTimeout(() => settle(new TimeoutError(timeoutText)), this.cfg.broadcastTimeout)
      this.timers.add(timer)
      this.broadcasts.queue({ message: () => msg, finished: () => settle() })
      if (signal?.aborted === true) onAbort()
      else signal?.addEventListener('abort', onAbort)
    })
  }

  /** Force-leave: marks a failed node left (and with `prune`, forgets it at once). */
  async removeFailedNode(node: string, prune = false, signal?: AbortSignal): Promise<void> {
    const msg: MessageLeave = { ltime: this.clock.time(), node, prune }
    this.clock.increment()
    this.handleNodeLeaveIntent(msg)
    if (!this.hasAliveMembers()) return
    await this.broadcastAndWait(encodeLeave(msg), 'timed out broadcasting node removal', signal)
  }

  /** Replaces this node's tags and gossips the update. */
  async setTags(tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const meta = encodeTags(tags)
    if (meta.length > 512) throw new MetaTooLargeError(meta.length, 512)
    this.tags = { ...tags }
    await this.memberlist.updateNode(this.cfg.broadcastTimeout, signal)
  }

  /** Fires a user event (delivered locally too). */
  userEvent(name: string, payload: Buffer, coalesce = false): void {
    const before = Buffer.byteLength(name) + payload.length
    if (before > this.cfg.userEventSizeLimit) throw new GossipError('GOSSIP_TOO_LARGE', `user event exceeds configured limit of ${this.cfg.userEventSizeLimit} bytes before encoding`)
    if (before > USER_EVENT_SANE_LIMIT) throw new GossipError('GOSSIP_TOO_LARGE', `user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes before encoding`)
    const msg: MessageUserEvent = { ltime: this.eventClock.time(), name, payload, cc: coalesce }
    const raw = encodeUserEvent(msg)
    if (raw.length > this.cfg.userEventSizeLimit) throw new GossipError('GOSSIP_TOO_LARGE', `encoded user event exceeds configured limit of ${this.cfg.userEventSizeLimit} bytes after encoding`)
    if (raw.length > USER_EVENT_SANE_LIMIT) throw new GossipError('GOSSIP_TOO_LARGE', `encoded user event exceeds sane limit of ${USER_EVENT_SANE_LIMIT} bytes after encoding`)
    this.eventClock.increment()
    this.handleUserEvent(msg)
    this.eventBroadcasts.queue({ message: () => raw })
  }

  /** `gossipInterval × queryTimeoutMult × ceil(log10(n + 1))`. */
  defaultQueryTimeout(): number {
    const n = this.memberlist.numMembers()
    return this.memberlist.config.gossipInterval * this.cfg.queryTimeoutMult * Math.ceil(Math.log10(n + 1))
  }

  /** Starts a query; the result collects acks and responses until the timeout. */
  query(name: string, payload: Buffer, params: QueryParams = {}): QueryResponse {
    if (this.cfg.protocolVersion < 4) throw new GossipError('GOSSIP_PROTOCOL_INCOMPATIBLE', 'Feature not supported')
    const timeout = params.timeout ?? this.defaultQueryTimeout()
    const filters: Buffer[] = []
    if (params.filterNodes !== undefined && params.filterNodes.length > 0) filters.push(encodeNodeFilter(params.filterNodes))
    for (const [tag, expr] of Object.entries(params.filterTags ?? {})) filters.push(encodeTagFilter(tag, expr))
    const local = this.memberlist.localNode()
    const q: MessageQuery = {
      ltime: this.queryClock.time(),
      id: this.random.int(0x7fffffff),
      addr: ipToBytes(local.addr),
      port: local.port,
      sourceNode: this.name,
      filters,
      flags: params.requestAck === true ? QUERY_FLAG_ACK : 0,
      relayFactor: params.relayFactor ?? 0,
      timeout: timeout * 1_000_000,
      name,
      payload,
    }
    const raw = encodeQuery(q)
    if (raw.length > this.cfg.querySizeLimit) throw new GossipError('GOSSIP_TOO_LARGE', `query exceeds limit of ${this.cfg.querySizeLimit} bytes`)
    const resp = new QueryResponse(q.ltime, q.id, this.now() + timeout)
    this.queryResponses.set(q.ltime, resp)
    const finish = (): void => {
      t.cancel()
      this.timers.delete(t)
      params.signal?.removeEventListener('abort', finish)
      if (this.queryResponses.get(q.ltime) === resp) this.queryResponses.delete(q.ltime)
      resp.close()
    }
    const t = this.time.setTimeout(finish, timeout)
    this.timers.add(t)
    params.signal?.addEventListener('abort', finish)
    this.handleQuery(q)
    this.queryBroadcasts.queue({ message: () => raw })
    return resp
  }

  /** An async iterator over events until the signal aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<SerfEvent> {
    const queue: SerfEvent[] = []
    let wake: (() => void) | undefined
    const sub = { push: (e: SerfEvent): void => { queue.push(e); wake?.() }, wake: (): void => wake?.() }
    this.iterators.add(sub)
    const onAbort = (): void => wake?.()
    signal?.addEventListener('abort', onAbort)
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!
        if (signal?.aborted === true || this.state === 'shutdown') return
        await new Promise<void>((resolve) => { wake = resolve })
        wake = undefined
      }
    } finally {
      this.iterators.delete(sub)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Stops without leaving (peers will see a failure): timers, open queries, coalescers (flushed), snapshot, memberlist. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.state === 'shutdown') return
    this.state = 'shutdown'
    this.stopping.abort()
    for (const t of this.timers) t.cancel()
    this.timers.clear()
    for (const r of this.queryResponses.values()) r.close()
    this.queryResponses.clear()
    for (const stage of this.stages) stage.stop()
    this.snapshot?.updateClock(this.clock.time())
    this.snapshot?.close()
    await this.memberlist.shutdown()
    for (const sub of this.iterators) sub.wake()
  }

  /** serf's Stats(): member counts, clocks, queue lengths, as strings. */
  stats(): Record<string, string> {
    return {
      members: String(this.memberStates.size),
      failed: String(this.failedMembers.length),
      left: String(this.leftMembers.length),
      health_score: String(this.memberlist.getHealthScore()),
      member_time: String(this.clock.time()),
      event_time: String(this.eventClock.time()),
      query_time: String(this.queryClock.time()),
      intent_queue: String(this.broadcasts.numQueued()),
      event_queue: String(this.eventBroadcasts.numQueued()),
      query_queue: String(this.queryBroadcasts.numQueued()),
      encrypted: String(this.options.keyring !== undefined),
    }
  }

  /** The keyring of the underlying member list, if encryption is on. */
  keyring(): Keyring | undefined {
    return this.options.keyring
  }

  // ---- memberlist delegate -----------------------------------------------------------------

  private encodedTags(): Buffer {
    if (this.cfg.protocolVersion < 3) return Buffer.from(this.tags.role ?? '')
    return encodeTags(this.tags)
  }

  private notifyMsg(buf: Buffer): void {
    if (buf.length === 0) return
    try {
      let rebroadcast = false
      let queue = this.broadcasts
      switch (buf[0]) {
        case SerfMessageType.leave:
          rebroadcast = this.handleNodeLeaveIntent(decodeLeave(decodeSerfBody(buf).map))
          break
        case SerfMessageType.join:
          rebroadcast = this.handleNodeJoinIntent(decodeJoin(decodeSerfBody(buf).map))
          break
        case SerfMessageType.userEvent:
          rebroadcast = this.handleUserEvent(decodeUserEvent(decodeSerfBody(buf).map))
          queue = this.eventBroadcasts
          break
        case SerfMessageType.query:
          rebroadcast = this.handleQuery(decodeQuery(decodeSerfBody(buf).map))
          queue = this.queryBroadcasts
          break
        case SerfMessageType.queryResponse:
          this.handleQueryResponse(decodeQueryResponse(decodeSerfBody(buf).map))
          break
        case SerfMessageType.relay: {
          const { header, inner } = decodeRelay(buf)
          this.memberlist.sendToAddress(joinHostPort(ipToString(header.destIP), header.destPort), inner)
          break
        }
        default:
          this.metrics.counter('serf.msgs.dropped')
          this.logger.warn(`Received message of unknown type: ${buf[0]}`)
      }
      if (rebroadcast) {
        const copy = Buffer.from(buf)
        queue.queue({ message: () => copy })
      }
    } catch (err) {
      this.metrics.counter('serf.msgs.dropped')
      this.logger.warn(`Error decoding serf message: ${(err as Error).message}`)
    }
  }

  private getBroadcasts(overhead: number, limit: number): Buffer[] {
    const msgs = this.broadcasts.getBroadcasts(overhead, limit)
    let used = msgs.reduce((s, m) => s + m.length + overhead, 0)
    for (const q of [this.queryBroadcasts, this.eventBroadcasts]) {
      const more = q.getBroadcasts(overhead, limit - used)
      for (const m of more) used += m.length + overhead
      msgs.push(...more)
    }
    return msgs
  }

  private localState(): Buffer {
    const status = new Map<string, number>()
    for (const [name, m] of this.memberStates) status.set(name, m.statusLTime)
    return encodePushPull({
      ltime: this.clock.time(),
      statusLTimes: status,
      leftMembers: this.leftMembers.map((m) => m.member.name),
      eventLTime: this.eventClock.time(),
      events: this.eventBuffer,
      queryLTime: this.queryClock.time(),
    })
  }

  private mergeRemoteState(buf: Buffer, isJoin: boolean): void {
    if (buf.length === 0) return
    if (buf[0] !== SerfMessageType.pushPull) {
      this.metrics.counter('serf.msgs.dropped')
      this.logger.error(`Remote state has bad type prefix: ${buf[0]}`)
      return
    }
    let pp
    try {
      pp = decodePushPull(decodeSerfBody(buf).map)
    } catch (err) {
      this.metrics.counter('serf.msgs.dropped')
      this.logger.error(`Failed to decode remote state: ${(err as Error).message}`)
      return
    }
    if (pp.ltime > 0) this.clock.witness(pp.ltime - 1)
    if (pp.eventLTime > 0) this.eventClock.witness(pp.eventLTime - 1)
    if (pp.queryLTime > 0) this.queryClock.witness(pp.queryLTime - 1)
    const left = new Set(pp.leftMembers)
    for (const name of pp.leftMembers) this.handleNodeLeaveIntent({ ltime: (pp.statusLTimes.get(name) ?? 0) + 1, node: name, prune: false })
    for (const [name, ltime] of pp.statusLTimes) if (!left.has(name)) this.handleNodeJoinIntent({ ltime, node: name })
    if (isJoin && this.eventJoinIgnore && pp.eventLTime > this.eventMinTime) this.eventMinTime = pp.eventLTime
    for (const e of pp.events) {
      if (e === null) continue
      for (const x of e.events) this.handleUserEvent({ ltime: e.ltime, name: x.name, payload: x.payload, cc: false })
    }
  }

  // ---- member state -------------------------------------------------------------------------

  private memberFromNode(n: Node, status: MemberStatus): Member {
    return {
      name: n.name, addr: n.addr, port: n.port, tags: decodeTags(n.meta), status,
      protocolMin: n.pMin, protocolMax: n.pMax, protocolCur: n.pCur, delegateMin: n.dMin, delegateMax: n.dMax, delegateCur: n.dCur,
    }
  }

  /** Records the event in the snapshot, then hands it to the coalescing stages and listeners. */
  private emitEvent(e: SerfEvent): void {
    if (e.type === 'user') {
      this.snapshot?.eventClock(e.ltime)
    } else if (e.type === 'query') {
      this.snapshot?.queryClock(e.query.ltime)
    } else {
      for (const m of e.members) {
        if (e.type === 'member-join') this.snapshot?.alive(m.name, joinHostPort(m.addr, m.port))
        else if (e.type === 'member-leave' || e.type === 'member-failed') this.snapshot?.notAlive(m.name)
      }
      this.snapshot?.updateClock(this.clock.time())
    }
    this.metrics.counter(e.type === 'user' ? 'serf.events' : e.type === 'query' ? 'serf.queries' : `serf.${e.type.replace('-', '.')}`)
    this.deliver(e)
  }

  private deliverToListeners(e: SerfEvent): void {
    this.emit('event', e)
    for (const sub of this.iterators) sub.push(e)
  }

  private addStage(c: MemberEventCoalescer | UserEventCoalescer, period: number, quiescent: number): void {
    const stage = new CoalesceStage(c, this.time, period, quiescent, this.deliver)
    this.stages.push(stage)
    this.deliver = (e) => stage.push(e)
  }

  private handleNodeConflict(existing: Node, other: Node): void {
    if (existing.name !== this.name) {
      this.logger.warn(`Name conflict for '${existing.name}' both ${existing.addr}:${existing.port} and ${other.addr}:${other.port} are claiming`)
      return
    }
    this.logger.error(`Node name conflicts with another node at ${other.addr}:${other.port}. Names must be unique! (Resolution enabled: ${this.cfg.enableNameConflictResolution})`)
    if (!this.cfg.enableNameConflictResolution) return
    void resolveNameConflict(this).then((vote) => {
      if (vote.won) {
        this.logger.info(`majority in name conflict resolution [${vote.matching} / ${vote.responses}]`)
        return
      }
      this.logger.warn(`minority in name conflict resolution, quitting [${vote.matching} / ${vote.responses}]`)
      void this.shutdown().then(() => this.options.onNameConflictLost?.(vote))
    })
  }

  /** @internal What this node knows of a member, for the name-conflict query. */
  memberState(name: string): Member | undefined {
    const ms = this.memberStates.get(name)
    return ms === undefined ? undefined : { ...ms.member, tags: { ...ms.member.tags } }
  }

  private handleNodeJoin(n: Node): void {
    let ms = this.memberStates.get(n.name)
    let oldStatus: MemberStatus
    if (ms === undefined) {
      oldStatus = 'none'
      ms = { member: this.memberFromNode(n, 'alive'), statusLTime: 0, leaveTime: 0 }
      const join = this.recentIntent(n.name, 'join')
      if (join !== undefined) ms.statusLTime = join
      const leave = this.recentIntent(n.name, 'leave')
      if (leave !== undefined) {
        ms.member.status = 'leaving'
        ms.statusLTime = leave
      }
      this.memberStates.set(n.name, ms)
    } else {
      oldStatus = ms.member.status
      ms.member = this.memberFromNode(n, 'alive')
      ms.leaveTime = 0
    }
    if (oldStatus === 'failed' || oldStatus === 'left') {
      this.failedMembers = this.failedMembers.filter((m) => m.member.name !== n.name)
      this.leftMembers = this.leftMembers.filter((m) => m.member.name !== n.name)
    }
    this.emitEvent({ type: 'member-join', members: [{ ...ms.member }] })
  }

  private handleNodeLeave(n: Node): void {
    const ms = this.memberStates.get(n.name)
    if (ms === undefined) return
    if (ms.member.status === 'leaving') {
      ms.member.status = 'left'
      ms.leaveTime = this.now()
      this.leftMembers.push(ms)
    } else if (ms.member.status === 'alive') {
      ms.member.status = 'failed'
      ms.leaveTime = this.now()
      this.failedMembers.push(ms)
    } else {
      return
    }
    this.emitEvent({ type: ms.member.status === 'left' ? 'member-leave' : 'member-failed', members: [{ ...ms.member }] })
  }

  private handleNodeUpdate(n: Node): void {
    const ms = this.memberStates.get(n.name)
    if (ms === undefined) return
    const status = ms.member.status
    ms.member = this.memberFromNode(n, status)
    this.emitEvent({ type: 'member-update', members: [{ ...ms.member }] })
  }

  private upsertIntent(node: string, type: Intent['type'], ltime: number): boolean {
    const existing = this.recentIntents.get(node)
    if (existing === undefined || ltime > existing.ltime) {
      this.recentIntents.set(node, { type, ltime, at: this.now() })
      return true
    }
    return false
  }

  private recentIntent(node: string, type: Intent['type']): number | undefined {
    const i = this.recentIntents.get(node)
    return i !== undefined && i.type === type ? i.ltime : undefined
  }

  private handleNodeLeaveIntent(msg: MessageLeave): boolean {
    this.clock.witness(msg.ltime)
    const ms = this.memberStates.get(msg.node)
    if (ms === undefined) return this.upsertIntent(msg.node, 'leave', msg.ltime)
    if (msg.ltime <= ms.statusLTime) return false
    if (msg.node === this.name && this.state === 'alive') {
      // Someone says we are leaving while we are not: refute with a fresh join.
      this.broadcastJoin(this.clock.time())
      return false
    }
    // Always take the newer time, even when the status does not change: two leave messages
    // for one member would otherwise be rebroadcast back and forth forever (serf 0.9.4).
    ms.statusLTime = msg.ltime
    switch (ms.member.status) {
      case 'alive':
        ms.member.status = 'leaving'
        if (msg.prune) this.handlePrune(ms)
        return true
      case 'failed':
        ms.member.status = 'left'
        this.failedMembers = this.failedMembers.filter((m) => m !== ms)
        this.leftMembers.push(ms)
        this.emitEvent({ type: 'member-leave', members: [{ ...ms.member }] })
        if (msg.prune) this.handlePrune(ms)
        return true
      case 'leaving':
      case 'left':
        if (msg.prune) this.handlePrune(ms)
        return true
      default:
        return false
    }
  }

  private handlePrune(ms: MemberState): void {
    const erase = (): void => {
      this.leftMembers = this.leftMembers.filter((m) => m !== ms)
      this.eraseNode(ms)
    }
    if (ms.member.status === 'leaving') {
      const t = this.time.setTimeout(() => { this.timers.delete(t); erase() }, this.cfg.broadcastTimeout + this.cfg.leavePropagateDelay)
      this.timers.add(t)
    } else {
      erase()
    }
  }

  private handleNodeJoinIntent(msg: MessageJoin): boolean {
    this.clock.witness(msg.ltime)
    const ms = this.memberStates.get(msg.node)
    if (ms === undefined) return this.upsertIntent(msg.node, 'join', msg.ltime)
    if (msg.ltime <= ms.statusLTime) return false
    ms.statusLTime = msg.ltime
    if (ms.member.status === 'leaving') ms.member.status = 'alive'
    return true
  }

  private handleUserEvent(msg: MessageUserEvent): boolean {
    this.eventClock.witness(msg.ltime)
    if (msg.ltime < this.eventMinTime) return false
    const cur = this.eventClock.time()
    const seen = seenSlot(this.eventBuffer, msg.ltime, cur, () => ({ ltime: msg.ltime, events: [] }))
    if (seen === undefined) {
      this.logger.warn(`received old event ${msg.name} from time ${msg.ltime} (current: ${cur})`)
      return false
    }
    if (seen.events.some((e) => e.name === msg.name && e.payload.equals(msg.payload))) return false
    seen.events.push({ name: msg.name, payload: msg.payload })
    this.emitEvent({ type: 'user', ltime: msg.ltime, name: msg.name, payload: msg.payload, coalesce: msg.cc })
    return true
  }

  private handleQuery(q: MessageQuery): boolean {
    this.queryClock.witness(q.ltime)
    if (q.ltime < this.queryMinTime) return false
    const seen = seenSlot(this.queryBuffer, q.ltime, this.queryClock.time(), () => ({ ltime: q.ltime, ids: [] }))
    if (seen === undefined || seen.ids.includes(q.id)) return false
    seen.ids.push(q.id)
    const rebroadcast = (q.flags & QUERY_FLAG_NO_BROADCAST) === 0
    if (!queryFiltersMatch(q.filters, this.name, this.tags)) return rebroadcast
    const query = new Query(this, q.ltime, q.name, q.payload, q.id, q.addr, q.port, q.sourceNode, this.now() + q.timeout / 1_000_000, q.relayFactor)
    if ((q.flags & QUERY_FLAG_ACK) !== 0) {
      const ack: MessageQueryResponse = { ltime: q.ltime, id: q.id, from: this.name, flags: QUERY_FLAG_ACK, payload: null }
      this.sendQueryResponse(query, ack)
    }
    if (q.name.startsWith(INTERNAL_QUERY_PREFIX)) handleInternalQuery(this, query)
    else this.emitEvent({ type: 'query', query })
    return rebroadcast
  }

  /** @internal Sends a response (or ack) to the query's originator, and relays copies. */
  sendQueryResponse(query: Query, resp: MessageQueryResponse): void {
    const raw = encodeQueryResponse(resp)
    if (raw.length > this.cfg.queryResponseSizeLimit) throw new GossipError('GOSSIP_TOO_LARGE', `response exceeds limit of ${this.cfg.queryResponseSizeLimit} bytes`)
    const dest = joinHostPort(ipToString(query.sourceAddr), query.sourcePort)
    // A response to ourselves skips the network but, as it would over it, arrives later: a
    // caller of query() sees it through its 'response' listener.
    if (query.sourceNode === this.name) queueMicrotask(() => this.handleQueryResponse(resp))
    else this.memberlist.sendToAddress(dest, raw)
    if (query.relayFactor > 0) {
      const members = [...this.memberStates.values()].map((m) => m.member)
      if (members.length < query.relayFactor + 1) return
      const relay = encodeRelay({ destIP: query.sourceAddr, destPort: query.sourcePort, destName: query.sourceNode }, raw)
      if (relay.length > this.cfg.queryResponseSizeLimit) throw new GossipError('GOSSIP_TOO_LARGE', `response exceeds limit of ${this.cfg.queryResponseSizeLimit} bytes`)
      const candidates = members.filter((m) => m.status === 'alive' && m.protocolMax >= 5 && m.name !== this.name)
      for (let i = 0; i < query.relayFactor && candidates.length > 0; i++) {
        const [m] = candidates.splice(this.random.int(candidates.length), 1)
        this.memberlist.sendToAddress(joinHostPort(m!.addr, m!.port), relay)
      }
    }
  }

  private handleQueryResponse(resp: MessageQueryResponse): void {
    const q = this.queryResponses.get(resp.ltime)
    if (q === undefined || q.id !== resp.id || q.finished) return
    if ((resp.flags & QUERY_FLAG_ACK) !== 0) {
      if (q.acks.has(resp.from)) return
      q.acks.add(resp.from)
      q.emit('ack', resp.from)
    } else {
      if (q.responses.has(resp.from)) return
      const payload = resp.payload ?? Buffer.alloc(0)
      q.responses.set(resp.from, payload)
      q.emit('response', resp.from, payload)
    }
  }

  // ---- reaping and reconnecting ----------------------------------------------------------------

  private eraseNode(ms: MemberState): void {
    this.memberStates.delete(ms.member.name)
    this.failedMembers = this.failedMembers.filter((m) => m !== ms)
    this.leftMembers = this.leftMembers.filter((m) => m !== ms)
    this.emitEvent({ type: 'member-reap', members: [{ ...ms.member }] })
  }

  private reap(): void {
    const now = this.now()
    for (const ms of [...this.failedMembers]) if (now - ms.leaveTime > this.cfg.reconnectTimeout) this.eraseNode(ms)
    for (const ms of [...this.leftMembers]) if (now - ms.leaveTime > this.cfg.tombstoneTimeout) this.eraseNode(ms)
    for (const [node, i] of this.recentIntents) if (now - i.at > this.cfg.recentIntentTimeout) this.recentIntents.delete(node)
    for (const q of [this.broadcasts, this.eventBroadcasts, this.queryBroadcasts]) q.prune(this.cfg.maxQueueDepth)
  }

  private async reconnect(): Promise<void> {
    const failed = this.failedMembers.length
    if (failed === 0) return
    const alive = this.memberStates.size - failed - this.leftMembers.length
    const prob = failed / Math.max(1, alive)
    if (this.random.next() > prob) return
    const ms = this.failedMembers[this.random.int(failed)]!
    try {
      await this.memberlist.join([`${ms.member.name}/${joinHostPort(ms.member.addr, ms.member.port)}`])
    } catch {
      // still unreachable
    }
  }

  private hasAliveMembers(): boolean {
    for (const m of this.memberStates.values()) if (m.member.name !== this.name && m.member.status === 'alive') return true
    return false
  }
}

export { MessageType }

/**
 * The slot of a Lamport-time ring buffer (user events or queries) that records what was seen
 * at `ltime`: kept when it already holds that time, else replaced by `fresh()`. Undefined when
 * `ltime` is too old for the buffer to hold, given the clock's current time `now`.
 */
function seenSlot<T extends { ltime: number }>(buffer: Array<T | null>, ltime: number, now: number, fresh: () => T): T | undefined {
  const size = buffer.length
  if (now > size && ltime < now - size) return undefined
  const idx = ltime % size
  const seen = buffer[idx] ?? null
  if (seen !== null && seen.ltime === ltime) return seen
  const slot = fresh()
  buffer[idx] = slot
  return slot
}

/** A member the caller may change without changing ours (its tags are an object of their own). */
function copyMember(m: Member): Member {
  return { ...m, tags: { ...m.tags } }
}
