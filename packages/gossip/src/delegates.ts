/** A member as the delegates and events see it. */
export interface Node {
  name: string
  /** IP address text. */
  addr: string
  port: number
  meta: Buffer
  state: 'alive' | 'suspect' | 'dead' | 'left'
  incarnation: number
  /** Memberlist protocol versions: min, max, current. */
  pMin: number
  pMax: number
  pCur: number
  /** Delegate (serf) protocol versions: min, max, current. */
  dMin: number
  dMax: number
  dCur: number
}

/**
 * Hooks for the layer above (serf): node metadata, user messages, broadcasts piggybacked on
 * memberlist's packets, and the opaque state exchanged in push-pull.
 */
export interface Delegate {
  /** Metadata of the local node, at most `limit` bytes. */
  nodeMeta?(limit: number): Buffer
  /** A user message (`[8]…`) arrived by packet or stream. */
  notifyMsg?(msg: Buffer): void
  /** Messages to piggyback, each costing `overhead` more, all within `limit` bytes. */
  getBroadcasts?(overhead: number, limit: number): Buffer[]
  /** State sent in a push-pull. */
  localState?(join: boolean): Buffer
  /** State received in a push-pull. */
  mergeRemoteState?(buf: Buffer, join: boolean): void
}

/** Membership changes, as memberlist's EventDelegate. */
export interface EventDelegate {
  notifyJoin?(node: Node): void
  /** A node died or left (its `state` says which). */
  notifyLeave?(node: Node): void
  notifyUpdate?(node: Node): void
}

/** Two nodes claim one name at different addresses. */
export interface ConflictDelegate {
  notifyConflict(existing: Node, other: Node): void
}

/** Vets each alive message; throw to ignore it (Nomad's merge delegate rejects non-servers). */
export interface AliveDelegate {
  notifyAlive(peer: Node): void
}

/** Vets the remote nodes of a join push-pull; throw to abort the join. */
export interface MergeDelegate {
  notifyMerge(peers: Node[]): void
}

/** Adds a payload to acks and observes round-trip times (serf's coordinates use it). */
export interface PingDelegate {
  ackPayload(): Buffer
  notifyPingComplete(other: Node, rttMs: number, payload: Buffer | null): void
}
