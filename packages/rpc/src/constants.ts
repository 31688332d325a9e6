/** The first byte of an RPC connection (Nomad's `pool.RPCType`). */
export const RpcType = {
  /** A single net/rpc msgpack stream. */
  Nomad: 0x01,
  /** Handed to the Raft transport. */
  Raft: 0x02,
  /** yamux; every stream is net/rpc (legacy). */
  Multiplex: 0x03,
  /** TLS handshake, then another first byte. */
  TLS: 0x04,
  /** Streaming RPC: `{Method}` header, `{Error}` ack, then raw bytes. */
  Streaming: 0x05,
  /** yamux; every stream begins with its own byte 0x01 or 0x05. */
  MultiplexV2: 0x06,
} as const
export type RpcType = (typeof RpcType)[keyof typeof RpcType]

/** Time a connection has for its first byte and for its TLS handshake (`RPCHandshakeTimeout`). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000
/** Connections per client IP (`rpc_max_conns_per_client`); 0 disables the limit. */
export const DEFAULT_MAX_CONNS_PER_CLIENT = 100
/** The smallest non-zero per-IP limit Nomad accepts. */
export const MIN_MAX_CONNS_PER_CLIENT = 26
/** Connections per IP kept for non-streaming use (`LimitsNonStreamingConnsPerClient`). */
export const NON_STREAMING_CONNS_PER_CLIENT = 20

/** Accept-error backoff: first delay, cap for temporary errors, cap for others. */
export const ACCEPT_BACKOFF_BASE_MS = 5
export const ACCEPT_BACKOFF_MAX_TEMPORARY_MS = 1_000
export const ACCEPT_BACKOFF_MAX_MS = 5_000

/** Connection pool: idle sessions are closed after this (servers: 2 min). */
export const DEFAULT_POOL_MAX_TIME_MS = 2 * 60_000
/** Connection pool: streams kept for reuse per session (servers: 64). */
export const DEFAULT_POOL_MAX_STREAMS = 64
/** How often the pool looks for idle sessions. */
export const POOL_REAP_INTERVAL_MS = 1_000
/** Dial timeout of the pool. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000

/** Largest single msgpack message (header or body) read from the network. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
