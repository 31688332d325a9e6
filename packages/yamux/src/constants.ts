/** The only yamux protocol version. */
export const PROTOCOL_VERSION = 0

/** Frame types (the second header byte). */
export const FrameType = { Data: 0, WindowUpdate: 1, Ping: 2, GoAway: 3 } as const
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

/** Frame flags (a big-endian u16 bit set). */
export const Flag = { SYN: 1, ACK: 2, FIN: 4, RST: 8 } as const

/** Go-away codes (carried in the length field). */
export const GoAwayCode = { Normal: 0, ProtocolError: 1, InternalError: 2 } as const

/** Bytes in a frame header: version, type, flags(2), stream id(4), length(4). */
export const HEADER_SIZE = 12

/** Every stream starts with this receive window (256 KiB). */
export const INITIAL_STREAM_WINDOW = 256 * 1024

/** Streams waiting to be accepted before new ones are reset (and SYNs in flight we allow). */
export const DEFAULT_ACCEPT_BACKLOG = 256
/** How often a keepalive ping goes out. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 30_000
/** How long a write may stay stuck, or a ping unanswered, before the session is dropped. */
export const DEFAULT_CONNECTION_WRITE_TIMEOUT_MS = 10_000
/** How long an opened stream may wait for its ACK before the session is dropped. */
export const DEFAULT_STREAM_OPEN_TIMEOUT_MS = 75_000
/** How long a half-closed stream waits for the peer's FIN before it is reset. */
export const DEFAULT_STREAM_CLOSE_TIMEOUT_MS = 5 * 60_000

/** Stream IDs stop before this (Go: math.MaxUint32 - 1). */
export const MAX_STREAM_ID = 0xffffffff - 1
