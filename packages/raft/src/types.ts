/**
 * The contracts every part of @nomadic/raft codes against: log entries, RPC messages, the
 * cluster configuration, and the interfaces of the stores and the transport.
 *
 * Messages, log entries, configurations and snapshot metadata use hashicorp/raft 1.1.2's Go field
 * names as property names, so the wire codec and the on-disk formats are a direct mapping.
 * Indexes and terms are JavaScript numbers (exact up to 2^53); a codec converts the occasional
 * 64-bit msgpack form.
 */
import type { Readable } from 'node:stream'

/** A server's stable identifier (a UUID in Nomad; the address under protocol < 3). */
export type ServerID = string
/** A server's network address, as the transport understands it (`host:port`). */
export type ServerAddress = string

/** The kind of a log entry; the numbers are written into logs and onto the wire. */
export const LogType = {
  /** Application data handed to the FSM. */
  Command: 0,
  /** Appended by a new leader to commit entries of earlier terms. */
  Noop: 1,
  /** Protocol 0 membership change (kept for decoding old logs). */
  AddPeerDeprecated: 2,
  /** Protocol 0/1 membership change; data is a msgpack array of peer addresses. */
  RemovePeerDeprecated: 3,
  /** Resolves once every earlier entry has been applied to the FSM. */
  Barrier: 4,
  /** A new cluster configuration; data is msgpack(Configuration). */
  Configuration: 5,
} as const
export type LogType = (typeof LogType)[keyof typeof LogType]

/** One replicated log entry (Go `raft.Log`). */
export interface Log {
  Index: number
  Term: number
  Type: LogType
  /** The payload; an empty Buffer stands for Go's nil. */
  Data: Buffer
  /** Out-of-band data for middleware; an empty Buffer stands for nil. */
  Extensions: Buffer
  /**
   * When the leader appended the entry, in ms of the leader's clock (hashicorp/raft ≥ 1.3.0; not
   * on the 1.1.2 wire). Absent when unknown.
   */
  AppendedAt?: number
}

/** Whether a server's vote counts (values are written into logs: never renumber). */
export const ServerSuffrage = {
  Voter: 0,
  Nonvoter: 1,
  /** Being caught up; counted as a non-voter until the leader promotes it. */
  Staging: 2,
} as const
export type ServerSuffrage = (typeof ServerSuffrage)[keyof typeof ServerSuffrage]

/** One member of a cluster configuration. */
export interface Server {
  Suffrage: ServerSuffrage
  ID: ServerID
  Address: ServerAddress
}

/** The members of the cluster (Go `raft.Configuration`). */
export interface Configuration {
  Servers: Server[]
}

// ---------------------------------------------------------------------------------------------
// RPC messages (commands.go)

/** The RPC type bytes of the network transport. */
export const RPCType = {
  AppendEntries: 0,
  RequestVote: 1,
  InstallSnapshot: 2,
  TimeoutNow: 3,
  /** hashicorp/raft ≥ 1.7 only; a 1.1.2 server closes the connection on it. */
  RequestPreVote: 4,
} as const
export type RPCType = (typeof RPCType)[keyof typeof RPCType]

/** Common header of every RPC message (embedded and flattened in Go). */
export interface RPCHeader {
  ProtocolVersion: number
  /** Sender's server ID (hashicorp/raft ≥ 1.3.7; absent on the 1.1.2 wire). */
  ID?: Buffer
  /** Sender's address (hashicorp/raft ≥ 1.3.7; absent on the 1.1.2 wire). */
  Addr?: Buffer
}

export interface AppendEntriesRequest extends RPCHeader {
  Term: number
  /** The leader's address (encoded by the transport's `encodePeer`). */
  Leader: Buffer
  PrevLogEntry: number
  PrevLogTerm: number
  Entries: Log[]
  LeaderCommitIndex: number
}

export interface AppendEntriesResponse extends RPCHeader {
  Term: number
  /** The follower's last log index: a hint for a faster catch-up. */
  LastLog: number
  Success: boolean
  /** Set when the failure was a log mismatch, not a temporary problem. */
  NoRetryBackoff: boolean
}

export interface RequestVoteRequest extends RPCHeader {
  Term: number
  /** The candidate's address (encoded by the transport's `encodePeer`). */
  Candidate: Buffer
  LastLogIndex: number
  LastLogTerm: number
  /** Set by a candidate started by TimeoutNow: voters ignore their known leader. */
  LeadershipTransfer: boolean
}

export interface RequestVoteResponse extends RPCHeader {
  Term: number
  /** Only under protocol < 2; an empty Buffer otherwise. */
  Peers: Buffer
  Granted: boolean
}

/** Pre-vote (RPC type 4, as in hashicorp/raft 1.7): no term is persisted by either side. */
export interface RequestPreVoteRequest extends RPCHeader {
  /** The term the candidate would campaign in (its current term + 1). */
  Term: number
  LastLogIndex: number
  LastLogTerm: number
}

export interface RequestPreVoteResponse extends RPCHeader {
  Term: number
  Granted: boolean
}

export interface InstallSnapshotRequest extends RPCHeader {
  SnapshotVersion: number
  Term: number
  Leader: Buffer
  LastLogIndex: number
  LastLogTerm: number
  /** Legacy (protocol < 3) msgpack array of voter addresses. */
  Peers: Buffer
  /** msgpack(Configuration), see `encodeConfiguration`. */
  Configuration: Buffer
  ConfigurationIndex: number
  /** Number of snapshot bytes that follow the request. */
  Size: number
}

export interface InstallSnapshotResponse extends RPCHeader {
  Term: number
  Success: boolean
}

export interface TimeoutNowRequest extends RPCHeader {}
export interface TimeoutNowResponse extends RPCHeader {}

/** Request and response types by RPC type. */
export interface RPCMessages {
  [RPCType.AppendEntries]: { request: AppendEntriesRequest; response: AppendEntriesResponse }
  [RPCType.RequestVote]: { request: RequestVoteRequest; response: RequestVoteResponse }
  [RPCType.InstallSnapshot]: { request: InstallSnapshotRequest; response: InstallSnapshotResponse }
  [RPCType.TimeoutNow]: { request: TimeoutNowRequest; response: TimeoutNowResponse }
  [RPCType.RequestPreVote]: { request: RequestPreVoteRequest; response: RequestPreVoteResponse }
}

/** One incoming RPC of type `T`, handed by a transport to its consumer. */
export interface IncomingRPC<T extends RPCType = RPCType> {
  type: T
  command: RPCMessages[T]['request']
  /** The snapshot bytes (exactly `command.Size`), for InstallSnapshot only. */
  reader?: Readable
  /**
   * Answers the RPC exactly once: a response, or an error whose message goes onto the wire as
   * the error string (the response is then nil).
   */
  respond(response: RPCMessages[T]['response'] | undefined, error?: Error): void
}

/** Any incoming RPC; switch on `type` to narrow `command`. */
export type RPC = { [T in RPCType]: IncomingRPC<T> }[RPCType]

/** Receives incoming RPCs. */
export type RPCHandler = (rpc: RPC) => void

/**
 * A stream of AppendEntries to one peer that does not wait for each response before sending the
 * next (hashicorp's AppendPipeline).
 */
export interface AppendPipeline {
  /**
   * Sends a request; the promise settles with its response. Responses settle in send order.
   * Rejects when the pipeline is closed or the connection fails (the pipeline is then unusable).
   */
  appendEntries(request: AppendEntriesRequest): Promise<AppendEntriesResponse>
  /** Stops the pipeline; pending requests reject. Idempotent. */
  close(): Promise<void>
}

/** Carries RPCs between servers (hashicorp's Transport, WithClose, and the optional pre-vote). */
export interface Transport {
  /** The address other servers reach this one at. */
  localAddr(): ServerAddress
  /** Installs (or, with undefined, removes) the receiver of incoming RPCs. */
  setConsumer(handler: RPCHandler | undefined): void
  /**
   * Installs a fast-path receiver for heartbeats (AppendEntries with only Term and Leader set);
   * without one, heartbeats go to the consumer like any other RPC.
   */
  setHeartbeatHandler(handler: RPCHandler | undefined): void
  appendEntries(id: ServerID, target: ServerAddress, request: AppendEntriesRequest, signal?: AbortSignal): Promise<AppendEntriesResponse>
  requestVote(id: ServerID, target: ServerAddress, request: RequestVoteRequest, signal?: AbortSignal): Promise<RequestVoteResponse>
  /** Sends the request, then exactly `request.Size` bytes of `data`. */
  installSnapshot(
    id: ServerID,
    target: ServerAddress,
    request: InstallSnapshotRequest,
    data: Readable,
    signal?: AbortSignal,
  ): Promise<InstallSnapshotResponse>
  timeoutNow(id: ServerID, target: ServerAddress, request: TimeoutNowRequest, signal?: AbortSignal): Promise<TimeoutNowResponse>
  /** Pre-vote; optional: a transport without it makes the node skip pre-vote. */
  requestPreVote?(id: ServerID, target: ServerAddress, request: RequestPreVoteRequest, signal?: AbortSignal): Promise<RequestPreVoteResponse>
  /**
   * Opens a pipeline to a peer; rejects with `PipelineNotSupportedError` when the transport has
   * none (replication then stays stop-and-wait).
   */
  appendEntriesPipeline(id: ServerID, target: ServerAddress): Promise<AppendPipeline>
  /** How a peer is written into `Leader`/`Candidate` fields (NetworkTransport: the address bytes). */
  encodePeer(id: ServerID, address: ServerAddress): Buffer
  decodePeer(peer: Buffer): ServerAddress
  /** Releases every connection and listener. Idempotent. */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Storage

/** Persists the log. Entries are stored before they are acknowledged (durably, if the store is). */
export interface LogStore {
  /** First index written, or 0 when empty. */
  firstIndex(): Promise<number>
  /** Last index written, or 0 when empty. */
  lastIndex(): Promise<number>
  /** The entry at `index`, or undefined when there is none. */
  getLog(index: number): Promise<Log | undefined>
  storeLog(log: Log): Promise<void>
  /** Stores consecutive entries in one batch (one sync for a durable store). */
  storeLogs(logs: readonly Log[]): Promise<void>
  /** Deletes the entries from `min` to `max`, both inclusive. */
  deleteRange(min: number, max: number): Promise<void>
}

/** Durable key/value storage for the term and the vote. */
export interface StableStore {
  set(key: string, value: Buffer): Promise<void>
  /** The value, or undefined when the key was never set. */
  get(key: string): Promise<Buffer | undefined>
  setUint64(key: string, value: number): Promise<void>
  /** The value, or 0 when the key was never set. */
  getUint64(key: string): Promise<number>
}

/** Snapshot format version: 1 carries Configuration and ConfigurationIndex. */
export type SnapshotVersion = 0 | 1

/** Describes a stored snapshot (Go `raft.SnapshotMeta`). */
export interface SnapshotMeta {
  Version: SnapshotVersion
  ID: string
  Index: number
  Term: number
  /** Legacy msgpack array of voter addresses (encodePeers). */
  Peers: Buffer
  Configuration: Configuration
  ConfigurationIndex: number
  /** Bytes of snapshot data. */
  Size: number
}

/** Where an FSM snapshot is written; `close` makes it visible, `cancel` discards it. */
export interface SnapshotSink {
  id(): string
  write(chunk: Uint8Array): Promise<void>
  close(): Promise<void>
  cancel(): Promise<void>
}

/** A snapshot opened for reading. */
export interface OpenedSnapshot {
  meta: SnapshotMeta
  /** The snapshot data; destroy it when done. */
  reader: Readable
}

/** Stores snapshots (hashicorp's SnapshotStore). */
export interface SnapshotStore {
  create(
    version: SnapshotVersion,
    index: number,
    term: number,
    configuration: Configuration,
    configurationIndex: number,
    transport: Transport,
  ): Promise<SnapshotSink>
  /** Snapshots newest first. */
  list(): Promise<SnapshotMeta[]>
  open(id: string): Promise<OpenedSnapshot>
}

// ---------------------------------------------------------------------------------------------
// The application

/** A point-in-time copy of the FSM's state, written out while the FSM keeps applying. */
export interface FSMSnapshot {
  /** Writes the state into the sink and closes it (or cancels it on failure). */
  persist(sink: SnapshotSink): Promise<void>
  /** Called when raft is done with the snapshot. */
  release(): void
}

/** The replicated state machine. */
export interface FSM {
  /** Applies one committed entry (Command, and Configuration when it opts in); the result is returned to `apply`'s caller. */
  apply(log: Log): unknown
  /** Optional: applies consecutive committed entries in one call; returns one result per entry. */
  applyBatch?(logs: readonly Log[]): unknown[]
  /** Captures the state; never called concurrently with apply. */
  snapshot(): FSMSnapshot | Promise<FSMSnapshot>
  /** Replaces all state with the snapshot's. */
  restore(source: Readable): Promise<void>
}
