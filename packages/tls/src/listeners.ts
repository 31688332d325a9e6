import type { EventEmitter } from 'node:events'

// Event arguments differ per event; EventEmitter itself types listeners this way.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void

/**
 * Attaches one-shot listeners (and an abort handler) for a handshake and returns the function
 * that removes them all, so whichever outcome comes first silences the others.
 */
export function listenOnce(
  subscriptions: ReadonlyArray<readonly [EventEmitter, string, Listener]>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): () => void {
  for (const [emitter, event, listener] of subscriptions) emitter.once(event, listener)
  signal?.addEventListener('abort', onAbort, { once: true })
  return () => {
    for (const [emitter, event, listener] of subscriptions) emitter.off(event, listener)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** Swallows errors a socket may still emit after the handshake gave up on it. */
export function ignoreErrors(socket: EventEmitter): void {
  socket.on('error', () => undefined)
}
