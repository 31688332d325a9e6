import { ACCEPT_BACKOFF_BASE_MS, ACCEPT_BACKOFF_MAX_MS, ACCEPT_BACKOFF_MAX_TEMPORARY_MS } from './constants.js'

// The errno codes Go's net.Error reports as Temporary() on accept.
const TEMPORARY = new Set(['EMFILE', 'ENFILE', 'ECONNABORTED', 'ECONNRESET', 'EAGAIN', 'EWOULDBLOCK', 'EINTR', 'ETIMEDOUT', 'ENOBUFS', 'ENOMEM'])

/** True for accept errors that are expected to pass (out of file descriptors, an aborted handshake). */
export function isTemporaryAcceptError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && TEMPORARY.has(code)
}

/**
 * Nomad's accept-loop backoff (`handleAcceptErr`): 5 ms after the first failure, doubling, at
 * most 1 s while errors are temporary and 5 s otherwise; a successful accept resets it.
 */
export class AcceptBackoff {
  private delay = 0

  /** The delay to wait after `error`. */
  next(error: unknown): number {
    this.delay = this.delay === 0 ? ACCEPT_BACKOFF_BASE_MS : this.delay * 2
    const cap = isTemporaryAcceptError(error) ? ACCEPT_BACKOFF_MAX_TEMPORARY_MS : ACCEPT_BACKOFF_MAX_MS
    if (this.delay > cap) this.delay = cap
    return this.delay
  }

  /** After a successful accept. */
  reset(): void {
    this.delay = 0
  }
}
