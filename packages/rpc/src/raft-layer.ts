import type { Duplex } from 'node:stream'
import type { RegionWrapper } from '@nomadic/tls'
import { RpcType } from './constants.js'
import { dialRpc } from './dial.js'
import type { RpcServer } from './server.js'
import type { Clock } from '@nomadic/runtime'

/** Options of {@link RaftLayer}. */
export interface RaftLayerOptions {
  /** The address peers dial to reach this server's RPC port (`host:port`). */
  advertise: string
  /** Outgoing TLS: write 0x04 and handshake towards `server.<region>.nomad` before 0x02. */
  tlsWrap?: RegionWrapper
  /** Our region (the TLS server name of the peers we dial). Default `global`. */
  region?: string
  clock?: Clock
}

/**
 * Nomad's `RaftLayer` (`nomad/raft_rpc.go`): Raft shares the RPC port. Incoming connections
 * that start with byte 0x02 (over TLS only from server certificates) go to the transport;
 * outgoing ones dial the peer's RPC port, optionally upgrade with 0x04 and TLS, and write 0x02.
 * It has the shape of `@nomadic/raft`'s `StreamLayer`, so `NetworkTransport` can run on it.
 *
 * @example
 * const layer = new RaftLayer(rpcServer, { advertise: '10.0.0.1:4647' })
 * const transport = new NetworkTransport({ stream: layer, ... })
 */
export class RaftLayer {
  private closed = false
  private readonly open = new Set<Duplex>()

  constructor(
    private readonly server: RpcServer,
    private readonly options: RaftLayerOptions,
  ) {}

  /** The address peers dial. */
  addr(): string {
    return this.options.advertise
  }

  /** Connects to a peer's RPC port and switches it to Raft. */
  async dial(address: string, timeoutMs: number, signal?: AbortSignal): Promise<Duplex> {
    if (this.closed) throw new Error('raft layer closed')
    const { conn, socket } = await dialRpc(address, {
      tlsWrap: this.options.tlsWrap,
      region: this.options.region ?? 'global',
      timeoutMs,
      signal,
      clock: this.options.clock,
    })
    conn.write(Buffer.from([RpcType.Raft]))
    this.open.add(socket)
    socket.once('close', () => this.open.delete(socket))
    return conn
  }

  /** Hands every incoming 0x02 connection to `onConnection` from now on. */
  accept(onConnection: (connection: Duplex) => void): void {
    this.server.setRaftHandler((conn) => {
      if (this.closed) conn.destroy()
      else onConnection(conn)
    })
  }

  /** Stops accepting (0x02 connections are closed from now on) and closes what this layer dialed. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.server.setRaftHandler(undefined)
    for (const socket of this.open) socket.destroy()
  }
}
