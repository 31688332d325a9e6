/** A reliable, ordered byte stream to one peer (a TCP connection, or its simulation). */
export interface Stream {
  /** The peer's "ip:port". */
  readonly remote: string
  write(data: Buffer): void
  /** The next chunk of bytes, or null once the peer closed its side. */
  read(): Promise<Buffer | null>
  /** Closes both directions; pending and later reads return null. Idempotent. */
  close(): void
}

/** What a transport delivers to memberlist. */
export interface TransportHandlers {
  /** A datagram arrived from `from` ("ip:port") at time `at` (ms, transport clock). */
  packet(buf: Buffer, from: string): void
  /** A peer opened a stream. */
  stream(stream: Stream): void
}

/**
 * How memberlist reaches its peers: packets (UDP) and streams (TCP) on one address. Implement
 * it to run memberlist over something else; {@link NetTransport} and the simulated network
 * (`@nomadic/gossip/testing`) are the two shipped.
 */
export interface Transport {
  /** Starts receiving; resolves once bound. */
  start(handlers: TransportHandlers): Promise<void>
  /** The address peers reach us at, known after `start`. */
  advertiseAddress(): { ip: string; port: number }
  /** Best-effort datagram to "ip:port". */
  sendPacket(buf: Buffer, to: string): void
  /** Opens a stream to "ip:port"; rejects when unreachable or after `timeoutMs`. */
  dial(to: string, timeoutMs: number): Promise<Stream>
  /** Stops receiving and releases every socket. Idempotent. */
  stop(): Promise<void>
}

/** Splits "ip:port" (IPv6 in brackets). */
export function splitHostPort(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':')
  if (idx < 0) throw new Error(`address ${address} has no port`)
  let host = address.slice(0, idx)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  const port = Number(address.slice(idx + 1))
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`address ${address} has a bad port`)
  return { host, port }
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
