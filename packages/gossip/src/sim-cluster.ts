import { SeededRandom, SimClock } from '@nomadic/runtime'
import type { MemberlistConfig, Profile } from './config.js'
import { Memberlist, type MemberlistOptions } from './memberlist.js'
import { Serf, type SerfOptions } from './serf/serf.js'
import { SimNetwork } from './transport/sim.js'

/** Address of simulated node `i`: 10.x.y.z:7946. */
export function simAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`
}

interface Joinable {
  readonly name: string
  join(addresses: readonly string[]): Promise<number>
  shutdown(): Promise<void>
}

/** Network options shared by the simulated clusters. */
export interface SimNetOptions {
  seed: number
  /** Datagram loss rate (default 0). */
  dropRate?: number
  minDelay?: number
  maxDelay?: number
}

/** One clock, one network, one seed: a simulated cluster of anything that joins. */
abstract class SimHarness<T extends Joinable> {
  readonly clock = new SimClock(1_000_000)
  readonly random: SeededRandom
  readonly net: SimNetwork
  readonly nodes: T[] = []
  readonly addresses: string[] = []

  constructor(options: SimNetOptions) {
    this.random = new SeededRandom(options.seed)
    this.net = new SimNetwork({
      clock: this.clock, random: this.random.fork(), dropRate: options.dropRate ?? 0,
      minDelay: options.minDelay, maxDelay: options.maxDelay,
    })
  }

  protected abstract create(i: number, address: string): T
  protected abstract begin(node: T): Promise<void>

  /** Starts node `i` (name `node-i`) without joining. */
  async add(i = this.nodes.length): Promise<T> {
    const address = simAddress(i + 1)
    const node = this.create(i, address)
    const started = this.begin(node)
    await this.run(10)
    await started
    this.nodes[i] = node
    this.addresses[i] = address
    return node
  }

  /** Starts `n` nodes, each joining node 0, then lets `settleMs` of simulated time pass. */
  async startAll(n: number, settleMs = 0): Promise<void> {
    for (let i = 0; i < n; i++) {
      const node = await this.add(i)
      if (i > 0) {
        const joined = node.join([this.addresses[0]!])
        await this.run(50)
        await joined
      }
    }
    if (settleMs > 0) await this.run(settleMs)
  }

  /** Advances simulated time, running every timer and promise continuation on the way. */
  async run(ms: number): Promise<void> {
    await this.clock.advanceAsync(ms)
  }

  async shutdown(): Promise<void> {
    for (const n of this.nodes) await n?.shutdown()
  }
}

/** Options of {@link SimCluster}. */
export interface SimClusterOptions extends SimNetOptions {
  profile?: Profile
  config?: Partial<MemberlistConfig>
  /** Extra options for every node (delegates…). */
  nodeOptions?: (index: number) => Partial<MemberlistOptions>
}

/**
 * Many member lists on one {@link SimNetwork} and one {@link SimClock}, all randomness from
 * one seed: a run replays exactly.
 */
export class SimCluster extends SimHarness<Memberlist> {
  constructor(private readonly options: SimClusterOptions) {
    super(options)
  }

  protected create(i: number, address: string): Memberlist {
    return new Memberlist({
      name: `node-${i}`, transport: this.net.transport(address), profile: this.options.profile ?? 'lan',
      config: this.options.config, clock: this.clock, random: this.random.fork(), ...this.options.nodeOptions?.(i),
    })
  }

  protected begin(node: Memberlist): Promise<void> {
    return node.start()
  }

  /** Names each running node sees as alive or suspect. */
  views(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const n of this.nodes) {
      if (n === undefined || n.isShutdown) continue
      out.set(n.name, n.members().map((m) => m.name).sort())
    }
    return out
  }
}

/** Serf agents on one simulated network, like {@link SimCluster}. */
export class SimSerfCluster extends SimHarness<Serf> {
  constructor(private readonly options: SimNetOptions & { serf?: (i: number) => Partial<SerfOptions> }) {
    super(options)
  }

  protected create(i: number, address: string): Serf {
    return new Serf({
      name: `node-${i}`, transport: this.net.transport(address), clock: this.clock, random: this.random.fork(),
      ...this.options.serf?.(i),
    })
  }

  protected begin(node: Serf): Promise<void> {
    return node.start()
  }
}
