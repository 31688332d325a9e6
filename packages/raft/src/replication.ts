/**
 * A leader's replication to one follower: stop-and-wait AppendEntries until the follower matches,
 * then a pipeline; heartbeats on their own timer; InstallSnapshot when the follower needs entries
 * the leader has compacted away.
 */
import type { Clock, Logger, Random, Timer } from '@nomadic/runtime'
import type { AppendEntriesRequest, AppendEntriesResponse, AppendPipeline, Log, Server, Transport } from './types.js'

/** What a replicator needs from its leader. */
export interface ReplicationHost {
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  readonly transport: Transport
  readonly maxAppendEntries: number
  readonly heartbeatTimeout: number
  readonly commitTimeout: number
  readonly maxPipelineInFlight: number
  /** The leader's term; replication stops when it no longer leads it. */
  readonly term: number
  isCurrent(): boolean
  header(): { ProtocolVersion: number }
  leaderPeer(): Buffer
  lastLogIndex(): number
  commitIndex(): number
  /** Term of the entry at `index` (0 for 0); undefined when compacted away. */
  termAt(index: number): Promise<number | undefined>
  /** Entries [from, to]; undefined when any is compacted away. */
  getLogs(from: number, to: number): Promise<Log[] | undefined>
  /** Sends the newest snapshot; resolves with its index, or undefined on failure or a higher term. */
  sendSnapshot(server: Server): Promise<number | undefined>
  /** The follower answered with a newer term. */
  sawTerm(term: number): void
  /** The follower stores everything up to `index`. */
  matched(server: Server, index: number): void
  /** A request sent at sequence `seq` got an answer in this term (for verifyLeader). */
  contacted(server: Server, seq: number): void
  nextSeq(): number
}

const MAX_BACKOFF_ROUNDS = 12
const FAILURE_WAIT = 10

/** Backoff of hashicorp's replication: 10 ms · 2^(failures − 2), capped. */
function backoff(failures: number): number {
  if (failures <= 1) return 0
  return FAILURE_WAIT * 2 ** Math.min(failures - 2, MAX_BACKOFF_ROUNDS)
}

export class Replicator {
  nextIndex: number
  matchIndex = 0
  lastContact: number
  private failures = 0
  private heartbeatFailures = 0
  private busy = false
  private again = false
  private stopped = false
  private backoffTimer: Timer | undefined
  private heartbeatTimer: Timer | undefined
  private commitTimer: Timer | undefined
  private refreshTimer: Timer | undefined
  private heartbeatInFlight = false
  private pipeline: AppendPipeline | undefined
  private pipelineOpening = false
  private pipelineInFlight = 0
  private canPipeline = false
  /** After a pipeline failed to open, stop-and-wait until then. */
  private pipelineRetryAt = 0
  private ackedCommit = 0
  /** The commit timer fired with the follower behind on the commit index. */
  private commitDue = false

  constructor(readonly server: Server, private readonly host: ReplicationHost) {
    this.nextIndex = host.lastLogIndex() + 1
    this.lastContact = host.clock.now()
  }

  start(): void {
    this.scheduleHeartbeat()
    this.scheduleRefresh()
    this.kick()
  }

  /**
   * hashicorp sends the commit index every commit timeout whatever happens; this sends it when it
   * moved, and otherwise at a slower pace, so a follower that restarted (and forgot its commit
   * index) relearns it while the cluster is idle.
   */
  private scheduleRefresh(): void {
    if (this.stopped) return
    const half = this.host.heartbeatTimeout / 2
    this.refreshTimer = this.host.clock.setTimeout(() => {
      if (!this.alive()) return
      if (this.host.commitIndex() > 0) {
        this.commitDue = true
        this.kick()
      }
      this.scheduleRefresh()
    }, half + this.host.random.next() * half)
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.backoffTimer?.cancel()
    this.heartbeatTimer?.cancel()
    this.commitTimer?.cancel()
    this.refreshTimer?.cancel()
    this.closePipeline()
  }

  /** New entries or a new commit index: send when nothing is in flight. */
  kick(): void {
    if (this.stopped) return
    if (this.pipeline !== undefined) {
      this.pumpPipeline()
      return
    }
    if (this.busy || this.backoffTimer !== undefined) {
      this.again = true
      return
    }
    void this.replicate()
  }

  /** The commit index moved: tell the follower within commitTimeout, batching with new entries. */
  commitAdvanced(): void {
    if (this.stopped || this.commitTimer !== undefined) return
    const wait = this.host.commitTimeout + this.host.random.int(this.host.commitTimeout)
    this.commitTimer = this.host.clock.setTimeout(() => {
      this.commitTimer = undefined
      if (this.ackedCommit < this.host.commitIndex()) {
        this.commitDue = true
        this.kick()
      }
    }, wait)
  }

  /** Sends a heartbeat now (verifyLeader). */
  heartbeatNow(): void {
    if (this.stopped) return
    this.heartbeatTimer?.cancel()
    void this.heartbeat()
  }

  private alive(): boolean {
    return !this.stopped && this.host.isCurrent()
  }

  private async replicate(): Promise<void> {
    this.busy = true
    try {
      do {
        this.again = false
        const ok = await this.replicateOnce()
        if (!this.alive()) return
        if (!ok) {
          this.failures++
          const wait = backoff(this.failures)
          if (wait > 0) {
            this.backoffTimer = this.host.clock.setTimeout(() => {
              this.backoffTimer = undefined
              this.kick()
            }, wait)
            return
          }
          this.again = true
          continue
        }
        this.failures = 0
        if (this.canPipeline && !this.pipelineOpening && this.host.clock.now() >= this.pipelineRetryAt) {
          // Stay busy while the pipeline opens: kicks meanwhile are served by it (or by the retry).
          await this.openPipeline()
          return
        }
      } while (this.again || this.nextIndex <= this.host.lastLogIndex() || this.commitDue)
    } finally {
      this.busy = false
    }
  }

  /** One stop-and-wait round; false on an error or a mismatch to retry. */
  private async replicateOnce(): Promise<boolean> {
    const host = this.host
    const prev = this.nextIndex - 1
    const prevTerm = await host.termAt(prev)
    const last = Math.min(host.lastLogIndex(), prev + host.maxAppendEntries)
    const entries = prevTerm === undefined ? undefined : last > prev ? await host.getLogs(prev + 1, last) : []
    if (!this.alive()) return true
    if (prevTerm === undefined || entries === undefined) {
      const index = await host.sendSnapshot(this.server)
      if (!this.alive()) return true
      if (index === undefined) return false
      this.lastContact = host.clock.now()
      this.advance(index)
      return true
    }
    const request = this.request(prev, prevTerm, entries)
    this.commitDue = false
    const seq = host.nextSeq()
    let response: AppendEntriesResponse
    try {
      response = await host.transport.appendEntries(this.server.ID, this.server.Address, request)
    } catch (err) {
      if (this.alive()) {
        host.logger.debug('failed to append entries', { peer: this.server.ID, error: String(err) })
        this.commitAdvanced()
      }
      return false
    }
    return this.handleResponse(request, response, seq, false)
  }

  private request(prev: number, prevTerm: number, entries: Log[]): AppendEntriesRequest {
    return {
      ...this.host.header(),
      Term: this.host.term,
      Leader: this.host.leaderPeer(),
      PrevLogEntry: prev,
      PrevLogTerm: prevTerm,
      Entries: entries,
      LeaderCommitIndex: this.host.commitIndex(),
    }
  }

  private handleResponse(request: AppendEntriesRequest, response: AppendEntriesResponse, seq: number, pipelined: boolean): boolean {
    const ok = this.judgeResponse(request, response, seq, pipelined)
    // Whatever happened, a follower still behind on the commit index hears of it again.
    if (this.alive() && this.ackedCommit < this.host.commitIndex()) this.commitAdvanced()
    return ok
  }

  private judgeResponse(request: AppendEntriesRequest, response: AppendEntriesResponse, seq: number, pipelined: boolean): boolean {
    if (!this.alive()) return true
    if (response.Term > this.host.term) {
      this.host.sawTerm(response.Term)
      return true
    }
    this.lastContact = this.host.clock.now()
    this.host.contacted(this.server, seq)
    if (response.Success) {
      const last = request.PrevLogEntry + request.Entries.length
      this.ackedCommit = Math.max(this.ackedCommit, Math.min(request.LeaderCommitIndex, last))
      this.advance(last)
      this.canPipeline = true
      return true
    }
    this.canPipeline = false
    if (!pipelined) {
      this.nextIndex = Math.max(Math.min(this.nextIndex - 1, response.LastLog + 1), 1)
      return response.NoRetryBackoff
    }
    return false
  }

  private advance(index: number): void {
    if (index > this.matchIndex) {
      this.matchIndex = index
      this.host.matched(this.server, index)
    }
    if (!this.pipeline) this.nextIndex = Math.max(this.nextIndex, index + 1)
  }

  // ---- pipelining -------------------------------------------------------------------------

  private async openPipeline(): Promise<void> {
    this.pipelineOpening = true
    try {
      const pipeline = await this.host.transport.appendEntriesPipeline(this.server.ID, this.server.Address)
      if (!this.alive()) {
        void pipeline.close()
        return
      }
      this.pipeline = pipeline
      this.nextIndex = this.matchIndex + 1
      this.pumpPipeline()
    } catch {
      // No pipelining for this peer for now: stay stop-and-wait.
      this.canPipeline = false
      this.pipelineRetryAt = this.host.clock.now() + this.host.heartbeatTimeout
      if (this.alive()) {
        this.pipelineOpening = false
        this.busy = false
        this.kick()
      }
    } finally {
      this.pipelineOpening = false
    }
  }

  private pumpPipeline(): void {
    const pipeline = this.pipeline
    if (pipeline === undefined || this.stopped) return
    void this.sendPipelined(pipeline)
  }

  private sending = false

  private async sendPipelined(pipeline: AppendPipeline): Promise<void> {
    if (this.sending) {
      this.again = true
      return
    }
    this.sending = true
    try {
      do {
        this.again = false
        while (this.pipeline === pipeline && this.alive() && this.pipelineInFlight < this.host.maxPipelineInFlight &&
          (this.nextIndex <= this.host.lastLogIndex() || this.commitDue)) {
          const prev = this.nextIndex - 1
          const last = Math.min(this.host.lastLogIndex(), prev + this.host.maxAppendEntries)
          const prevTerm = await this.host.termAt(prev)
          const entries = prevTerm === undefined ? undefined : last > prev ? await this.host.getLogs(prev + 1, last) : []
          if (this.pipeline !== pipeline || !this.alive()) return
          if (prevTerm === undefined || entries === undefined) {
            this.closePipeline()
            this.kick()
            return
          }
          const request = this.request(prev, prevTerm, entries)
          this.nextIndex = last + 1
          const seq = this.host.nextSeq()
          this.pipelineInFlight++
          this.commitDue = false
          pipeline.appendEntries(request).then(
            (response) => {
              this.pipelineInFlight--
              if (this.pipeline !== pipeline) return
              if (!this.handleResponse(request, response, seq, true)) this.pipelineFailed()
              else this.pumpPipeline()
            },
            () => {
              this.pipelineInFlight--
              if (this.pipeline === pipeline) this.pipelineFailed()
            },
          )
        }
      } while (this.again && this.pipeline === pipeline)
    } finally {
      this.sending = false
    }
  }

  private pipelineFailed(): void {
    this.closePipeline()
    if (!this.alive()) return
    this.failures++
    this.nextIndex = this.matchIndex + 1
    this.ackedCommit = Math.min(this.ackedCommit, this.matchIndex)
    this.commitAdvanced()
    const wait = backoff(this.failures)
    if (wait > 0 && this.backoffTimer === undefined) {
      this.backoffTimer = this.host.clock.setTimeout(() => {
        this.backoffTimer = undefined
        this.kick()
      }, wait)
    } else this.kick()
  }

  private closePipeline(): void {
    const pipeline = this.pipeline
    this.pipeline = undefined
    this.pipelineInFlight = 0
    this.canPipeline = false
    if (pipeline !== undefined) void pipeline.close().catch(() => {})
  }

  // ---- heartbeats -------------------------------------------------------------------------

  private scheduleHeartbeat(): void {
    if (this.stopped) return
    const base = this.host.heartbeatTimeout / 10
    let wait = base + this.host.random.next() * base
    if (this.heartbeatFailures > 0) wait = Math.max(wait, backoff(this.heartbeatFailures + 1))
    this.heartbeatTimer = this.host.clock.setTimeout(() => void this.heartbeat(), wait)
  }

  private async heartbeat(): Promise<void> {
    if (!this.alive() || this.heartbeatInFlight) return
    this.heartbeatInFlight = true
    const request: AppendEntriesRequest = {
      ...this.host.header(),
      Term: this.host.term,
      Leader: this.host.leaderPeer(),
      PrevLogEntry: 0,
      PrevLogTerm: 0,
      Entries: [],
      LeaderCommitIndex: 0,
    }
    const seq = this.host.nextSeq()
    try {
      const response = await this.host.transport.appendEntries(this.server.ID, this.server.Address, request)
      if (!this.alive()) return
      if (response.Term > this.host.term) {
        this.host.sawTerm(response.Term)
        return
      }
      this.heartbeatFailures = 0
      this.lastContact = this.host.clock.now()
      this.host.contacted(this.server, seq)
    } catch {
      this.heartbeatFailures++
    } finally {
      this.heartbeatInFlight = false
      this.scheduleHeartbeat()
    }
  }
}
