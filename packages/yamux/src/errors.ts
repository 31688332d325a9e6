/** Stable codes of {@link YamuxError}. */
export type YamuxErrorCode =
  | 'YAMUX_INVALID_VERSION'
  | 'YAMUX_INVALID_MSG_TYPE'
  | 'YAMUX_SESSION_SHUTDOWN'
  | 'YAMUX_STREAMS_EXHAUSTED'
  | 'YAMUX_DUPLICATE_STREAM'
  | 'YAMUX_INVALID_STREAM_ID'
  | 'YAMUX_RECV_WINDOW_EXCEEDED'
  | 'YAMUX_TIMEOUT'
  | 'YAMUX_STREAM_CLOSED'
  | 'YAMUX_UNEXPECTED_FLAG'
  | 'YAMUX_REMOTE_GO_AWAY'
  | 'YAMUX_CONNECTION_RESET'
  | 'YAMUX_CONNECTION_WRITE_TIMEOUT'
  | 'YAMUX_KEEPALIVE_TIMEOUT'
  | 'YAMUX_STREAM_OPEN_TIMEOUT'
  | 'YAMUX_REMOTE_PROTOCOL_ERROR'
  | 'YAMUX_REMOTE_INTERNAL_ERROR'
  | 'YAMUX_UNEXPECTED_GO_AWAY'
  | 'YAMUX_CONNECTION_CLOSED'

/** The texts of hashicorp/yamux's errors, so logs and string matches read the same. */
export const yamuxMessages: Record<YamuxErrorCode, string> = {
  YAMUX_INVALID_VERSION: 'invalid protocol version',
  YAMUX_INVALID_MSG_TYPE: 'invalid msg type',
  YAMUX_SESSION_SHUTDOWN: 'session shutdown',
  YAMUX_STREAMS_EXHAUSTED: 'streams exhausted',
  YAMUX_DUPLICATE_STREAM: 'duplicate stream initiated',
  YAMUX_INVALID_STREAM_ID: 'invalid stream id',
  YAMUX_RECV_WINDOW_EXCEEDED: 'recv window exceeded',
  YAMUX_TIMEOUT: 'i/o deadline reached',
  YAMUX_STREAM_CLOSED: 'stream closed',
  YAMUX_UNEXPECTED_FLAG: 'unexpected flag',
  YAMUX_REMOTE_GO_AWAY: 'remote end is not accepting connections',
  YAMUX_CONNECTION_RESET: 'connection reset',
  YAMUX_CONNECTION_WRITE_TIMEOUT: 'connection write timeout',
  YAMUX_KEEPALIVE_TIMEOUT: 'keepalive timeout',
  YAMUX_STREAM_OPEN_TIMEOUT: 'stream open timeout',
  YAMUX_REMOTE_PROTOCOL_ERROR: 'yamux protocol error',
  YAMUX_REMOTE_INTERNAL_ERROR: 'remote yamux internal error',
  YAMUX_UNEXPECTED_GO_AWAY: 'unexpected go away received',
  YAMUX_CONNECTION_CLOSED: 'connection closed',
}

/** Every yamux failure; `code` is stable, `message` is the Go library's text. */
export class YamuxError extends Error {
  override readonly name = 'YamuxError'
  constructor(
    readonly code: YamuxErrorCode,
    message: string = yamuxMessages[code],
  ) {
    super(message)
  }
}
