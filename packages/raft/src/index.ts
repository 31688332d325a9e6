/**
 * @nomadic/raft: Raft consensus compatible with hashicorp/raft 1.1.2.
 *
 * Modules of the durable storage and the network transport are exported below as they land.
 */
export * from './types.js'
export * from './errors.js'
export * from './configuration-codec.js'
