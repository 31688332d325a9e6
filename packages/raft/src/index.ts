/**
 * @nomadic/raft: Raft consensus compatible with hashicorp/raft 1.1.2.
 *
 * The in-memory parts serve tests and dev mode; the WAL, the file snapshot store and the
 * NetworkTransport are the production parts.
 */
export * from './types.js'
export * from './errors.js'
export * from './configuration-codec.js'
export {
  checkConfiguration, cloneConfiguration, hasVote, nextConfiguration, quorumSize, voters,
} from './configuration.js'
export type { ConfigurationChange, ConfigurationChangeCommand } from './configuration.js'
export { DEFAULTS, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, resolveOptions } from './options.js'
export type { RaftOptions, ResolvedOptions } from './options.js'
export { Raft, bootstrapCluster, recoverCluster, hasExistingState } from './raft.js'
export type {
  RaftState, RaftComponents, ApplyOptions, ApplyResult, LeaderInfo, Observation, ObservationData, Observer,
  RaftEvents, IndexedConfiguration, SnapshotResult,
} from './raft.js'
export { InmemStore } from './store/inmem.js'
export { InmemSnapshotStore, DiscardSnapshotStore } from './snapshot/inmem.js'
export { InmemTransport, isHeartbeat } from './transport/inmem.js'
export type { InmemHooks, InmemMessage, InmemTransportOptions } from './transport/inmem.js'

// Durable storage, the network transport and recovery files (issue 4).
export * from './store/wal.js'
export * from './store/log-cache.js'
export * from './snapshot/file.js'
export * from './transport/net.js'
export * from './transport/tcp.js'
export { readPeersJson, readConfigJson } from './recovery.js'
export { encodeRequest, encodeResponse, encodeMessage, decodeMessage } from './transport/wire.js'
