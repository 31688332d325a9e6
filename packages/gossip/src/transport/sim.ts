import type { Clock, Random } from '@nomadic/runtime'
import { UnreachableError } from '../errors.js'
import type { Stream, Transport, TransportHandlers } from './transport.js'

/** Options of the simulated network. */
export interface SimNetworkOptions {
  clock: Clock
  random: Random
  /** One-way delay of a packet or stream chunk, uniform in [min, max] ms (default 1..5). */
  minDelay?: number
  maxDelay?: number
  /** Probability that a datagram is lost (default 0). Streams are reliable. */
  dropRate?: number
}

/** Bytes and packets that crossed the simulated network. */
export interface SimNetworkStats {
  packetsSent: number
  packetsDropped: number
  packetBytes: number
  streamBytes: number
}

class SimStream implements Stream {
  peer: SimStream | undefined
  private readonly chunks: Buffer[] = []
  private waiting: ((b: Buffer | null) => void) | undefined
  private closed = false
  private lastDelivery = 0

  constructor(private readonly net: SimNetwork, readonly local: string, readonly remote: string) {}

  write(data: Buffer): void {
    const peer = this.peer
    if (this.closed || peer === undefined) return
    this.net.stats.streamBytes += data.length
    if (!this.net.canReach(this.local, this.remote)) return
    // Chunks on one stream arrive in order.
    const at = Math.max(this.lastDelivery, this.net.clock.now() + this.net.delay())
    this.lastDelivery = at
    const copy = Buffer.from(data)
    this.net.clock.setTimeout(() => peer.deliver(copy), at - this.net.clock.now())
  }

  deliver(data: Buffer | null): void {
    if (this.closed) return
    if (data === null) this.closed = true
    const w = this.waiting
    if (w !== undefined) {
      this.waiting = undefined
      w(data)
    } else if (data !== null) this.chunks.push(data)
  }

  read(): Promise<Buffer | null> {
    const c = this.chunks.shift()
    if (c !== undefined) return Promise.resolve(c)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve) => { this.waiting = resolve })
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const w = this.waiting
    this.waiting = undefined
    w?.(null)
    const peer = this.peer
    if (peer !== undefined) {
      const at = Math.max(this.lastDelivery, this.net.clock.now() + this.net.delay())
      this.net.clock.setTimeout(() => peer.deliver(null), at - this.net.clock.now())
    }
  }
}

/** One node's attachment to the {@link SimNetwork}. */
export class SimTransport implements Transport {
  handlers: TransportHandlers | undefined

  constructor(private readonly net: SimNetwork, readonly address: string) {}

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers
    this.net.attach(this)
  }

  advertiseAddress(): { ip: string; port: number } {
    const idx = this.address.lastIndexOf(':')
    return { ip: this.address.slice(0, idx), port: Number(this.address.slice(idx + 1)) }
  }

  sendPacket(buf: Buffer, to: string): void {
    this.net.sendPacket(this.address, to, buf)
  }

  dial(to: string, timeoutMs: number): Promise<Stream> {
    return this.net.dial(this.address, to, timeoutMs)
  }

  async stop(): Promise<void> {
    this.net.detach(this)
    this.handlers = undefined
  }
}

/**
 * A deterministic network in simulated time: datagrams are delayed, dropped at random, blocked
 * by partitions and one-way loss; streams are reliable but blocked by partitions. Everything
 * runs off the injected clock and random source, so one seed replays one run.
 */
export class SimNetwork {
  readonly clock: Clock
  readonly stats: SimNetworkStats = { packetsSent: 0, packetsDropped: 0, packetBytes: 0, streamBytes: 0 }
  private readonly random: Random
  private readonly nodes = new Map<string, SimTransport>()
  private readonly groupOf = new Map<string, number>()
  private readonly oneWay = new Map<string, number>()
  minDelay: number
  maxDelay: number
  dropRate: number

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock
    this.random = options.random
    this.minDelay = options.minDelay ?? 1
    this.maxDelay = options.maxDelay ?? 5
    this.dropRate = options.dropRate ?? 0
  }

  /** A transport reachable at `address` ("ip:port"). */
  transport(address: string): SimTransport {
    return new SimTransport(this, address)
  }

  /** Splits the network: addresses in different groups cannot reach each other. */
  partition(...groups: string[][]): void {
    this.groupOf.clear()
    groups.forEach((g, i) => { for (const a of g) this.groupOf.set(a, i + 1) })
  }

  /** Removes every partition and one-way loss. */
  heal(): void {
    this.groupOf.clear()
    this.oneWay.clear()
  }

  /** Drops datagrams from `from` to `to` with probability `rate` (1 = all); streams too when 1. */
  setOneWayLoss(from: string, to: string, rate: number): void {
    this.oneWay.set(`${from}>${to}`, rate)
  }

  /** True when packets from `from` can reach `to` at all. */
  canReach(from: string, to: string): boolean {
    const a = this.groupOf.get(from) ?? 0
    const b = this.groupOf.get(to) ?? 0
    if (a !== b) return false
    return (this.oneWay.get(`${from}>${to}`) ?? 0) < 1
  }

  delay(): number {
    return this.minDelay + this.random.next() * (this.maxDelay - this.minDelay)
  }

  attach(t: SimTransport): void {
    this.nodes.set(t.address, t)
  }

  detach(t: SimTransport): void {
    if (this.nodes.get(t.address) === t) this.nodes.delete(t.address)
  }

  sendPacket(from: string, to: string, buf: Buffer): void {
    this.stats.packetsSent++
    this.stats.packetBytes += buf.length
    const loss = this.oneWay.get(`${from}>${to}`) ?? 0
    if (!this.canReach(from, to) || this.random.next() < this.dropRate || (loss > 0 && this.random.next() < loss)) {
      this.stats.packetsDropped++
      return
    }
    const copy = Buffer.from(buf)
    this.clock.setTimeout(() => {
      const target = this.nodes.get(to)
      target?.handlers?.packet(copy, from)
    }, this.delay())
  }

  dial(from: string, to: string, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => {
      if (!this.canReach(from, to) || !this.canReach(to, from)) {
        this.clock.setTimeout(() => reject(new UnreachableError(`dial ${to}: i/o timeout`)), timeoutMs)
        return
      }
      this.clock.setTimeout(() => {
        const target = this.nodes.get(to)
        if (target?.handlers === undefined) {
          reject(new UnreachableError(`dial ${to}: connection refused`))
          return
        }
        const mine = new SimStream(this, from, to)
        const theirs = new SimStream(this, to, from)
        mine.peer = theirs
        theirs.peer = mine
        target.handlers.stream(theirs)
        resolve(mine)
      }, this.delay())
    })
  }
}
