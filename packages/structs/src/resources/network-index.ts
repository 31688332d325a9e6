import { NetworkAssignError } from '../errors.js'
import { allocTerminal } from '../status.js'
import type { Allocation } from '../types/allocation.js'
import { MaxDynamicPort, MaxRandPortAttempts, MaxValidPort, MinDynamicPort } from '../types/constants.js'
import type { Node } from '../types/node.js'
import type { NetworkResource, Port } from '../types/resources.js'
import { parsePortRanges } from './port-spec.js'

/** The randomness the index needs; `@nomadic/runtime`'s `Random` fits. */
export interface PortRandom {
  /** An integer in [0, n). */
  int(n: number): number
}

/**
 * A set of ports. A node uses a few dozen ports at most, so a hash set is far cheaper to build
 * for every candidate node than a 65,536-bit map (which cost 8 KiB of zeroed memory each).
 * Copies share what both had at the time (a frozen layer below each) and keep their own
 * additions, so copying an index per candidate node does not copy its ports.
 */
class PortSet {
  private own = new Set<number>()
  private below: PortSet | undefined
  private depth = 0
  private count = 0
  has(port: number): boolean {
    if (this.own.has(port)) return true
    for (let layer = this.below; layer !== undefined; layer = layer.below) if (layer.own.has(port)) return true
    return false
  }
  add(port: number): void {
    this.tryAdd(port)
  }
  /** Adds the port unless it is there already; whether it was added. */
  tryAdd(port: number): boolean {
    if (this.has(port)) return false
    this.own.add(port)
    this.count++
    return true
  }
  get size(): number {
    return this.count
  }
  /** How many ports in [from, to] are in the set. */
  countBetween(from: number, to: number): number {
    let n = 0
    for (let layer: PortSet | undefined = this; layer !== undefined; layer = layer.below) {
      for (const p of layer.own) if (p >= from && p <= to) n++
    }
    return n
  }
  copy(): PortSet {
    // Deep chains make lookups slow: past a few layers, start again from one flat set.
    if (this.depth >= maxPortLayers) this.flatten()
    if (this.own.size > 0) {
      const frozen = new PortSet()
      frozen.own = this.own
      frozen.below = this.below
      frozen.depth = this.depth
      frozen.count = this.count
      this.own = new Set()
      this.below = frozen
      this.depth++
    }
    const c = new PortSet()
    c.below = this.below
    c.depth = this.depth
    c.count = this.count
    return c
  }
  private flatten(): void {
    const all = new Set<number>()
    for (let layer: PortSet | undefined = this; layer !== undefined; layer = layer.below) for (const p of layer.own) all.add(p)
    this.own = all
    this.below = undefined
    this.depth = 0
  }
}

const maxPortLayers = 6

/**
 * Nomad's `NetworkIndex`: the networks of one node, the ports used on each of its IPs and the
 * bandwidth used on each device. Used by `allocsFit` (port collisions, bandwidth) and by the
 * scheduler to assign dynamic ports.
 *
 * @example
 * const idx = new NetworkIndex()
 * idx.setNode(node)
 * idx.addAllocs(allocsOnNode)
 * const offer = idx.assignNetwork({ ...ask }, random) // throws NetworkAssignError
 * idx.addReserved(offer)
 */
export class NetworkIndex {
  /** Networks with a device, in the node's order. */
  readonly availNetworks: NetworkResource[] = []
  /** Bandwidth (MBits) per device. */
  readonly availBandwidth = new Map<string, number>()
  /** Bandwidth used per device. */
  readonly usedBandwidth = new Map<string, number>()
  private readonly usedPorts = new Map<string, PortSet>()
  /** The addresses of each of `availNetworks`, looked up once per node rather than per check. */
  private readonly availIps: string[][] = []

  /**
   * Nomad's `SetNode`: learns the node's networks and marks its reserved host ports used.
   * Returns true on a collision among the reserved ports.
   */
  setNode(node: Pick<Node, 'NodeResources' | 'Resources' | 'ReservedResources' | 'Reserved'>): boolean {
    const networks = node.NodeResources != null ? node.NodeResources.Networks : node.Resources?.Networks
    for (const n of networks ?? []) {
      if (n.Device === '') continue
      this.availNetworks.push(n)
      this.availIps.push(ipsOf(n))
      this.availBandwidth.set(n.Device, n.MBits)
    }
    let collide = false
    const spec = node.ReservedResources?.Networks.ReservedHostPorts ?? ''
    if (spec !== '') collide = this.addReservedPortRange(spec)
    for (const n of node.Reserved?.Networks ?? []) if (this.addReserved(n)) collide = true
    return collide
  }

  /**
   * Nomad's `AddReservedPortRange`: marks a port spec used on every IP of the node's networks.
   * As in Go a malformed spec is ignored here (the client validates it); true on a collision.
   */
  addReservedPortRange(spec: string): boolean {
    const ports = parsedSpec(spec)
    if (ports === undefined) return false
    // One bitmap per address the node's networks offer; a small CIDR counts as its addresses.
    for (let i = 0; i < this.availNetworks.length; i++) {
      const n = this.availNetworks[i]!
      this.portsFor(n.IP)
      if (smallCidr(n)) for (const ip of this.availIps[i]!) this.portsFor(ip)
    }
    let collide = false
    for (const used of this.usedPorts.values()) {
      for (const port of ports) {
        if (used.has(port)) collide = true
        else used.add(port)
      }
    }
    return collide
  }

  /** Nomad's `AddAllocs`: marks the ports and bandwidth of the non-terminal allocations used; true on a collision. */
  addAllocs(allocs: readonly Allocation[]): boolean {
    return eachNetwork(allocs, (n) => this.addReserved(n))
  }

  /**
   * What {@link addAllocs} and then {@link overcommitted} would answer for `allocs`, leaving the
   * index as it is: to check a few allocations against a node's many without copying the index.
   */
  checkAllocs(allocs: readonly Allocation[]): { collide: boolean; overcommitted: boolean } {
    const added = new Map<string, PortSet>()
    const bandwidth = new Map<string, number>()
    const collide = eachNetwork(allocs, (n) => {
      let mine = added.get(n.IP)
      if (mine === undefined) added.set(n.IP, (mine = new PortSet()))
      const used = this.usedPorts.get(n.IP)
      const reserved = markUsed(mine, n.ReservedPorts, used)
      const dynamic = markUsed(mine, n.DynamicPorts, used)
      bandwidth.set(n.Device, (bandwidth.get(n.Device) ?? 0) + n.MBits)
      return reserved || dynamic
    })
    let overcommitted = false
    for (const [device, used] of this.usedBandwidth) {
      if (used + (bandwidth.get(device) ?? 0) > (this.availBandwidth.get(device) ?? 0)) overcommitted = true
    }
    for (const [device, extra] of bandwidth) {
      if (!this.usedBandwidth.has(device) && extra > (this.availBandwidth.get(device) ?? 0)) overcommitted = true
    }
    return { collide, overcommitted }
  }

  /** Nomad's `AddReserved`: marks an assigned network's ports and bandwidth used; true on a collision or an out-of-range port. */
  addReserved(n: NetworkResource): boolean {
    const used = this.portsFor(n.IP)
    const reserved = markUsed(used, n.ReservedPorts)
    const dynamic = markUsed(used, n.DynamicPorts)
    this.usedBandwidth.set(n.Device, (this.usedBandwidth.get(n.Device) ?? 0) + n.MBits)
    return reserved || dynamic
  }

  /** An independent copy: changes to either leave the other as it was. */
  copy(): NetworkIndex {
    const c = new NetworkIndex()
    c.availNetworks.push(...this.availNetworks)
    c.availIps.push(...this.availIps)
    for (const [k, v] of this.availBandwidth) c.availBandwidth.set(k, v)
    for (const [k, v] of this.usedBandwidth) c.usedBandwidth.set(k, v)
    for (const [ip, ports] of this.usedPorts) c.usedPorts.set(ip, ports.copy())
    return c
  }

  /** Nomad's `Overcommitted`: some device uses more bandwidth than it has. */
  overcommitted(): boolean {
    for (const [device, used] of this.usedBandwidth) {
      if (used > (this.availBandwidth.get(device) ?? 0)) return true
    }
    return false
  }

  /**
   * What {@link canAssign} looks at on a node with exactly one address (one network, one IP), as
   * plain numbers a caller can keep; undefined for any other node. See {@link canAssignOnHeadroom}.
   */
  headroom(): NetworkHeadroom | undefined {
    if (this.availNetworks.length !== 1 || this.availIps[0]!.length !== 1) return undefined
    const device = this.availNetworks[0]!.Device
    return {
      bandwidthAvail: this.availBandwidth.get(device) ?? 0,
      bandwidthUsed: this.usedBandwidth.get(device) ?? 0,
      portsUsed: this.usedPorts.get(this.availIps[0]![0]!)?.size ?? 0,
    }
  }

  /** Whether `port` is used on `ip`. */
  portUsed(ip: string, port: number): boolean {
    return this.usedPorts.get(ip)?.has(port) ?? false
  }

  /**
   * Nomad's `AssignNetwork`: an offer for `ask` on the first IP with the bandwidth, free reserved
   * ports and enough free dynamic ports in [20000, 32000]. Dynamic ports are drawn at random
   * (20 attempts each), then by scanning the free ports. The index is not changed: pass the offer
   * to {@link addReserved} once it is used. Throws {@link NetworkAssignError} with Nomad's reason.
   */
  assignNetwork(ask: NetworkResource, random: PortRandom): NetworkResource {
    const found = this.scan(ask, (n, ip, used) => {
      const dynamic = pickStochastic(used, ask, random) ?? pickPrecise(used, ask, random)
      if (dynamic === undefined) return undefined
      const DynamicPorts: Port[] | null | undefined =
        ask.DynamicPorts == null
          ? ask.DynamicPorts
          : ask.DynamicPorts.map((p, i) => ({ ...p, Value: dynamic[i]!, To: p.To === -1 ? dynamic[i]! : p.To }))
      return {
        Mode: ask.Mode,
        Device: n.Device,
        CIDR: '',
        IP: ip,
        MBits: ask.MBits,
        DNS: ask.DNS ?? null,
        ReservedPorts: ask.ReservedPorts == null ? ask.ReservedPorts : ask.ReservedPorts.map((p) => ({ ...p })),
        DynamicPorts,
      }
    })
    if (typeof found === 'string') throw new NetworkAssignError(found)
    return found
  }

  /**
   * Whether {@link assignNetwork} would find an offer for `ask`: the same checks (bandwidth,
   * reserved ports, enough free dynamic ports) without drawing ports or building the offer.
   * Returns undefined when it would, else Nomad's reason. For scoring many candidate nodes and
   * assigning ports on the one chosen.
   */
  canAssign(ask: NetworkResource): string | undefined {
    const need = ask.DynamicPorts?.length ?? 0
    const range = MaxDynamicPort - MinDynamicPort + 1 - (ask.ReservedPorts?.length ?? 0)
    const reserved = ask.ReservedPorts ?? []
    // The same walk as `scan`, written out: this runs for every candidate node.
    let failure: string | undefined = 'no networks available'
    for (let i = 0; i < this.availNetworks.length; i++) {
      const n = this.availNetworks[i]!
      const avail = this.availBandwidth.get(n.Device) ?? 0
      const usedBw = this.usedBandwidth.get(n.Device) ?? 0
      for (const ip of this.availIps[i]!) {
        if (usedBw + ask.MBits > avail) {
          failure = 'bandwidth exceeded'
          continue
        }
        const used = this.usedPorts.get(ip)
        const reservedProblem = reserved.length === 0 ? undefined : checkReserved(reserved, used)
        if (reservedProblem !== undefined) {
          failure = reservedProblem
          continue
        }
        // Counting the used dynamic ports is needed only when the node uses that many ports at all.
        const short = need > 0 && range - (used?.size ?? 0) < need && range - (used?.countBetween(MinDynamicPort, MaxDynamicPort) ?? 0) < need
        if (!short) return undefined
        failure = 'dynamic port selection failed'
      }
    }
    return failure
  }

  // Walks the node's addresses in order; at the first with the bandwidth and the reserved ports
  // free, `dynamic` decides (undefined: not enough dynamic ports here, go on). Returns what it
  // gave, or Nomad's reason for the last address that failed.
  private scan<T>(ask: NetworkResource, dynamic: (n: NetworkResource, ip: string, used: PortSet | undefined) => T | undefined): T | string {
    let failure = 'no networks available'
    for (let i = 0; i < this.availNetworks.length; i++) {
      const n = this.availNetworks[i]!
      for (const ip of this.availIps[i]!) {
        const avail = this.availBandwidth.get(n.Device) ?? 0
        const usedBw = this.usedBandwidth.get(n.Device) ?? 0
        if (usedBw + ask.MBits > avail) {
          failure = 'bandwidth exceeded'
          continue
        }
        const used = this.usedPorts.get(ip)
        const reservedProblem = checkReserved(ask.ReservedPorts ?? [], used)
        if (reservedProblem !== undefined) {
          failure = reservedProblem
          continue
        }
        const found = dynamic(n, ip, used)
        if (found !== undefined) return found
        failure = 'dynamic port selection failed'
      }
    }
    return failure
  }

  private portsFor(ip: string): PortSet {
    let set = this.usedPorts.get(ip)
    if (set === undefined) {
      set = new PortSet()
      this.usedPorts.set(ip, set)
    }
    return set
  }
}

/** A node's single address as {@link NetworkIndex.headroom} describes it. */
export interface NetworkHeadroom {
  /** Bandwidth (MBits) of the address's device, and how much of it is used. */
  bandwidthAvail: number
  bandwidthUsed: number
  /** Ports used on the address. */
  portsUsed: number
}

/**
 * {@link NetworkIndex.canAssign} for a node with one address, from its {@link NetworkHeadroom}:
 * undefined when the ask fits, else Nomad's reason; null when the numbers cannot tell (the ask
 * reserves ports, or the free dynamic ports need counting): then ask the index.
 */
export function canAssignOnHeadroom(h: NetworkHeadroom, ask: NetworkResource): string | undefined | null {
  if ((ask.ReservedPorts?.length ?? 0) > 0) return null
  if (h.bandwidthUsed + ask.MBits > h.bandwidthAvail) return 'bandwidth exceeded'
  const need = ask.DynamicPorts?.length ?? 0
  if (need > 0 && MaxDynamicPort - MinDynamicPort + 1 - h.portsUsed < need) return null
  return undefined
}

/** Parsed reserved-port specs: nodes share a handful, and allocsFit parses one per call. */
const specCache = new Map<string, number[] | undefined>()

function parsedSpec(spec: string): number[] | undefined {
  if (specCache.has(spec)) return specCache.get(spec)
  let ports: number[] | undefined
  try {
    ports = parsePortRanges(spec)
  } catch {
    ports = undefined
  }
  if (specCache.size >= 256) specCache.clear()
  specCache.set(spec, ports)
  return ports
}

// Calls `visit` with every network of the non-terminal allocations, as Nomad's AddAllocs walks
// them; true when any call returned true.
function eachNetwork(allocs: readonly Allocation[], visit: (n: NetworkResource) => boolean): boolean {
  let any = false
  const all = (networks: readonly NetworkResource[] | null | undefined): void => {
    for (const n of networks ?? []) if (visit(n)) any = true
  }
  for (const alloc of allocs) {
    if (allocTerminal(alloc)) continue
    const ar = alloc.AllocatedResources
    if (ar != null) {
      all(ar.Shared.Networks)
      const tasks = ar.Tasks
      if (tasks != null) for (const name in tasks) all(tasks[name]!.Networks)
    } else {
      const tasks = alloc.TaskResources
      if (tasks != null) for (const name in tasks) all(tasks[name]!.Networks)
    }
  }
  return any
}

// Marks `ports` used in `into`; true when one was already used there (or in `also`, which
// stays as it is) or is out of range.
function markUsed(into: PortSet, ports: readonly Port[] | null | undefined, also?: PortSet): boolean {
  if (ports == null) return false
  let collide = false
  for (const port of ports) {
    if (port.Value < 0 || port.Value >= MaxValidPort || also?.has(port.Value) === true || !into.tryAdd(port.Value)) collide = true
  }
  return collide
}

function checkReserved(ports: readonly Port[], used: PortSet | undefined): string | undefined {
  for (const port of ports) {
    if (port.Value < 0 || port.Value >= MaxValidPort) return `invalid port ${port.Value} (out of range)`
    if (used?.has(port.Value)) return `reserved port collision ${port.Label}=${port.Value}`
  }
  return undefined
}

function pickStochastic(used: PortSet | undefined, ask: NetworkResource, random: PortRandom): number[] | undefined {
  const reserved = new Set((ask.ReservedPorts ?? []).map((p) => p.Value))
  const picked: number[] = []
  for (let i = 0; i < (ask.DynamicPorts?.length ?? 0); i++) {
    let port = -1
    for (let attempt = 0; attempt < MaxRandPortAttempts; attempt++) {
      const candidate = MinDynamicPort + random.int(MaxDynamicPort - MinDynamicPort)
      if (used?.has(candidate) || reserved.has(candidate) || picked.includes(candidate)) continue
      port = candidate
      break
    }
    if (port < 0) return undefined
    picked.push(port)
  }
  return picked
}

function pickPrecise(used: PortSet | undefined, ask: NetworkResource, random: PortRandom): number[] | undefined {
  const taken = used?.copy() ?? new PortSet()
  for (const p of ask.ReservedPorts ?? []) taken.add(p.Value)
  const free: number[] = []
  for (let port = MinDynamicPort; port <= MaxDynamicPort; port++) if (!taken.has(port)) free.push(port)
  const need = ask.DynamicPorts?.length ?? 0
  if (free.length < need) return undefined
  for (let i = 0; i < need; i++) {
    const j = i + random.int(free.length - i)
    ;[free[i], free[j]] = [free[j]!, free[i]!]
  }
  return free.slice(0, need)
}

/** A CIDR of at most 256 addresses, whose addresses get their own port bitmaps. */
function smallCidr(n: NetworkResource): boolean {
  const m = /\/(\d+)$/.exec(n.CIDR)
  return m !== null && Number(m[1]) >= 24 && n.CIDR.includes('.')
}

// Nodes' networks are long-lived objects and every fit check walks their addresses: keep them.
const ipCache = new WeakMap<NetworkResource, { cidr: string; ip: string; ips: string[] }>()

/** The IPv4 addresses of a network's CIDR (at most 65536), or its IP when it has no CIDR. */
function ipsOf(n: NetworkResource): string[] {
  const cached = ipCache.get(n)
  if (cached !== undefined && cached.cidr === n.CIDR && cached.ip === n.IP) return cached.ips
  const ips = [...enumerateIps(n)]
  ipCache.set(n, { cidr: n.CIDR, ip: n.IP, ips })
  return ips
}

function* enumerateIps(n: NetworkResource): Generator<string> {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(n.CIDR)
  if (m === null) {
    if (n.IP !== '') yield n.IP
    return
  }
  const bits = Number(m[5])
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0
  const size = bits >= 32 ? 1 : Math.min(2 ** (32 - bits), 65536)
  const start = bits === 0 ? 0 : (base & (0xffffffff << (32 - bits))) >>> 0
  for (let i = 0; i < size; i++) {
    const v = (start + i) >>> 0
    yield `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
  }
}
