/**
 * The stream layer under {@link NetworkTransport}: where connections come from. TCP is the
 * default ({@link TcpStreamLayer}); Nomad puts Raft behind the RPC port's first byte 0x02, so its
 * RPC listener implements this interface itself, handing over sockets it has already read the
 * mode byte from, and writing 0x02 first on the connections it dials.
 */
import type { Duplex } from 'node:stream'
import type { ServerAddress } from '../types.js'

/** A source of raft connections: dials peers and delivers accepted connections. */
export interface StreamLayer {
  /** The address peers dial to reach this server (what `localAddr()` reports). */
  addr(): ServerAddress
  /** Connects to a peer; rejects after `timeoutMs` or when `signal` aborts. */
  dial(address: ServerAddress, timeoutMs: number, signal?: AbortSignal): Promise<Duplex>
  /** Starts delivering accepted connections to `onConnection` (called once, by the transport). */
  accept(onConnection: (connection: Duplex) => void): void
  /** Stops accepting. Idempotent. */
  close(): Promise<void>
}
