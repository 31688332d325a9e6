/**
 * A cluster of Raft nodes in simulated time: one SimClock, one seeded Random, a SimNetwork,
 * crash and restart keeping only the stores (the "disk"), key/value clients whose history is
 * recorded, and the safety invariants checked after every step.
 */
import { SeededRandom, SimClock } from '@nomadic/runtime'
import { Raft, type ApplyResult, type RaftState } from '../raft.js'
import { InmemSnapshotStore } from '../snapshot/inmem.js'
import { InmemTransport } from '../transport/inmem.js'
import { EnqueueTimeoutError, LeadershipTransferInProgressError, NotLeaderError } from '../errors.js'
import { hasVote } from '../configuration.js'
import { ServerSuffrage, type Configuration, type Log } from '../types.js'
import type { RaftOptions } from '../options.js'
import { KVStateMachine, encodeKVCommand, type KVCommand, type KVResponse } from './kv.js'
import { SimNetwork } from './network.js'
import { SimDisk } from './disk.js'
import { checkLinearizable, kvModel, type KVInput, type KVOutput, type Operation } from './linearizability.js'

/** A broken invariant; `invariant` is its short name. */
export class InvariantViolation extends Error {
  constructor(readonly invariant: string, detail: string) {
    super(`${invariant}: ${detail}`)
    this.name = 'InvariantViolation'
  }
}

/** One simulated server: its durable stores outlive its process. */
export class SimNode {
  readonly snapshots = new InmemSnapshotStore()
  raft: Raft | undefined
  fsm: KVStateMachine | undefined
  transport: InmemTransport | undefined
  /** Taken out of the cluster for good by the scenario. */
  removed = false
  checkedCommit = 0
  leaderTerm = 0

  constructor(readonly id: string, readonly store: SimDisk) {}

  /** Whether its process runs. */
  get up(): boolean {
    return this.raft !== undefined && this.raft.state !== 'Shutdown'
  }
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** The simulated cluster. */
export class SimCluster {
  readonly clock = new SimClock(0)
  readonly random: SeededRandom
  readonly network: SimNetwork
  readonly nodes = new Map<string, SimNode>()
  readonly history: Operation<KVInput, KVOutput>[] = []
  /** IDs of put operations that resolved successfully. */
  readonly acknowledged: string[] = []
  steps = 0
  violation: InvariantViolation | undefined
  private readonly leaders = new Map<number, string>()
  private readonly committed = new Map<number, { term: number; data: string }>()
  private maxCommitted = 0
  /** Called after a node's process starts (scenarios attach observers here). */
  onBoot: ((node: SimNode) => void) | undefined
  private clientsRunning = 0
  private clientsUntil = 0

  /** Upper bound of a simulated disk write in ms (0: instant). */
  diskLatency = 0

  constructor(readonly seed: number, readonly raftOptions: Partial<RaftOptions> = {}) {
    this.random = new SeededRandom(seed)
    this.network = new SimNetwork(this.random.fork())
  }

  private newNode(id: string): SimNode {
    return new SimNode(id, new SimDisk(this.clock, this.random.fork(), this.diskLatency))
  }

  /** Creates `ids` as a bootstrapped cluster of voters and starts them. */
  async bootstrap(ids: string[]): Promise<void> {
    const configuration: Configuration = { Servers: ids.map((id) => ({ Suffrage: ServerSuffrage.Voter, ID: id, Address: id })) }
    for (const id of ids) {
      const node = this.newNode(id)
      this.nodes.set(id, node)
      await this.boot(node)
      await this.await(node.raft!.bootstrapCluster(configuration), 1000)
    }
  }

  /** Creates and starts a node with empty stores (to be added by a membership change). */
  async addEmptyNode(id: string): Promise<SimNode> {
    const node = this.newNode(id)
    this.nodes.set(id, node)
    await this.boot(node)
    return node
  }

  private async boot(node: SimNode): Promise<void> {
    const fsm = new KVStateMachine((log) => this.onApply(node, fsm, log))
    const transport = new InmemTransport({ address: node.id, clock: this.clock, hooks: this.network, timeout: 500 })
    for (const other of this.nodes.values()) {
      if (other === node || other.transport === undefined) continue
      transport.connect(other.transport)
      other.transport.connect(transport)
    }
    const raft = new Raft(
      { fsm, logStore: node.store, stableStore: node.store, snapshotStore: node.snapshots, transport, clock: this.clock, random: this.random.fork() },
      { ...this.raftOptions, localID: node.id },
    )
    node.fsm = fsm
    node.transport = transport
    node.raft = raft
    node.checkedCommit = 0
    node.leaderTerm = 0
    const started = await this.await(raft.start(), 1000)
    if (started?.error !== undefined) throw started.error
    // It may have crashed again while starting.
    if (node.raft === raft) this.onBoot?.(node)
  }

  /** Crashes and restarts a node at once, from a timer (safe to call from an observer). */
  bounce(id: string): void {
    this.clock.setTimeout(() => {
      void this.crash(id).then(() => this.restart(id))
    }, 0)
  }

  /** Kills a node's process: everything not in its stores is lost. */
  async crash(id: string): Promise<void> {
    const node = this.nodes.get(id)
    if (node?.raft === undefined) return
    const raft = node.raft
    node.raft = undefined
    // Writes in flight are torn; the process's pending work is abandoned, not awaited.
    node.store.crash()
    void raft.shutdown()
  }

  /** Starts a crashed node again from its stores. */
  async restart(id: string): Promise<void> {
    const node = this.nodes.get(id)
    if (node === undefined || node.removed || node.up) return
    node.raft = undefined
    await this.boot(node)
  }

  /** Nodes whose process runs. */
  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up)
  }

  /** The running leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined
    for (const n of this.live()) {
      if (n.raft!.state !== 'Leader') continue
      if (best === undefined || n.raft!.currentTermValue() > best.raft!.currentTermValue()) best = n
    }
    return best
  }

  /** Runs simulated time forward by `ms`, checking the invariants after every event. */
  async run(ms: number): Promise<void> {
    const until = this.clock.now() + ms
    for (;;) {
      if (this.violation !== undefined) throw this.violation
      const due = this.clock.nextDue()
      if (due === undefined || due > until) break
      this.clock.step()
      await immediate()
      this.steps++
      this.checkStep()
    }
    this.clock.advance(until - this.clock.now())
    if (this.violation !== undefined) throw this.violation
  }

  /** Runs until `done()` holds or `ms` pass; returns whether it held. */
  async runUntil(done: () => boolean, ms: number, slice = 100): Promise<boolean> {
    const until = this.clock.now() + ms
    while (this.clock.now() < until) {
      if (done()) return true
      await this.run(Math.min(slice, until - this.clock.now()))
    }
    return done()
  }

  /** Waits for a promise while simulated time runs; undefined if it did not settle in `ms`. */
  async await<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | undefined> {
    let outcome: { value?: T; error?: unknown } | undefined
    promise.then((value) => { outcome = { value } }, (error: unknown) => { outcome = { error } })
    await this.runUntil(() => outcome !== undefined, ms, 20)
    return outcome
  }

  // ---- clients --------------------------------------------------------------------------------

  /** Starts `count` clients issuing puts and gets on `keys` until simulated time `until`. */
  startClients(count: number, keys: string[], until: number): void {
    this.clientsUntil = until
    for (let c = 0; c < count; c++) void this.client(c, keys, this.random.fork())
  }

  /** Whether any client still waits for an operation. */
  clientsBusy(): boolean {
    return this.clientsRunning > 0
  }

  private async client(c: number, keys: string[], random: SeededRandom): Promise<void> {
    this.clientsRunning++
    let seq = 0
    try {
      while (this.clock.now() < this.clientsUntil && this.violation === undefined) {
        const target = this.leader() ?? this.live()[random.int(Math.max(1, this.live().length))]
        if (target?.raft === undefined) {
          await this.clock.sleep(50)
          continue
        }
        const key = keys[random.int(keys.length)]!
        const id = `c${c}-${seq++}`
        const command: KVCommand = random.next() < 0.6
          ? { op: 'put', key, value: id, id }
          : { op: 'get', key, id }
        const call = this.clock.now()
        try {
          const result: ApplyResult = await target.raft.apply(encodeKVCommand(command), { timeout: 500 })
          const response = result.response as KVResponse
          this.history.push({ client: c, input: inputOf(command), call, output: { value: response.value }, return: this.clock.now() })
          if (command.op === 'put') this.acknowledged.push(id)
        } catch (err) {
          const notApplied = err instanceof NotLeaderError || err instanceof EnqueueTimeoutError || err instanceof LeadershipTransferInProgressError
          if (!notApplied && command.op === 'put') {
            // Indeterminate: it may take effect at any time after its call, or never.
            this.history.push({ client: c, input: inputOf(command), call, output: undefined, return: Infinity })
          }
          await this.clock.sleep(20 + random.int(50))
        }
        await this.clock.sleep(10 + random.int(90))
      }
    } finally {
      this.clientsRunning--
    }
  }

  // ---- invariants -----------------------------------------------------------------------------

  private fail(invariant: string, detail: string): void {
    if (this.violation === undefined) this.violation = new InvariantViolation(invariant, detail)
  }

  private onApply(node: SimNode, fsm: KVStateMachine, log: Log): void {
    if (log.Index <= fsm.lastIndex) {
      this.fail('in-order apply', `${node.id} applied index ${log.Index} after ${fsm.lastIndex}`)
    }
    this.record(node, log, 'state machines apply the same sequence')
  }

  private record(node: SimNode, log: Log, invariant: string): void {
    const data = log.Data.toString('latin1')
    const known = this.committed.get(log.Index)
    if (known === undefined) {
      this.committed.set(log.Index, { term: log.Term, data })
      if (log.Index > this.maxCommitted) this.maxCommitted = log.Index
    } else if (known.term !== log.Term || known.data !== data) {
      const what = known.term !== log.Term ? `term ${log.Term} (others ${known.term})` : 'different data'
      this.fail(invariant, `${node.id} has ${what} at committed index ${log.Index}`)
    }
  }

  /** The per-step checks: one leader per term, identical committed logs, leader completeness. */
  checkStep(): void {
    for (const node of this.nodes.values()) {
      const raft = node.raft
      if (raft === undefined || raft.state === 'Shutdown') continue
      const term = raft.currentTermValue()
      if (raft.state === 'Leader') {
        const other = this.leaders.get(term)
        if (other === undefined) this.leaders.set(term, node.id)
        else if (other !== node.id) this.fail('at most one leader per term', `${other} and ${node.id} both lead term ${term}`)
        if (node.leaderTerm !== term) {
          node.leaderTerm = term
          this.checkLeaderCompleteness(node)
        }
      }
      const commit = raft.commitIndex()
      for (let i = node.checkedCommit + 1; i <= commit; i++) {
        const log = node.store.peek(i)
        if (log !== undefined) this.record(node, log, 'committed logs identical where they overlap')
      }
      if (commit > node.checkedCommit) node.checkedCommit = commit
    }
  }

  /** A new leader's log holds every entry committed so far (unless compacted into its snapshot). */
  private checkLeaderCompleteness(node: SimNode): void {
    for (let i = this.maxCommitted; i >= 1; i--) {
      const known = this.committed.get(i)
      if (known === undefined) continue
      const log = node.store.peek(i)
      if (log === undefined) {
        // Below the first entry is the snapshot, which covers only committed entries.
        const first = node.store.bounds().first
        if (first === 0 || i >= first) this.fail('a committed entry is never lost', `leader ${node.id} lacks committed index ${i}`)
        return
      }
      if (log.Term !== known.term) {
        this.fail('a committed entry is never lost or changed', `leader ${node.id} has term ${log.Term} at committed index ${i}, committed term ${known.term}`)
        return
      }
    }
  }

  // ---- the end of a run -------------------------------------------------------------------------

  /**
   * Heals the network, restarts crashed nodes, and checks liveness: a leader emerges, a barrier
   * completes, and every member applies up to it. Then checks the final state.
   */
  async settle(maxMs = 60_000): Promise<void> {
    this.network.heal()
    for (const node of this.nodes.values()) if (!node.removed && !node.up) await this.restart(node.id)
    const deadline = this.clock.now() + maxMs
    let barrierIndex = 0
    while (this.clock.now() < deadline && barrierIndex === 0) {
      const leader = this.leader()
      if (leader === undefined) {
        await this.run(100)
        continue
      }
      const outcome = await this.await(leader.raft!.barrier(), Math.min(5_000, deadline - this.clock.now()))
      if (outcome?.value !== undefined) barrierIndex = outcome.value.index
    }
    if (barrierIndex === 0) {
      throw new InvariantViolation('liveness', `no leader completed a barrier within ${maxMs} ms of healing (states: ${this.describe()})`)
    }
    const members = (): SimNode[] => {
      const leader = this.leader()
      if (leader === undefined) return this.live()
      const configuration = leader.raft!.getConfiguration().configuration
      return this.live().filter((n) => configuration.Servers.some((s) => s.ID === n.id))
    }
    const caughtUp = await this.runUntil(() => members().every((n) => n.raft!.appliedIndex() >= barrierIndex), deadline - this.clock.now())
    if (!caughtUp) {
      throw new InvariantViolation('liveness', `members did not apply up to ${barrierIndex} (${this.describe()})`)
    }
    await this.runUntil(() => !this.clientsBusy(), 10_000)
    if (this.violation !== undefined) throw this.violation
    this.checkFinal(members())
  }

  private checkFinal(members: SimNode[]): void {
    const reference = members[0]
    if (reference === undefined) throw new InvariantViolation('liveness', 'no live member left')
    const fingerprint = reference.fsm!.fingerprint()
    for (const node of members) {
      if (node.fsm!.fingerprint() !== fingerprint) {
        throw new InvariantViolation('state machines apply the same sequence', `${node.id} and ${reference.id} hold different data`)
      }
      for (const id of this.acknowledged) {
        if (!node.fsm!.ops.has(id)) {
          throw new InvariantViolation('acknowledged writes survive', `${node.id} lacks acknowledged write ${id}`)
        }
      }
    }
    const verdict = checkLinearizable(kvModel, this.history)
    if (!verdict.ok) {
      throw new InvariantViolation('linearizable', verdict.timedOut ? 'checker ran out of steps' : `history of key #${verdict.failedPartition ?? 0} is not linearizable`)
    }
  }

  /** One line with every node's state, for failure messages. */
  describe(): string {
    return [...this.nodes.values()].map((n) => {
      if (n.raft === undefined) return `${n.id}:down`
      const s: RaftState = n.raft.state
      return `${n.id}:${s}/t${n.raft.currentTermValue()}/c${n.raft.commitIndex()}/a${n.raft.appliedIndex()}`
    }).join(' ')
  }

  /** Whether `id` votes in the leader's latest configuration. */
  isVoter(id: string): boolean {
    const leader = this.leader()
    return leader !== undefined && hasVote(leader.raft!.getConfiguration().configuration, id)
  }

  /** Shuts every node down. */
  async stop(): Promise<void> {
    this.clientsUntil = 0
    for (const node of this.nodes.values()) await this.crash(node.id)
  }
}

function inputOf(command: KVCommand): KVInput {
  return command.op === 'put' ? { op: 'put', key: command.key, value: command.value } : { op: 'get', key: command.key }
}
