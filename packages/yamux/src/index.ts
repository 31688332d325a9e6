export { Session } from './session.js'
export type { SessionOptions, SessionEvents } from './session.js'
export { YamuxStream } from './stream.js'
export type { StreamState } from './stream.js'
export { YamuxError, yamuxMessages } from './errors.js'
export type { YamuxErrorCode } from './errors.js'
export { encodeHeader, readHeader, writeHeader } from './header.js'
export type { FrameHeader } from './header.js'
export {
  PROTOCOL_VERSION,
  FrameType,
  Flag,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  DEFAULT_ACCEPT_BACKLOG,
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_CONNECTION_WRITE_TIMEOUT_MS,
  DEFAULT_STREAM_OPEN_TIMEOUT_MS,
  DEFAULT_STREAM_CLOSE_TIMEOUT_MS,
} from './constants.js'
