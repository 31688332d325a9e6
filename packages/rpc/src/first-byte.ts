import type { Duplex } from 'node:stream'
import type { Clock } from '@nomadic/runtime'
import { releaseFlow } from './codec.js'

/** The outcome of waiting for a connection's first byte. */
export type FirstByte = number | 'closed' | 'timeout'

/**
 * Reads exactly one byte and leaves everything after it in the stream's buffer, so the next
 * reader — a TLS handshake, yamux, Raft — sees the bytes that follow. `timeoutMs` ≤ 0 waits forever.
 */
export function readFirstByte(stream: Duplex, clock: Clock, timeoutMs: number): Promise<FirstByte> {
  return new Promise((resolve) => {
    let done = false
    const finish = (result: FirstByte): void => {
      if (done) return
      done = true
      timer?.cancel()
      stream.off('readable', onReadable)
      stream.off('end', onGone)
      stream.off('close', onGone)
      stream.off('error', onGone)
      releaseFlow(stream)
      resolve(result)
    }
    const onReadable = (): void => {
      const chunk = stream.read(1) as Buffer | null
      if (chunk !== null && chunk.length === 1) finish(chunk[0]!)
    }
    const onGone = (): void => finish('closed')
    const timer = timeoutMs > 0 ? clock.setTimeout(() => finish('timeout'), timeoutMs) : undefined
    stream.on('readable', onReadable)
    stream.once('end', onGone)
    stream.once('close', onGone)
    stream.once('error', onGone)
    onReadable()
  })
}
