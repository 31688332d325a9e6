/** memberlist message type bytes (memberlist 0.2.2 `messageType`, an iota). */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ackResp: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nackResp: 11,
  hasCrc: 12,
  err: 13,
  /** Label header of memberlist ≥ 0.3.0: parsed and stripped on receive, never sent. */
  hasLabel: 244,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** Node states as they travel in push-pull (`NodeStateType`). */
export const NodeStateType = { alive: 0, suspect: 1, dead: 2, left: 3 } as const
export type NodeStateType = (typeof NodeStateType)[keyof typeof NodeStateType]

/** Names of the states, indexed by {@link NodeStateType}. */
export const nodeStateNames = ['alive', 'suspect', 'dead', 'left'] as const

/** Memberlist protocol versions spoken: [min, max, current]. Current 2 is what 0.2.2 sends. */
export const PROTOCOL_VERSION_MIN = 1
export const PROTOCOL_VERSION_MAX = 5
export const PROTOCOL_VERSION_DEFAULT = 2

/** Largest node metadata (`MetaMaxSize`). */
export const META_MAX_SIZE = 512
/** 2 bytes of compound framing per part and per compound header. */
export const COMPOUND_HEADER_OVERHEAD = 2
export const COMPOUND_OVERHEAD = 2
/** The type byte prepended to a delegate broadcast. */
export const USER_MSG_OVERHEAD = 1
/** Concurrent inbound push-pulls accepted (`maxPushPullRequests`). */
export const MAX_PUSH_PULL_REQUESTS = 128
/** Largest encrypted or plain stream accepted (`maxPushStateBytes`). */
export const MAX_STREAM_BYTES = 20 * 1024 * 1024
/** Largest decompressed payload accepted (memberlist#363). */
export const MAX_DECOMPRESSED_BYTES = 40 * 1024 * 1024
/** Largest UDP packet read. */
export const MAX_PACKET_BYTES = 65536
/** Largest node count in a push-pull header (memberlist#357). */
export const MAX_PUSH_PULL_NODES = 1024 * 1024
