import {
  noopLogger, noopMetrics, shuffle, systemClock, systemRandom, TypedEmitter,
  type Clock, type Logger, type Metrics, type Random, type Timer,
} from '@nomadic/runtime'
import { lanConfig, profileConfig, validateConfig, type MemberlistConfig, type Profile } from './config.js'
import {
  COMPOUND_HEADER_OVERHEAD, COMPOUND_OVERHEAD, MAX_PACKET_BYTES, META_MAX_SIZE, MessageType, NodeStateType,
  PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, USER_MSG_OVERHEAD, nodeStateNames,
} from './constants.js'
import type { AliveDelegate, ConflictDelegate, Delegate, EventDelegate, MergeDelegate, Node, PingDelegate } from './delegates.js'
import {
  GossipError, InvalidConfigError, JoinError, LeaveTimeoutError, MalformedMessageError, MergeRejectedError,
  MetaTooLargeError, ProtocolIncompatibleError, RemoteError, ShutdownError, TimeoutError,
} from './errors.js'
import { decryptPayload, encryptOverhead, encryptPayload, type EncryptionVersion } from './security/encrypt.js'
import type { Keyring } from './security/keyring.js'
import { Awareness } from './state/awareness.js'
import { TransmitLimitedQueue, type Broadcast } from './state/broadcast-queue.js'
import { Suspicion, suspicionTimeout } from './state/suspicion.js'
import { joinHostPort, splitHostPort, type Stream, type Transport } from './transport/transport.js'
import { makeCompound, splitCompound } from './wire/compound.js'
import { crc32 } from './wire/crc32.js'
import { ipToBytes, ipToString } from './wire/ip.js'
import { lzwCompress, lzwDecompress } from './wire/lzw.js'
import {
  decodeAlive, decodeCompress, decodeIndirectPing, decodeAck, decodeMap, decodeNack, decodePing, decodeSuspect,
  encodeAck, encodeAlive, encodeCompress, encodeErr, encodeIndirectPing, encodeMessage, encodeNack, encodePing,
  encodePushNodeState, encodePushPullHeader, encodeSuspect, encodeUserMsgHeader, encodeBody,
  type Alive, type Dead, type Ping, type PushNodeState, type Suspect,
} from './wire/messages.js'
import { parseStream, sealStream, type StreamMessage, type WireSecurity } from './wire/stream.js'

/** Everything a {@link Memberlist} is built from. */
export interface MemberlistOptions {
  /** Unique node name. */
  name: string
  transport: Transport
  /** Base profile (default `lan`), then `config` overrides. */
  profile?: Profile
  config?: Partial<MemberlistConfig>
  /** Address announced to peers (default: the transport's bound address). */
  advertise?: { ip: string; port: number }
  /** Enables AES-GCM encryption of every packet and stream. */
  keyring?: Keyring
  delegate?: Delegate
  /** Delegate protocol range announced in Vsn (serf sets 2..5, current 4). */
  delegateProtocol?: { min: number; max: number; cur: number }
  events?: EventDelegate
  conflict?: ConflictDelegate
  alive?: AliveDelegate
  merge?: MergeDelegate
  ping?: PingDelegate
  clock?: Clock
  random?: Random
  logger?: Logger
  metrics?: Metrics
}

/** Events emitted by {@link Memberlist} (in addition to the {@link EventDelegate}). */
export type MemberlistEvents = {
  join: (node: Node) => void
  leave: (node: Node) => void
  update: (node: Node) => void
}

/** Counters of what went in and out; `garbage` counts dropped undecodable input. */
export interface MemberlistStats {
  udpBytesSent: number
  tcpBytesSent: number
  packetsReceived: number
  garbage: number
  streamsRejected: number
}

interface MemberState {
  name: string
  addr: Buffer
  port: number
  /** "ip:port" of addr and port, kept with them: every packet to the node needs it. */
  address: string
  meta: Buffer
  incarnation: number
  state: NodeStateType
  stateChange: number
  vsn: number[]
  /** This node's push-pull entry as last encoded, with the fields it was encoded from. */
  pushEntry?: { bytes: Buffer; incarnation: number; state: NodeStateType; addr: Buffer; port: number; meta: Buffer; vsn: number[] }
}

/** What an alive message said, remembered by its exact bytes (see `staleAlive`). */
interface SeenAlive {
  node: string
  incarnation: number
  addr: Buffer
  port: number
}

interface AckHandler {
  ack(payload: Buffer | null, at: number): void
  nack(): void
  timer: Timer
}

const EMPTY = Buffer.alloc(0)

/**
 * SWIM membership with Lifeguard, wire-compatible with hashicorp/memberlist 0.2.2.
 *
 * @example
 * ```ts
 * const ml = await Memberlist.create({ name: 'a', transport: new NetTransport() })
 * await ml.join(['127.0.0.1:7946'])
 * ml.members()
 * await ml.leave(5000)
 * await ml.shutdown()
 * ```
 */
export class Memberlist extends TypedEmitter<MemberlistEvents> {
  readonly name: string
  readonly config: MemberlistConfig
  readonly stats: MemberlistStats = { udpBytesSent: 0, tcpBytesSent: 0, packetsReceived: 0, garbage: 0, streamsRejected: 0 }
  private readonly transport: Transport
  private readonly clock: Clock
  private readonly random: Random
  private readonly logger: Logger
  private readonly metrics: Metrics
  private readonly options: MemberlistOptions
  private readonly awareness: Awareness
  private readonly broadcasts: TransmitLimitedQueue
  private readonly nodes: MemberState[] = []
  private readonly nodeMap = new Map<string, MemberState>()
  private readonly suspicions = new Map<string, Suspicion>()
  private readonly ackHandlers = new Map<number, AckHandler>()
  private readonly openStreams = new Set<Stream>()
  private readonly timers = new Set<Timer>()
  /** Alive messages already handled, by their exact bytes; cleared when it outgrows the cluster. */
  private readonly seenAlive = new Map<string, SeenAlive>()
  private probeIndex = 0
  private seqNo = 0
  private incarnation = 0
  private numNodes = 0
  private inboundPushPulls = 0
  private pushPullRunning = false
  private advertise: { ip: string; port: number } = { ip: '0.0.0.0', port: 0 }
  /** The Source* fields of our pings, fixed once the advertised address is known. */
  private source: { sourceAddr: Buffer; sourcePort: number; sourceNode: string } = { sourceAddr: EMPTY, sourcePort: 0, sourceNode: '' }
  private started = false
  private leaving = false
  private shut = false
  private leaveDone: (() => void) | undefined

  constructor(options: MemberlistOptions) {
    super()
    if (typeof options.name !== 'string' || options.name === '') throw new InvalidConfigError('name must be a non-empty string')
    this.options = options
    this.name = options.name
    this.config = validateConfig(options.profile !== undefined ? profileConfig(options.profile, options.config) : lanConfig(options.config))
    this.transport = options.transport
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? systemRandom
    this.logger = (options.logger ?? noopLogger).child({ component: 'memberlist', node: options.name })
    this.metrics = options.metrics ?? noopMetrics
    this.awareness = new Awareness(this.config.awarenessMaxMultiplier)
    this.broadcasts = new TransmitLimitedQueue(() => this.estNumNodes(), this.config.retransmitMult)
    const d = options.delegateProtocol
    if (d !== undefined && (d.min > d.cur || d.cur > d.max)) throw new InvalidConfigError('delegateProtocol must satisfy min <= cur <= max')
  }

  /** Constructs and starts a member list. */
  static async create(options: MemberlistOptions): Promise<Memberlist> {
    const ml = new Memberlist(options)
    await ml.start()
    return ml
  }

  /** Binds the transport, announces the local node and starts probing, gossip and push-pull. */
  async start(): Promise<void> {
    if (this.started) return
    if (this.shut) throw new ShutdownError()
    this.started = true
    await this.transport.start({
      packet: (buf, from) => this.ingestPacket(buf, from),
      stream: (stream) => { void this.handleStream(stream) },
    })
    this.advertise = this.options.advertise ?? this.transport.advertiseAddress()
    this.source = { sourceAddr: ipToBytes(this.advertise.ip), sourcePort: this.advertise.port, sourceNode: this.name }
    const meta = this.localMeta()
    this.aliveNode({
      incarnation: this.nextIncarnation(),
      node: this.name,
      addr: ipToBytes(this.advertise.ip),
      port: this.advertise.port,
      meta,
      vsn: Buffer.from(this.localVsn()),
    }, undefined, true)
    this.schedule()
  }

  // ---- public API -------------------------------------------------------------------------

  /** The local node. */
  localNode(): Node {
    return toNode(this.nodeMap.get(this.name)!)
  }

  /** Live members (alive or suspect), the local node included. */
  members(): Node[] {
    return this.nodes.filter((n) => n.state === NodeStateType.alive || n.state === NodeStateType.suspect).map(toNode)
  }

  /** The live member (alive or suspect) of that name, or undefined. */
  member(name: string): Node | undefined {
    const s = this.nodeMap.get(name)
    return s !== undefined && (s.state === NodeStateType.alive || s.state === NodeStateType.suspect) ? toNode(s) : undefined
  }

  /** Every known node in any state (dead and left until they are reaped). */
  allNodes(): Node[] {
    return this.nodes.map(toNode)
  }

  numMembers(): number {
    let n = 0
    for (const s of this.nodes) if (s.state === NodeStateType.alive || s.state === NodeStateType.suspect) n++
    return n
  }

  /** Lifeguard's local health score (0 = healthy). */
  getHealthScore(): number {
    return this.awareness.getHealthScore()
  }

  /** The protocol version spoken. */
  protocolVersion(): number {
    return this.config.protocolVersion
  }

  /**
   * Push-pulls with every address ("ip:port" or "name/ip:port"); returns how many answered.
   * Throws {@link JoinError} when none did.
   */
  async join(addresses: readonly string[], signal?: AbortSignal): Promise<number> {
    this.assertRunning()
    let ok = 0
    const errors: Array<{ address: string; error: Error }> = []
    for (const raw of addresses) {
      signal?.throwIfAborted()
      const address = raw.includes('/') ? raw.slice(raw.indexOf('/') + 1) : raw
      try {
        await this.pushPullNode(address, true)
        ok++
      } catch (err) {
        errors.push({ address: raw, error: err as Error })
        this.logger.debug('join attempt failed', { address: raw, error: (err as Error).message })
      }
    }
    if (ok === 0 && addresses.length > 0) throw new JoinError(errors)
    return ok
  }

  /**
   * Broadcasts our departure and waits until it was sent out (or `timeoutMs` passed; 0 waits
   * forever). Keep running until {@link shutdown} so peers can learn it.
   */
  async leave(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.assertRunning()
    if (this.leaving) return
    this.leaving = true
    const me = this.nodeMap.get(this.name)
    if (me === undefined) return
    const done = new Promise<void>((resolve) => { this.leaveDone = resolve })
    this.deadNode({ incarnation: me.incarnation, node: me.name, from: me.name })
    if (this.anyAlive()) await this.waitFor(done, timeoutMs, () => new LeaveTimeoutError(), signal)
  }

  /** Re-reads the delegate's metadata and broadcasts it with a new incarnation. */
  async updateNode(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.assertRunning()
    const meta = this.localMeta()
    const me = this.nodeMap.get(this.name)!
    let notify: (() => void) | undefined
    const done = new Promise<void>((resolve) => { notify = resolve })
    this.aliveNode({
      incarnation: this.nextIncarnation(),
      node: this.name,
      addr: me.addr,
      port: me.port,
      meta,
      vsn: Buffer.from(me.vsn),
    }, notify, true)
    if (this.anyAlive()) await this.waitFor(done, timeoutMs, () => new TimeoutError('timeout waiting for update broadcast'), signal)
  }

  /** Sends a user message by UDP to an address, unreliably. */
  sendToAddress(address: string, msg: Buffer): void {
    this.assertRunning()
    this.rawSendPacket(address, undefined, Buffer.concat([Buffer.from([MessageType.user]), msg]))
  }

  /** Sends a user message by UDP to a member. */
  sendBestEffort(node: Node, msg: Buffer): void {
    this.sendToAddress(joinHostPort(node.addr, node.port), msg)
  }

  /** Sends a user message over a stream (TCP). */
  async sendReliable(node: Node, msg: Buffer): Promise<void> {
    this.assertRunning()
    const address = joinHostPort(node.addr, node.port)
    const stream = await this.dial(address)
    try {
      const header = encodeMessage(MessageType.user, encodeUserMsgHeader({ userMsgLen: msg.length }))
      this.writeStream(stream, Buffer.concat([header, msg]))
    } finally {
      stream.close()
    }
  }

  /** Queues a broadcast of our own (it is piggybacked like memberlist's). */
  queueBroadcast(b: Broadcast): void {
    this.broadcasts.queue(b)
  }

  /** Stops every timer, closes every stream and the transport. Does not announce anything. */
  async shutdown(): Promise<void> {
    if (this.shut) return
    this.shut = true
    for (const t of this.timers) t.cancel()
    this.timers.clear()
    for (const s of this.suspicions.values()) s.cancel()
    this.suspicions.clear()
    for (const h of this.ackHandlers.values()) h.timer.cancel()
    this.ackHandlers.clear()
    for (const s of this.openStreams) s.close()
    this.openStreams.clear()
    await this.transport.stop()
  }

  /** True once {@link shutdown} ran. */
  get isShutdown(): boolean {
    return this.shut
  }

  // ---- scheduling -------------------------------------------------------------------------

  private schedule(): void {
    const c = this.config
    this.every(c.gossipInterval, () => this.gossip())
    this.after(this.random.int(c.probeInterval), () => this.probeLoop())
    // As memberlist: a random stagger, then a full (scaled) interval before the first sync.
    if (c.pushPullInterval > 0) this.after(this.random.int(c.pushPullInterval), () => this.schedulePushPull())
  }

  private after(ms: number, fn: () => void): void {
    if (this.shut) return
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t)
      if (!this.shut) fn()
    }, ms)
    this.timers.add(t)
  }

  private every(ms: number, fn: () => void): void {
    this.after(this.random.int(ms), () => {
      fn()
      const t = this.clock.setInterval(() => { if (!this.shut) fn() }, ms)
      this.timers.add(t)
    })
  }

  private probeLoop(): void {
    const start = this.clock.now()
    this.probe().catch((err) => this.logger.warn('probe failed', { error: (err as Error).message })).finally(() => {
      // A ticker that keeps one pending tick: a long probe is followed by another at once.
      const elapsed = this.clock.now() - start
      this.after(Math.max(0, this.config.probeInterval - elapsed), () => this.probeLoop())
    })
  }

  private schedulePushPull(): void {
    this.after(pushPullScale(this.config.pushPullInterval, this.estNumNodes()), () => {
      void this.periodicPushPull()
      this.schedulePushPull()
    })
  }

  // ---- failure detection ------------------------------------------------------------------

  private async probe(): Promise<void> {
    let checked = 0
    for (;;) {
      if (checked >= this.nodes.length) return
      if (this.probeIndex >= this.nodes.length) {
        this.resetNodes()
        this.probeIndex = 0
        checked++
        continue
      }
      const node = this.nodes[this.probeIndex++]!
      if (node.name === this.name || node.state === NodeStateType.dead || node.state === NodeStateType.left) {
        checked++
        continue
      }
      await this.probeNode({ ...node })
      return
    }
  }

  /** Probes one node: direct ping, then indirect pings and a TCP ping, then suspicion. */
  private async probeNode(node: MemberState): Promise<void> {
    const seqNo = this.nextSeqNo()
    const probeInterval = this.awareness.scaleTimeout(this.config.probeInterval)
    const address = node.address
    const ping: Ping = { seqNo, node: node.name, ...this.source }
    let nacks = 0
    let settle!: (r: { complete: boolean; payload: Buffer | null; at: number }) => void
    const acked = new Promise<{ complete: boolean; payload: Buffer | null; at: number }>((resolve) => { settle = resolve })
    this.setAckHandler(seqNo, (payload, at) => settle({ complete: true, payload, at }), () => { nacks++ }, probeInterval,
      () => settle({ complete: false, payload: null, at: this.clock.now() }))

    const sent = this.clock.now()
    const pingMsg = encodeMessage(MessageType.ping, encodePing(ping))
    if (node.state === NodeStateType.alive) {
      this.sendMsg(address, pingMsg)
    } else {
      const suspect = encodeMessage(MessageType.suspect, encodeSuspect({ incarnation: node.incarnation, node: node.name, from: this.name }))
      this.rawSendPacket(address, node, makeCompound([pingMsg, suspect]))
    }

    let awarenessDelta = -1
    try {
      const first = await this.raceTimeout(acked, this.config.probeTimeout)
      if (first !== undefined && first.complete) {
        this.options.ping?.notifyPingComplete(toNode(node), first.at - sent, first.payload)
        return
      }
      if (this.shut) return

      // Indirect probes through k other live nodes.
      const peers = this.kRandomNodes(this.config.indirectChecks, (n) =>
        n.name === this.name || n.name === node.name || n.state !== NodeStateType.alive)
      let expectedNacks = 0
      for (const peer of peers) {
        const nack = peer.vsn[1]! >= 4
        if (nack) expectedNacks++
        const ind = encodeIndirectPing({ seqNo, target: node.addr, port: node.port, node: node.name, nack, ...this.source })
        this.sendMsg(peer.address, encodeMessage(MessageType.indirectPing, ind))
      }

      // TCP fallback for nodes that speak protocol 3 or later.
      let tcp: Promise<boolean> | undefined
      if (!this.config.disableTcpPings && node.vsn[1]! >= 3) {
        tcp = this.tcpPing(address, ping, sent + probeInterval).catch((err) => {
          this.logger.debug('tcp ping failed', { node: node.name, error: (err as Error).message })
          return false
        })
      }

      const result = await acked
      if (result.complete) return
      if (tcp !== undefined && (await tcp)) {
        this.logger.warn(`Was able to connect to ${node.name} but other probes failed, network may be misconfigured`)
        return
      }
      if (this.shut) return

      awarenessDelta = expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1
      this.logger.info(`Suspect ${node.name} has failed, no acks received`)
      this.suspectNode({ incarnation: node.incarnation, node: node.name, from: this.name })
    } finally {
      this.ackHandlers.get(seqNo)?.timer.cancel()
      this.ackHandlers.delete(seqNo)
      this.awareness.applyDelta(awarenessDelta)
      this.metrics.gauge('memberlist.health.score', this.awareness.getHealthScore())
    }
  }

  private async tcpPing(address: string, ping: Ping, deadline: number): Promise<boolean> {
    let stream: Stream
    try {
      stream = await this.dial(address, Math.max(1, deadline - this.clock.now()))
    } catch {
      return false
    }
    try {
      this.writeStream(stream, encodeMessage(MessageType.ping, encodePing(ping)))
      const msg = await this.readStream(stream, deadline)
      if (msg.type !== MessageType.ackResp || !('ack' in msg)) throw new MalformedMessageError(`Unexpected msgType (${msg.type}) from ping`)
      if (msg.ack.seqNo !== ping.seqNo) throw new MalformedMessageError(`Sequence number from ack (${msg.ack.seqNo}) doesn't match ping (${ping.seqNo})`)
      return true
    } finally {
      stream.close()
      this.openStreams.delete(stream)
    }
  }

  private setAckHandler(seqNo: number, ack: AckHandler['ack'], nack: AckHandler['nack'], timeout: number, onTimeout?: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.ackHandlers.delete(seqNo)
      onTimeout?.()
    }, timeout)
    this.ackHandlers.set(seqNo, { ack, nack, timer })
  }

  /** Removes dead and left nodes older than gossipToTheDeadTime, then reshuffles the probe order. */
  private resetNodes(): void {
    const now = this.clock.now()
    const keep: MemberState[] = []
    for (const n of this.nodes) {
      const gone = (n.state === NodeStateType.dead || n.state === NodeStateType.left) &&
        n.name !== this.name && now - n.stateChange > this.config.gossipToTheDeadTime
      if (gone) this.nodeMap.delete(n.name)
      else keep.push(n)
    }
    this.nodes.length = 0
    this.nodes.push(...shuffle(this.random, keep))
    this.numNodes = this.nodes.length
  }

  // ---- state transitions (memberlist's aliveNode / suspectNode / deadNode) ------------------

  private aliveNode(a: Alive, notify: (() => void) | undefined, bootstrap: boolean): void {
    let state = this.nodeMap.get(a.node)
    if (this.leaving && a.node === this.name) return
    if (!validVsn(a.vsn)) {
      this.logger.warn(`Ignoring an alive message for '${a.node}' because protocol version(s) are wrong`)
      return
    }
    if (this.options.alive !== undefined) {
      if (a.vsn.length < 6) {
        this.logger.warn(`ignoring alive message for '${a.node}' because Vsn is not present`)
        return
      }
      try {
        this.options.alive.notifyAlive(nodeFromAlive(a))
      } catch (err) {
        this.logger.warn(`ignoring alive message for '${a.node}': ${(err as Error).message}`)
        return
      }
    }

    let updatesNode = false
    if (state === undefined) {
      state = {
        name: a.node, addr: a.addr, port: a.port, address: joinHostPort(ipToString(a.addr), a.port), meta: a.meta ?? EMPTY, incarnation: 0,
        state: NodeStateType.dead, stateChange: this.clock.now(),
        vsn: a.vsn.length > 5 ? vsnArray(a.vsn) : [0, 0, 0, 0, 0, 0],
      }
      this.nodeMap.set(a.node, state)
      // Insert at a random offset to keep the failure-detection bound low on average; as in
      // memberlist the offset is an existing slot (the new node never simply goes last).
      const n = this.nodes.length
      const offset = n === 0 ? 0 : this.random.int(n)
      this.nodes.push(state)
      ;[this.nodes[offset], this.nodes[n]] = [this.nodes[n]!, this.nodes[offset]!]
      this.numNodes++
    } else if (!sameBytes(state.addr, a.addr) || state.port !== a.port) {
      const canReclaim = this.config.deadNodeReclaimTime > 0 && this.clock.now() - state.stateChange > this.config.deadNodeReclaimTime
      if (state.state === NodeStateType.left || (state.state === NodeStateType.dead && canReclaim)) {
        this.logger.info(`Updating address for left or failed node ${state.name}`)
        updatesNode = true
      } else {
        this.logger.error(`Conflicting address for ${state.name}. Mine: ${ipToString(state.addr)}:${state.port} Theirs: ${ipToString(a.addr)}:${a.port} Old state: ${state.state}`)
        this.options.conflict?.notifyConflict(toNode(state), nodeFromAlive(a))
        return
      }
    }

    const isLocal = state.name === this.name
    if (a.incarnation <= state.incarnation && !isLocal && !updatesNode) return
    if (a.incarnation < state.incarnation && isLocal) return

    this.clearSuspicion(a.node)
    const oldState = state.state
    const oldMeta = state.meta

    if (!bootstrap && isLocal) {
      const same = a.incarnation === state.incarnation && (a.meta ?? EMPTY).equals(state.meta) && a.vsn.equals(Buffer.from(state.vsn))
      if (same) return
      this.refute(state, a.incarnation)
      this.logger.warn(`Refuting an alive message for '${a.node}'`)
    } else {
      this.encodeBroadcast(a.node, MessageType.alive, encodeAlive(a), notify)
      if (a.vsn.length >= 6) state.vsn = vsnArray(a.vsn)
      state.incarnation = a.incarnation
      state.meta = a.meta ?? EMPTY
      if (!sameBytes(state.addr, a.addr) || state.port !== a.port) state.address = joinHostPort(ipToString(a.addr), a.port)
      state.addr = a.addr
      state.port = a.port
      if (state.state !== NodeStateType.alive) {
        state.state = NodeStateType.alive
        state.stateChange = this.clock.now()
      }
    }
    this.metrics.counter('memberlist.msg.alive')
    if (oldState === NodeStateType.dead || oldState === NodeStateType.left) this.notify('join', state)
    else if (!oldMeta.equals(state.meta)) this.notify('update', state)
  }

  private suspectNode(s: Suspect): void {
    const state = this.nodeMap.get(s.node)
    if (state === undefined) return
    if (s.incarnation < state.incarnation) return
    const existing = this.suspicions.get(s.node)
    if (existing !== undefined) {
      if (existing.confirm(s.from)) this.encodeBroadcast(s.node, MessageType.suspect, encodeSuspect(s))
      return
    }
    if (state.state !== NodeStateType.alive) return
    if (state.name === this.name) {
      this.refute(state, s.incarnation)
      this.logger.warn(`Refuting a suspect message (from: ${s.from})`)
      return
    }
    this.encodeBroadcast(s.node, MessageType.suspect, encodeSuspect(s))
    this.metrics.counter('memberlist.msg.suspect')
    state.incarnation = s.incarnation
    state.state = NodeStateType.suspect
    const changeTime = this.clock.now()
    state.stateChange = changeTime

    const n = this.estNumNodes()
    let k = this.config.suspicionMult - 2
    if (n - 2 < k) k = 0
    const min = suspicionTimeout(this.config.suspicionMult, n, this.config.probeInterval)
    const max = this.config.suspicionMaxTimeoutMult * min
    const suspicion = new Suspicion(this.clock, s.from, k, min, max, (confirmations) => {
      if (this.suspicions.get(s.node) === suspicion) this.suspicions.delete(s.node)
      const cur = this.nodeMap.get(s.node)
      if (this.shut || cur === undefined || cur.state !== NodeStateType.suspect || cur.stateChange !== changeTime) return
      if (k > 0 && confirmations < k) this.metrics.counter('memberlist.degraded.timeout')
      this.logger.info(`Marking ${cur.name} as failed, suspect timeout reached (${confirmations} peer confirmations)`)
      this.deadNode({ incarnation: cur.incarnation, node: cur.name, from: this.name })
    })
    this.suspicions.set(s.node, suspicion)
  }

  private deadNode(d: Dead): void {
    const state = this.nodeMap.get(d.node)
    if (state === undefined) return
    if (d.incarnation < state.incarnation) return
    this.clearSuspicion(d.node)
    if (state.state === NodeStateType.dead || state.state === NodeStateType.left) return
    if (state.name === this.name) {
      if (!this.leaving) {
        this.refute(state, d.incarnation)
        this.logger.warn(`Refuting a dead message (from: ${d.from})`)
        return
      }
      this.encodeBroadcast(d.node, MessageType.dead, encodeSuspect(d), () => {
        const done = this.leaveDone
        this.leaveDone = undefined
        done?.()
      })
    } else {
      this.encodeBroadcast(d.node, MessageType.dead, encodeSuspect(d))
    }
    this.metrics.counter('memberlist.msg.dead')
    state.incarnation = d.incarnation
    state.state = d.node === d.from ? NodeStateType.left : NodeStateType.dead
    state.stateChange = this.clock.now()
    this.notify('leave', state)
  }

  private refute(me: MemberState, accused: number): void {
    let inc = this.nextIncarnation()
    if (accused >= inc) {
      this.incarnation = accused + 1
      inc = this.incarnation
    }
    me.incarnation = inc
    this.awareness.applyDelta(1)
    const a: Alive = { incarnation: inc, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: Buffer.from(me.vsn) }
    this.encodeBroadcast(me.name, MessageType.alive, encodeAlive(a))
  }

  private clearSuspicion(name: string): void {
    const s = this.suspicions.get(name)
    if (s !== undefined) {
      s.cancel()
      this.suspicions.delete(name)
    }
  }

  private mergeState(remote: readonly PushNodeState[]): void {
    for (const r of remote) {
      switch (r.state) {
        case NodeStateType.alive:
          this.aliveNode({ incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, undefined, false)
          break
        case NodeStateType.left:
          this.deadNode({ incarnation: r.incarnation, node: r.name, from: r.name })
          break
        case NodeStateType.dead:
        case NodeStateType.suspect:
          // A full sync never kills a node directly: it only starts a suspicion.
          this.suspectNode({ incarnation: r.incarnation, node: r.name, from: this.name })
          break
        default:
          break
      }
    }
  }

  private notify(kind: 'join' | 'leave' | 'update', state: MemberState): void {
    const node = toNode(state)
    const ev = this.options.events
    try {
      if (kind === 'join') ev?.notifyJoin?.(node)
      else if (kind === 'leave') ev?.notifyLeave?.(node)
      else ev?.notifyUpdate?.(node)
    } catch (err) {
      this.logger.warn('event delegate threw', { error: (err as Error).message })
    }
    this.emit(kind, node)
  }

  // ---- dissemination ----------------------------------------------------------------------

  private encodeBroadcast(name: string, type: number, body: Record<string, unknown>, finished?: () => void): void {
    const msg = encodeMessage(type, body)
    this.broadcasts.queue({ name, message: () => msg, finished })
  }

  /** memberlist's own broadcasts first, then the delegate's with the room left. */
  private getBroadcasts(overhead: number, limit: number): Buffer[] {
    const out = this.broadcasts.getBroadcasts(overhead, limit)
    const d = this.options.delegate
    if (d?.getBroadcasts !== undefined) {
      let used = 0
      for (const m of out) used += m.length + overhead
      const avail = limit - used
      if (avail > overhead + USER_MSG_OVERHEAD) {
        for (const m of d.getBroadcasts(overhead + USER_MSG_OVERHEAD, avail)) {
          out.push(Buffer.concat([Buffer.from([MessageType.user]), m]))
        }
      }
    }
    return out
  }

  private gossip(): void {
    const now = this.clock.now()
    const targets = this.kRandomNodes(this.config.gossipNodes, (n) => {
      if (n.name === this.name) return true
      if (n.state === NodeStateType.alive || n.state === NodeStateType.suspect) return false
      if (n.state === NodeStateType.dead) return now - n.stateChange > this.config.gossipToTheDeadTime
      return true
    })
    let avail = this.config.udpBufferSize - COMPOUND_HEADER_OVERHEAD
    if (this.encrypting()) avail -= encryptOverhead(this.encryptionVersion())
    for (const node of targets) {
      const msgs = this.getBroadcasts(COMPOUND_OVERHEAD, avail)
      if (msgs.length === 0) return
      this.rawSendPacket(node.address, node, msgs.length === 1 ? msgs[0]! : makeCompound(msgs))
    }
  }

  /** Sends a packet with queued broadcasts piggybacked. */
  private sendMsg(address: string, msg: Buffer): void {
    let avail = this.config.udpBufferSize - msg.length - COMPOUND_HEADER_OVERHEAD
    if (this.encrypting()) avail -= encryptOverhead(this.encryptionVersion())
    const extra = this.getBroadcasts(COMPOUND_OVERHEAD, avail)
    this.rawSendPacket(address, undefined, extra.length === 0 ? msg : makeCompound([msg, ...extra]))
  }

  /** Compression (if smaller), CRC (if the node speaks protocol 5) and encryption, then send. */
  private rawSendPacket(address: string, node: MemberState | undefined, msg: Buffer): void {
    if (this.shut) return
    let out = msg
    if (this.config.enableCompression) {
      const compressed = encodeMessage(MessageType.compress, encodeCompress({ algo: 0, buf: lzwCompress(out) }))
      if (compressed.length < out.length) out = compressed
    }
    if (node !== undefined && node.vsn[1]! >= 5) {
      const header = Buffer.allocUnsafe(5)
      header[0] = MessageType.hasCrc
      header.writeUInt32BE(crc32(out), 1)
      out = Buffer.concat([header, out])
    }
    const key = this.options.keyring?.getPrimaryKey()
    if (key !== undefined && this.config.gossipVerifyOutgoing) out = encryptPayload(this.encryptionVersion(), key, out)
    this.stats.udpBytesSent += out.length
    this.metrics.counter('memberlist.udp.sent', out.length)
    try {
      this.transport.sendPacket(out, address)
    } catch (err) {
      this.logger.warn('packet send failed', { address, error: (err as Error).message })
    }
  }

  /**
   * Up to k distinct random nodes that `exclude` lets through, found as memberlist does: by
   * sampling random positions at most 3n times, so a gossip round costs O(k), not O(n).
   */
  private kRandomNodes(k: number, exclude: (n: MemberState) => boolean): MemberState[] {
    const n = this.nodes.length
    const out: MemberState[] = []
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = this.nodes[this.random.int(n)]!
      if (exclude(node) || out.includes(node)) continue
      out.push(node)
    }
    return out
  }

  // ---- packet receive ---------------------------------------------------------------------

  /** Entry point of every datagram; never throws: garbage is dropped and counted. */
  private ingestPacket(buf: Buffer, from: string): void {
    if (this.shut) return
    this.stats.packetsReceived++
    try {
      if (buf.length === 0 || buf.length > MAX_PACKET_BYTES) throw new MalformedMessageError(`packet of ${buf.length} bytes`)
      let packet = buf
      if (packet[0] === MessageType.hasLabel) {
        if (packet.length < 2 || packet.length < 2 + packet[1]!) throw new MalformedMessageError('truncated label')
        packet = packet.subarray(2 + packet[1]!)
      }
      const keys = this.options.keyring?.getKeys() ?? []
      if (keys.length > 0) {
        try {
          packet = decryptPayload(keys, packet)
        } catch (err) {
          if (this.config.gossipVerifyIncoming) throw err
        }
      }
      if (packet.length >= 5 && packet[0] === MessageType.hasCrc) {
        const expected = packet.readUInt32BE(1)
        packet = packet.subarray(5)
        if (crc32(packet) !== expected) throw new MalformedMessageError('Got invalid checksum for UDP packet')
      }
      this.handleCommand(packet, from, 0)
    } catch (err) {
      this.dropGarbage(from, err)
    }
  }

  private dropGarbage(from: string, err: unknown): void {
    this.stats.garbage++
    this.metrics.counter('memberlist.garbage')
    this.logger.debug('dropped bad packet', { from, error: err instanceof Error ? err.message : String(err) })
  }

  private handleCommand(buf: Buffer, from: string, depth: number): void {
    if (buf.length === 0) throw new MalformedMessageError('empty message')
    if (depth > 4) throw new MalformedMessageError('messages nest too deeply')
    const type = buf[0]!
    const body = buf.subarray(1)
    switch (type) {
      case MessageType.compound: {
        const { parts, truncated } = splitCompound(body)
        if (truncated > 0) {
          this.dropGarbage(from, new MalformedMessageError(`Compound request had ${truncated} truncated messages`))
        }
        for (const part of parts) {
          try {
            this.handleCommand(part, from, depth + 1)
          } catch (err) {
            this.dropGarbage(from, err)
          }
        }
        return
      }
      case MessageType.compress: {
        const c = decodeCompress(decodeMap(body).map)
        if (c.algo !== 0) throw new MalformedMessageError(`unknown compression algorithm ${c.algo}`)
        this.handleCommand(lzwDecompress(c.buf, MAX_PACKET_BYTES * 4), from, depth + 1)
        return
      }
      case MessageType.ping: return this.handlePing(decodePing(decodeMap(body).map), from)
      case MessageType.indirectPing: return this.handleIndirectPing(body, from)
      case MessageType.ackResp: {
        const ack = decodeAck(decodeMap(body).map)
        const h = this.ackHandlers.get(ack.seqNo)
        if (h !== undefined) {
          this.ackHandlers.delete(ack.seqNo)
          h.timer.cancel()
          h.ack(ack.payload, this.clock.now())
        }
        return
      }
      case MessageType.nackResp: {
        const nack = decodeNack(decodeMap(body).map)
        this.ackHandlers.get(nack.seqNo)?.nack()
        return
      }
      case MessageType.suspect: return this.suspectNode(decodeSuspect(decodeMap(body).map))
      case MessageType.alive: {
        // Each alive message arrives many times (every peer retransmits it); a copy already
        // seen that still says nothing new is dropped before decoding. Not with an alive
        // delegate, which must see every message.
        const key = this.options.alive === undefined ? body.toString('latin1') : undefined
        if (key !== undefined && this.staleAlive(this.seenAlive.get(key))) return
        const a = decodeAlive(decodeMap(body).map)
        if (this.config.protocolVersion < 2 || a.port === 0) a.port = this.advertise.port
        this.aliveNode(a, undefined, false)
        if (key !== undefined && validVsn(a.vsn)) {
          if (this.seenAlive.size >= 2 * this.nodes.length + 64) this.seenAlive.clear()
          this.seenAlive.set(key, { node: a.node, incarnation: a.incarnation, addr: a.addr, port: a.port })
        }
        return
      }
      case MessageType.dead: return this.deadNode(decodeSuspect(decodeMap(body).map))
      case MessageType.user: {
        const d = this.options.delegate
        if (d?.notifyMsg !== undefined && body.length > 0) d.notifyMsg(Buffer.from(body))
        return
      }
      default:
        throw new MalformedMessageError(`msg type (${type}) not supported`)
    }
  }

  /**
   * True when an alive message like `seen` would change nothing: aliveNode would return at
   * its incarnation check (not about us, same address, no newer incarnation).
   */
  private staleAlive(seen: SeenAlive | undefined): boolean {
    if (seen === undefined || seen.node === this.name) return false
    const state = this.nodeMap.get(seen.node)
    return state !== undefined && seen.incarnation <= state.incarnation && state.port === seen.port && sameBytes(state.addr, seen.addr)
  }

  private replyAddress(p: { sourceAddr?: Buffer; sourcePort?: number }, from: string): string {
    if (p.sourceAddr !== undefined && p.sourceAddr.length > 0 && p.sourcePort !== undefined) {
      return joinHostPort(ipToString(p.sourceAddr), p.sourcePort)
    }
    return from
  }

  private handlePing(p: Ping, from: string): void {
    if (p.node !== '' && p.node !== this.name) {
      this.logger.warn(`Got ping for unexpected node '${p.node}'`, { from })
      return
    }
    const payload = this.options.ping?.ackPayload() ?? null
    this.sendMsg(this.replyAddress(p, from), encodeMessage(MessageType.ackResp, encodeAck({ seqNo: p.seqNo, payload })))
  }

  private handleIndirectPing(body: Buffer, from: string): void {
    const ind = decodeIndirectPing(decodeMap(body).map)
    if (this.config.protocolVersion < 2 || ind.port === 0) ind.port = this.advertise.port
    const localSeq = this.nextSeqNo()
    const replyTo = this.replyAddress(ind, from)
    let answered = false
    this.setAckHandler(localSeq, () => {
      answered = true
      this.sendMsg(replyTo, encodeMessage(MessageType.ackResp, encodeAck({ seqNo: ind.seqNo, payload: null })))
    }, () => {}, this.config.probeTimeout)
    const ping: Ping = { seqNo: localSeq, node: ind.node, ...this.source }
    this.sendMsg(joinHostPort(ipToString(ind.target), ind.port), encodeMessage(MessageType.ping, encodePing(ping)))
    if (ind.nack) {
      this.after(this.config.probeTimeout, () => {
        if (!answered) this.sendMsg(replyTo, encodeMessage(MessageType.nackResp, encodeNack({ seqNo: ind.seqNo })))
      })
    }
  }

  // ---- streams: push-pull, reliable user messages, TCP pings ------------------------------

  private security(): WireSecurity {
    return {
      keyring: this.options.keyring,
      verifyIncoming: this.config.gossipVerifyIncoming,
      verifyOutgoing: this.config.gossipVerifyOutgoing,
      version: this.encryptionVersion(),
    }
  }

  private async dial(address: string, timeout = this.config.tcpTimeout): Promise<Stream> {
    const stream = await this.transport.dial(address, timeout)
    if (this.shut) {
      stream.close()
      throw new ShutdownError()
    }
    this.openStreams.add(stream)
    return stream
  }

  private writeStream(stream: Stream, msg: Buffer): void {
    const out = sealStream(msg, this.config.enableCompression, this.security())
    this.stats.tcpBytesSent += out.length
    this.metrics.counter('memberlist.tcp.sent', out.length)
    stream.write(out)
  }

  /** Reads one message, failing at `deadline` (clock ms). */
  private async readStream(stream: Stream, deadline: number): Promise<StreamMessage> {
    const chunks: Buffer[] = []
    let size = 0
    let timer: Timer | undefined
    const expired = new Promise<null>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(null), Math.max(0, deadline - this.clock.now()))
    })
    try {
      for (;;) {
        const chunk = await Promise.race([stream.read(), expired.then(() => 'timeout' as const)])
        if (chunk === 'timeout') throw new TimeoutError(`i/o timeout reading from ${stream.remote}`)
        if (chunk !== null) {
          chunks.push(chunk)
          size += chunk.length
          if (size > 5 + 20 * 1024 * 1024) throw new MalformedMessageError('stream exceeds the size limit')
        }
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        if (chunks.length > 1) { chunks.length = 0; chunks.push(buf) }
        const msg = parseStream(buf, chunk === null, this.security())
        if (msg !== undefined) return msg
        if (chunk === null) throw new MalformedMessageError('stream closed before a message')
      }
    } finally {
      timer?.cancel()
    }
  }

  private async handleStream(stream: Stream): Promise<void> {
    if (this.shut) {
      stream.close()
      return
    }
    this.openStreams.add(stream)
    let pushPull = false
    try {
      let msg: StreamMessage
      try {
        msg = await this.readStream(stream, this.clock.now() + this.config.tcpTimeout)
      } catch (err) {
        this.stats.garbage++
        this.logger.warn(`failed to receive: ${(err as Error).message}`, { from: stream.remote })
        if (!(err instanceof TimeoutError)) {
          try { this.writeStream(stream, encodeMessage(MessageType.err, encodeErr({ error: (err as Error).message }))) } catch { /* closing anyway */ }
        }
        return
      }
      if (this.shut) return
      if ('payload' in msg && msg.type === MessageType.user) {
        this.options.delegate?.notifyMsg?.(msg.payload)
      } else if ('header' in msg) {
        if (this.inboundPushPulls >= this.config.maxConcurrentPushPulls) {
          this.stats.streamsRejected++
          this.logger.error('Too many pending push/pull requests')
          return
        }
        this.inboundPushPulls++
        pushPull = true
        this.sendLocalState(stream, msg.header.join)
        this.mergeRemoteState(msg.header.join, msg.nodes, msg.userState)
      } else if ('ping' in msg) {
        if (msg.ping.node !== '' && msg.ping.node !== this.name) return
        this.writeStream(stream, encodeMessage(MessageType.ackResp, encodeAck({ seqNo: msg.ping.seqNo, payload: null })))
      } else {
        this.stats.garbage++
        this.logger.error(`Received invalid msgType (${msg.type})`, { from: stream.remote })
      }
    } catch (err) {
      this.logger.warn(`stream from ${stream.remote} failed: ${(err as Error).message}`)
    } finally {
      if (pushPull) this.inboundPushPulls--
      // Give the peer time to read what we wrote before closing our side.
      stream.close()
      this.openStreams.delete(stream)
    }
  }

  private sendLocalState(stream: Stream, join: boolean): void {
    const userState = this.options.delegate?.localState?.(join) ?? null
    const parts: Buffer[] = [
      Buffer.from([MessageType.pushPull]),
      encodeBody(encodePushPullHeader({ nodes: this.nodes.length, userStateLen: userState?.length ?? 0, join })),
    ]
    for (const n of this.nodes) parts.push(pushEntry(n))
    if (userState !== null) parts.push(userState)
    this.writeStream(stream, Buffer.concat(parts))
  }

  private async pushPullNode(address: string, join: boolean): Promise<void> {
    const stream = await this.dial(address)
    let msg: StreamMessage
    try {
      this.sendLocalState(stream, join)
      msg = await this.readStream(stream, this.clock.now() + this.config.tcpTimeout)
    } finally {
      stream.close()
      this.openStreams.delete(stream)
    }
    if ('err' in msg) throw new RemoteError(msg.err.error)
    if (!('header' in msg)) throw new MalformedMessageError(`received invalid msgType (${msg.type}), expected pushPullMsg (6)`)
    if (this.shut) throw new ShutdownError()
    this.mergeRemoteState(join, msg.nodes, msg.userState)
  }

  private async periodicPushPull(): Promise<void> {
    if (this.pushPullRunning) return
    const [node] = this.kRandomNodes(1, (n) => n.name === this.name || n.state !== NodeStateType.alive)
    if (node === undefined) return
    this.pushPullRunning = true
    try {
      await this.pushPullNode(node.address, false)
    } catch (err) {
      if (!this.shut) this.logger.warn(`Push/Pull with ${node.name} failed: ${(err as Error).message}`)
    } finally {
      this.pushPullRunning = false
    }
  }

  private mergeRemoteState(join: boolean, remote: PushNodeState[], userState: Buffer | null): void {
    for (const r of remote) {
      if (this.config.protocolVersion < 2 || r.port === 0) r.port = this.advertise.port
    }
    this.verifyProtocol(remote)
    if (join && this.options.merge !== undefined) {
      try {
        this.options.merge.notifyMerge(remote.map(nodeFromPush))
      } catch (err) {
        throw new MergeRejectedError((err as Error).message)
      }
    }
    this.mergeState(remote)
    if (userState !== null) this.options.delegate?.mergeRemoteState?.(userState, join)
  }

  /** Rejects a sync that would put any node outside the cluster's protocol range. */
  private verifyProtocol(remote: readonly PushNodeState[]): void {
    let maxPMin = 0
    let minPMax = 255
    let maxDMin = 0
    let minDMax = 255
    const widen = (v: ArrayLike<number>): void => {
      maxPMin = Math.max(maxPMin, v[0]!)
      minPMax = Math.min(minPMax, v[1]!)
      maxDMin = Math.max(maxDMin, v[3]!)
      minDMax = Math.min(minDMax, v[4]!)
    }
    for (const r of remote) if (r.state === NodeStateType.alive && r.vsn.length >= 6) widen(r.vsn)
    for (const n of this.nodes) if (n.state === NodeStateType.alive) widen(n.vsn)
    const check = (name: string, pCur: number, dCur: number): void => {
      if (pCur < maxPMin || pCur > minPMax) throw new ProtocolIncompatibleError(`Node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`)
      if (dCur < maxDMin || dCur > minDMax) throw new ProtocolIncompatibleError(`Node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`)
    }
    for (const r of remote) check(r.name, r.vsn.length >= 6 ? r.vsn[2]! : 0, r.vsn.length >= 6 ? r.vsn[5]! : 0)
    for (const n of this.nodes) check(n.name, n.vsn[2]!, n.vsn[5]!)
  }

  // ---- helpers ----------------------------------------------------------------------------

  private localMeta(): Buffer {
    const meta = this.options.delegate?.nodeMeta?.(META_MAX_SIZE) ?? EMPTY
    if (meta.length > META_MAX_SIZE) throw new MetaTooLargeError(meta.length, META_MAX_SIZE)
    return Buffer.from(meta)
  }

  private localVsn(): number[] {
    const d = this.options.delegateProtocol ?? { min: 0, max: 0, cur: 0 }
    return [PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, this.config.protocolVersion, d.min, d.max, d.cur]
  }

  private encrypting(): boolean {
    return (this.options.keyring?.size ?? 0) > 0 && this.config.gossipVerifyOutgoing
  }

  private encryptionVersion(): EncryptionVersion {
    return this.config.protocolVersion === 1 ? 0 : 1
  }

  private nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0
    return this.seqNo
  }

  private nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0
    return this.incarnation
  }

  private estNumNodes(): number {
    return this.numNodes
  }

  private anyAlive(): boolean {
    return this.nodes.some((n) => n.name !== this.name && n.state !== NodeStateType.dead && n.state !== NodeStateType.left)
  }

  private assertRunning(): void {
    if (this.shut) throw new ShutdownError()
    if (!this.started) throw new GossipError('GOSSIP_SHUTDOWN', 'memberlist is not started')
  }

  /** Resolves with the promise's value, or undefined after `ms`. */
  private async raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: Timer | undefined
    const t = new Promise<undefined>((resolve) => { timer = this.clock.setTimeout(() => resolve(undefined), ms) })
    try {
      return await Promise.race([p, t])
    } finally {
      timer?.cancel()
    }
  }

  private async waitFor(done: Promise<void>, timeoutMs: number, onTimeout: () => Error, signal?: AbortSignal): Promise<void> {
    let timer: Timer | undefined
    let onAbort: (() => void) | undefined
    const fail = new Promise<never>((_, reject) => {
      if (timeoutMs > 0) timer = this.clock.setTimeout(() => reject(onTimeout()), timeoutMs)
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason)
        if (signal.aborted) onAbort()
        else signal.addEventListener('abort', onAbort, { once: true })
      }
    })
    try {
      await Promise.race([done, fail])
    } finally {
      timer?.cancel()
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    }
  }
}

/** Push-pull period grows with the cluster: ×1 up to 32 nodes, then +1 per doubling. */
export function pushPullScale(interval: number, n: number): number {
  if (n <= 32) return interval
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(32)) + 1
  return multiplier * interval
}

/** False when Vsn carries a protocol range that is zero or inverted. */
function validVsn(vsn: Buffer): boolean {
  if (vsn.length < 3) return true
  const pMin = vsn[0]!
  const pMax = vsn[1]!
  return pMin !== 0 && pMax !== 0 && pMin <= pMax
}

/** The six protocol-version bytes of an alive message as an array (Array.from is slow here). */
function vsnArray(v: Buffer): number[] {
  return [v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!]
}

/** Byte equality without a call into native code (addresses are 4 or 16 bytes). */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The node's push-pull entry; encoded again only when a field changed (field values are replaced, never mutated). */
function pushEntry(n: MemberState): Buffer {
  const c = n.pushEntry
  if (c !== undefined && c.incarnation === n.incarnation && c.state === n.state && c.addr === n.addr && c.port === n.port &&
    c.meta === n.meta && c.vsn === n.vsn) return c.bytes
  const bytes = encodeBody(encodePushNodeState({
    name: n.name, addr: n.addr, port: n.port, meta: n.meta, incarnation: n.incarnation, state: n.state, vsn: Buffer.from(n.vsn),
  }))
  n.pushEntry = { bytes, incarnation: n.incarnation, state: n.state, addr: n.addr, port: n.port, meta: n.meta, vsn: n.vsn }
  return bytes
}

function toNode(s: MemberState): Node {
  return {
    name: s.name, addr: ipToString(s.addr), port: s.port, meta: s.meta, state: nodeStateNames[s.state] ?? 'dead',
    incarnation: s.incarnation,
    pMin: s.vsn[0]!, pMax: s.vsn[1]!, pCur: s.vsn[2]!, dMin: s.vsn[3]!, dMax: s.vsn[4]!, dCur: s.vsn[5]!,
  }
}

function vsnNode(name: string, addr: Buffer, port: number, meta: Buffer | null, vsn: Buffer, state: Node['state'], incarnation: number): Node {
  const v = (i: number): number => vsn[i] ?? 0
  return {
    name, addr: ipToString(addr), port, meta: meta ?? EMPTY, state, incarnation,
    pMin: v(0), pMax: v(1), pCur: v(2), dMin: v(3), dMax: v(4), dCur: v(5),
  }
}

function nodeFromAlive(a: Alive): Node {
  return vsnNode(a.node, a.addr, a.port, a.meta, a.vsn, 'alive', a.incarnation)
}

function nodeFromPush(p: PushNodeState): Node {
  return vsnNode(p.name, p.addr, p.port, p.meta, p.vsn, nodeStateNames[p.state] ?? 'dead', p.incarnation)
}

export { splitHostPort }
