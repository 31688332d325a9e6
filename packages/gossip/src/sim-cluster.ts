import { SeededRandom, SimClock } from '@nomadic/runtime'
import type { MemberlistConfig, Profile } from './config.js'
import { Memberlist, type MemberlistOptions } from './memberlist.js'
import { SimNetwork } from './transport/sim.js'
import { Serf, type SerfOptions } from './serf/serf.js'

/** Options of {@link SimCluster}. */
export interface SimClusterOptions {
  seed: number
  profile?: Profile
  config?: Partial<MemberlistConfig>
  /** Datagram loss rate (default 0). */
  dropRate?: number
  minDelay?: number
  maxDelay?: number
  /** Extra options for every node (delegates…). */
  nodeOptions?: (index: number) => Partial<MemberlistOptions>
}

/** Address of simulated node `i`: 10.0.x.y:7946. */
export function simAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`
}

/**
 * Many member lists on one {@link SimNetwork} and one {@link SimClock}, all randomness from
 * one seed: a run replays exactly.
 */
export class SimCluster {
  readonly clock = new SimClock(1_000_000)
  readonly random: SeededRandom
  readonly net: SimNetwork
  readonly nodes: Memberlist[] = []
  readonly addresses: string[] = []

  constructor(private readonly options: SimClusterOptions) {
    this.random = new SeededRandom(options.seed)
    this.net = new SimNetwork({
      clock: this.clock, random: this.random.fork(), dropRate: options.dropRate ?? 0,
      minDelay: options.minDelay, maxDelay: options.maxDelay,
    })
  }

  /** Starts node `i` (name `node-i`) without joining. */
  async add(i = this.nodes.length): Promise<Memberlist> {
    const address = simAddress(i + 1)
    const ml = new Memberlist({
      name: `node-${i}`,
      transport: this.net.transport(address),
      profile: this.options.profile ?? 'lan',
      config: this.options.config,
      clock: this.clock,
      random: this.random.fork(),
      ...this.options.nodeOptions?.(i),
    })
    await ml.start()
    this.nodes[i] = ml
    this.addresses[i] = address
    return ml
  }

  /** Starts `n` nodes, each joining node 0, and lets `settleMs` of simulated time pass. */
  async startAll(n: number, settleMs = 0): Promise<void> {
    for (let i = 0; i < n; i++) {
      const ml = await this.add(i)
      if (i > 0) {
        const joined = ml.join([this.addresses[0]!])
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

  /** Names each running node sees as alive or suspect. */
  views(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const n of this.nodes) {
      if (n === undefined || n.isShutdown) continue
      out.set(n.name, n.members().map((m) => m.name).sort())
    }
    return out
  }

  async shutdown(): Promise<void> {
    for (const n of this.nodes) await n?.shutdown()
  }
}

/** Serf agents on one simulated network, like {@link SimCluster}. */
export class SimSerfCluster {
  readonly clock = new SimClock(1_000_000)
  readonly random: SeededRandom
  readonly net: SimNetwork
  readonly nodes: Serf[] = []
  readonly addresses: string[] = []

  constructor(private readonly options: { seed: number; dropRate?: number; serf?: (i: number) => Partial<SerfOptions> }) {
    this.random = new SeededRandom(options.seed)
    this.net = new SimNetwork({ clock: this.clock, random: this.random.fork(), dropRate: options.dropRate ?? 0 })
  }

  async add(i = this.nodes.length): Promise<Serf> {
    const address = simAddress(i + 1)
    const s = new Serf({
      name: `node-${i}`, transport: this.net.transport(address), clock: this.clock, random: this.random.fork(),
      ...this.options.serf?.(i),
    })
    const started = s.start()
    await this.run(10)
    await started
    this.nodes[i] = s
    this.addresses[i] = address
    return s
  }

  async startAll(n: number, settleMs = 0): Promise<void> {
    for (let i = 0; i < n; i++) {
      const s = await this.add(i)
      if (i > 0) {
        const joined = s.join([this.addresses[0]!])
        await this.run(50)
        await joined
      }
    }
    if (settleMs > 0) await this.run(settleMs)
  }

  async run(ms: number): Promise<void> {
    await this.clock.advanceAsync(ms)
  }

  async shutdown(): Promise<void> {
    for (const n of this.nodes) await n?.shutdown()
  }
}
