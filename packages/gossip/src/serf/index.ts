/**
 * The serf layer: membership with tags, Lamport-ordered intents, user events, queries, the
 * keyring queries, snapshots and reaping, on top of the memberlist layer. Wire-compatible
 * with hashicorp/serf 0.9.4.
 */
export { Serf, Query, QueryResponse, serfDefaults, USER_EVENT_SANE_LIMIT } from './serf.js'
export type { SerfOptions, SerfEvent, Member, MemberStatus, QueryParams } from './serf.js'
export { LamportClock } from './lamport.js'
export { SerfMessageType } from './messages.js'
export type { WireMember } from './messages.js'
export * as serfWire from './messages.js'
export { MEMBER_STATUS_CODE } from './member-status.js'
export { Snapshotter, MIN_COMPACT_SIZE } from './snapshot.js'
export type { SnapshotState } from './snapshot.js'
export { KeyManager } from './key-manager.js'
export type { KeyResponse } from './key-manager.js'
export { CoalesceStage, MemberEventCoalescer, UserEventCoalescer } from './coalesce.js'
export type { Coalescer } from './coalesce.js'
export { INTERNAL_QUERY_PREFIX, internalQueryName } from './internal-query.js'
export type { ConflictVote } from './conflict.js'
