/**
 * A transport between nodes in one process (hashicorp's InmemTransport), with hooks that drop,
 * delay and duplicate messages: the network of unit tests and of the deterministic simulation.
 */
import { Readable } from 'node:stream'
import { systemClock, type Clock, type Timer } from '@nomadic/runtime'
import { PipelineShutdownError, RemoteError, TimeoutError, TransportShutdownError, UnreachableError } from '../errors.js'
import {
  RPCType,
  type AppendEntriesRequest, type AppendEntriesResponse, type AppendPipeline, type InstallSnapshotRequest,
  type InstallSnapshotResponse, type RPC, type RPCHandler, type RPCMessages, type RequestPreVoteRequest,
  type RequestPreVoteResponse, type RequestVoteRequest, type RequestVoteResponse, type ServerAddress, type ServerID,
  type TimeoutNowRequest, type TimeoutNowResponse, type Transport,
} from '../types.js'

/** One message crossing the in-memory network, as the hooks see it. */
export interface InmemMessage {
  from: ServerAddress
  to: ServerAddress
  type: RPCType
  /** False for a request, true for its response. */
  response: boolean
  /** Sent on an AppendEntries pipeline (ordered, never duplicated). */
  pipelined: boolean
}

/** Fault injection; every hook is optional. */
export interface InmemHooks {
  /** Return true to lose the message: the caller's RPC fails when its timeout elapses. */
  drop?(message: InmemMessage): boolean
  /** Milliseconds before the message arrives (default 0). */
  delay?(message: InmemMessage): number
  /** Return true to deliver a request twice (the second answer is ignored). */
  duplicate?(message: InmemMessage): boolean
}

/** Options of an {@link InmemTransport}. */
export interface InmemTransportOptions {
  /** This transport's address (default: a fresh unique one). */
  address?: ServerAddress
  clock?: Clock
  /** Milliseconds before an unanswered RPC fails (default 500). */
  timeout?: number
  hooks?: InmemHooks
}

let nextAddress = 0

/**
 * Delivers RPCs by reference to connected transports. Requests and responses are not copied:
 * receivers must treat them as read-only, which Raft does.
 */
export class InmemTransport implements Transport {
  readonly address: ServerAddress
  /** Fault hooks; replace them at any time. */
  hooks: InmemHooks
  /** @internal */
  readonly clock: Clock
  /** @internal */
  readonly timeout: number
  private readonly peers = new Map<ServerAddress, InmemTransport>()
  private consumer: RPCHandler | undefined
  private heartbeatHandler: RPCHandler | undefined
  private closed = false
  private readonly pending = new Set<{ fail(err: Error): void }>()
  private readonly pipelines = new Set<InmemPipeline>()

  constructor(options: InmemTransportOptions = {}) {
    this.address = options.address ?? `inmem-${++nextAddress}`
    this.clock = options.clock ?? systemClock
    this.timeout = options.timeout ?? 500
    this.hooks = options.hooks ?? {}
  }

  /** Makes `peer` reachable from this transport (one direction; connect both for a link). */
  connect(peer: InmemTransport): void {
    this.peers.set(peer.address, peer)
  }

  /** Makes `address` unreachable from this transport. */
  disconnect(address: ServerAddress): void {
    this.peers.delete(address)
    for (const p of this.pipelines) if (p.target === address) void p.close()
  }

  disconnectAll(): void {
    for (const address of [...this.peers.keys()]) this.disconnect(address)
  }

  /** The connected transport at `address`, if any. */
  peer(address: ServerAddress): InmemTransport | undefined {
    return this.peers.get(address)
  }

  localAddr(): ServerAddress {
    return this.address
  }

  setConsumer(handler: RPCHandler | undefined): void {
    this.consumer = handler
  }

  setHeartbeatHandler(handler: RPCHandler | undefined): void {
    this.heartbeatHandler = handler
  }

  encodePeer(_id: ServerID, address: ServerAddress): Buffer {
    return Buffer.from(address)
  }

  decodePeer(peer: Buffer): ServerAddress {
    return peer.toString('utf8')
  }

  appendEntries(_id: ServerID, target: ServerAddress, request: AppendEntriesRequest): Promise<AppendEntriesResponse> {
    return this.call(target, RPCType.AppendEntries, request)
  }

  requestVote(_id: ServerID, target: ServerAddress, request: RequestVoteRequest): Promise<RequestVoteResponse> {
    return this.call(target, RPCType.RequestVote, request)
  }

  requestPreVote(_id: ServerID, target: ServerAddress, request: RequestPreVoteRequest): Promise<RequestPreVoteResponse> {
    return this.call(target, RPCType.RequestPreVote, request)
  }

  timeoutNow(_id: ServerID, target: ServerAddress, request: TimeoutNowRequest): Promise<TimeoutNowResponse> {
    return this.call(target, RPCType.TimeoutNow, request)
  }

  async installSnapshot(
    _id: ServerID, target: ServerAddress, request: InstallSnapshotRequest, data: Readable,
  ): Promise<InstallSnapshotResponse> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of data) {
      const b = Buffer.from(chunk as Uint8Array)
      chunks.push(b)
      size += b.length
      if (size >= request.Size) break
    }
    const body = Buffer.concat(chunks).subarray(0, request.Size)
    return this.call(target, RPCType.InstallSnapshot, request, body)
  }

  async appendEntriesPipeline(_id: ServerID, target: ServerAddress): Promise<AppendPipeline> {
    if (this.closed) throw new TransportShutdownError()
    if (!this.peers.has(target)) throw new UnreachableError(target)
    const pipeline = new InmemPipeline(this, target, () => this.pipelines.delete(pipeline))
    this.pipelines.add(pipeline)
    return pipeline
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.consumer = undefined
    this.heartbeatHandler = undefined
    for (const p of [...this.pipelines]) await p.close()
    for (const p of [...this.pending]) p.fail(new TransportShutdownError())
    this.pending.clear()
  }

  /** Sends one RPC and settles with its answer, an error, or a timeout. */
  call<T extends RPCType>(target: ServerAddress, type: T, request: RPCMessages[T]['request'], body?: Buffer): Promise<RPCMessages[T]['response']> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new TransportShutdownError())
        return
      }
      const peer = this.peers.get(target)
      if (peer === undefined) {
        reject(new UnreachableError(target))
        return
      }
      let done = false
      let timer: Timer | undefined
      const entry = {
        fail: (err: Error): void => {
          if (done) return
          done = true
          timer?.cancel()
          this.pending.delete(entry)
          reject(err)
        },
        succeed: (response: RPCMessages[T]['response']): void => {
          if (done) return
          done = true
          timer?.cancel()
          this.pending.delete(entry)
          resolve(response)
        },
      }
      this.pending.add(entry)
      timer = this.clock.setTimeout(() => entry.fail(new TimeoutError(`rpc to ${target} timed out`)), this.timeout)
      this.send(peer, type, request, body, false, (response, error) => {
        if (error !== undefined) entry.fail(new RemoteError(error.message))
        else entry.succeed(response as RPCMessages[T]['response'])
      })
    })
  }

  /**
   * Carries a request to `peer` and its answer back through the hooks. `answer` is not called
   * when either direction is dropped.
   */
  send(
    peer: InmemTransport, type: RPCType, request: unknown, body: Buffer | undefined, pipelined: boolean,
    answer: (response: unknown, error?: Error) => void, deliverAt?: (delay: number) => number,
  ): void {
    const out: InmemMessage = { from: this.address, to: peer.address, type, response: false, pipelined }
    if (this.hooks.drop?.(out) === true) return
    const delay = this.hooks.delay?.(out) ?? 0
    const copies = !pipelined && this.hooks.duplicate?.(out) === true ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      const wait = deliverAt !== undefined ? deliverAt(delay) : delay + copy * (1 + delay)
      this.clock.setTimeout(() => {
        peer.receive(type, request, body, (response, error) => {
          if (copy > 0 || this.closed) return
          const back: InmemMessage = { from: peer.address, to: this.address, type, response: true, pipelined }
          if (this.hooks.drop?.(back) === true) return
          const backDelay = this.hooks.delay?.(back) ?? 0
          this.clock.setTimeout(() => answer(response, error), backDelay)
        })
      }, wait)
    }
  }

  private receive(type: RPCType, command: unknown, body: Buffer | undefined, respond: (response: unknown, error?: Error) => void): void {
    let answered = false
    const rpc = {
      type,
      command,
      reader: type === RPCType.InstallSnapshot ? Readable.from([body ?? Buffer.alloc(0)], { objectMode: false }) : undefined,
      respond: (response: unknown, error?: Error): void => {
        if (answered) return
        answered = true
        respond(response, error)
      },
    } as unknown as RPC
    const handler = type === RPCType.AppendEntries && isHeartbeat(command as AppendEntriesRequest)
      ? this.heartbeatHandler ?? this.consumer
      : this.consumer
    if (this.closed || handler === undefined) {
      rpc.respond(undefined, new TransportShutdownError())
      return
    }
    handler(rpc)
  }
}

/** hashicorp's fast-path test: only Term and Leader set. */
export function isHeartbeat(r: AppendEntriesRequest): boolean {
  return r.Term !== 0 && r.Leader.length > 0 && r.PrevLogEntry === 0 && r.PrevLogTerm === 0 &&
    r.Entries.length === 0 && r.LeaderCommitIndex === 0
}

interface Waiting {
  done: boolean
  response?: AppendEntriesResponse
  resolve(r: AppendEntriesResponse): void
  reject(e: Error): void
  timer: Timer
}

/** An ordered stream of AppendEntries, like one TCP connection: a lost message breaks it. */
class InmemPipeline implements AppendPipeline {
  private closed = false
  private lastDelivery = 0
  private readonly queue: Waiting[] = []

  constructor(private readonly transport: InmemTransport, readonly target: ServerAddress, private readonly onClose: () => void) {}

  appendEntries(request: AppendEntriesRequest): Promise<AppendEntriesResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new PipelineShutdownError())
        return
      }
      const peer = this.transport.peer(this.target)
      if (peer === undefined) {
        reject(new UnreachableError(this.target))
        void this.close()
        return
      }
      const clock = this.transport.clock
      const timeout = this.transport.timeout
      const waiting: Waiting = {
        done: false, resolve, reject,
        timer: clock.setTimeout(() => this.fail(new TimeoutError(`pipelined rpc to ${this.target} timed out`)), timeout),
      }
      this.queue.push(waiting)
      this.transport.send(peer, RPCType.AppendEntries, request, undefined, true, (response, error) => {
        if (error !== undefined) {
          this.fail(new RemoteError(error.message))
          return
        }
        waiting.done = true
        waiting.response = response as AppendEntriesResponse
        this.flush()
      }, (delay) => {
        // Keep send order: never arrive before an earlier request.
        const at = Math.max(clock.now() + delay, this.lastDelivery)
        this.lastDelivery = at
        return at - clock.now()
      })
    })
  }

  /** Settles answered requests in order, stopping at the first unanswered one. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const w = this.queue.shift()!
      w.timer.cancel()
      w.resolve(w.response!)
    }
  }

  private fail(err: Error): void {
    for (const w of this.queue.splice(0)) {
      w.timer.cancel()
      w.reject(err)
    }
    void this.close()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const w of this.queue.splice(0)) {
      w.timer.cancel()
      w.reject(new PipelineShutdownError())
    }
    this.onClose()
  }
}
