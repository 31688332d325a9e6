import { allocTerminal } from '../status.js'
import type { Allocation } from '../types/allocation.js'
import { TaskLifecycleHookPrestart } from '../types/constants.js'
import type { Node } from '../types/node.js'
import type { AllocatedDeviceResource, AllocatedTaskResources, NetworkResource, Resources } from '../types/resources.js'

/**
 * Resources flattened across the tasks of a group (Nomad's `ComparableResources`): cpu, memory
 * and networks summed into `Flattened`, disk and group networks in `Shared`.
 */
export interface ComparableResources {
  Flattened: AllocatedTaskResources
  Shared: { DiskMB: number; Networks?: NetworkResource[] | null }
}

/** All-zero comparable resources. */
export function emptyComparable(): ComparableResources {
  return { Flattened: emptyTaskResources(), Shared: { DiskMB: 0, Networks: null } }
}

function emptyTaskResources(): AllocatedTaskResources {
  return { Cpu: { CpuShares: 0 }, Memory: { MemoryMB: 0 }, Networks: null, Devices: null }
}

function copyNetwork(n: NetworkResource): NetworkResource {
  return {
    ...n,
    ReservedPorts: n.ReservedPorts == null ? null : n.ReservedPorts.map((p) => ({ ...p })),
    DynamicPorts: n.DynamicPorts == null ? null : n.DynamicPorts.map((p) => ({ ...p })),
  }
}

/**
 * Adds a network to a list, merging it into the network of the same device (Nomad's `NetIndex`
 * by Device). Networks in `list` are always copies, so their port arrays are ours to extend.
 */
function addNetwork(list: NetworkResource[], n: NetworkResource): void {
  const same = list.find((x) => x.Device === n.Device)
  if (same === undefined) {
    list.push(copyNetwork(n))
    return
  }
  if (n.ReservedPorts?.length) {
    const ports = (same.ReservedPorts ??= [])
    for (const p of n.ReservedPorts) ports.push({ ...p })
  }
  same.MBits += n.MBits
  const dyn = (same.DynamicPorts ??= [])
  for (const p of n.DynamicPorts ?? []) dyn.push({ ...p })
}

function addDevice(list: AllocatedDeviceResource[], dev: AllocatedDeviceResource): void {
  const same = list.find((x) => x.Vendor === dev.Vendor && x.Type === dev.Type && x.Name === dev.Name)
  if (same === undefined) list.push({ ...dev, DeviceIDs: [...(dev.DeviceIDs ?? [])] })
  else same.DeviceIDs = [...(same.DeviceIDs ?? []), ...(dev.DeviceIDs ?? [])]
}

/** Nomad's `AllocatedTaskResources.Add`: adds `delta` into `into` (mutates `into`). */
export function addTaskResources(into: AllocatedTaskResources, delta: AllocatedTaskResources | null | undefined): void {
  if (delta == null) return
  into.Cpu.CpuShares += delta.Cpu.CpuShares
  into.Memory.MemoryMB += delta.Memory.MemoryMB
  if (delta.Networks?.length) {
    const nets = (into.Networks ??= [])
    for (const n of delta.Networks) addNetwork(nets, n)
  }
  if (delta.Devices?.length) {
    const devs = (into.Devices ??= [])
    for (const dev of delta.Devices) addDevice(devs, dev)
  }
}

/** Nomad's `AllocatedTaskResources.Max`: cpu and memory become the larger; networks and devices add. */
function maxTaskResources(into: AllocatedTaskResources, other: AllocatedTaskResources): void {
  into.Cpu.CpuShares = Math.max(into.Cpu.CpuShares, other.Cpu.CpuShares)
  into.Memory.MemoryMB = Math.max(into.Memory.MemoryMB, other.Memory.MemoryMB)
  for (const n of other.Networks ?? []) addNetwork((into.Networks ??= []), n)
  for (const dev of other.Devices ?? []) addDevice((into.Devices ??= []), dev)
}

/** Nomad's `ComparableResources.Add` (mutates `into`). */
export function addComparable(into: ComparableResources, delta: ComparableResources | null | undefined): void {
  if (delta == null) return
  addTaskResources(into.Flattened, delta.Flattened)
  into.Shared.DiskMB += delta.Shared.DiskMB
  if (delta.Shared.Networks?.length) into.Shared.Networks = [...(into.Shared.Networks ?? []), ...delta.Shared.Networks]
}

/** Nomad's `ComparableResources.Subtract`: cpu, memory and disk only (networks are the NetworkIndex's job). */
export function subtractComparable(from: ComparableResources, delta: ComparableResources | null | undefined): void {
  if (delta == null) return
  from.Flattened.Cpu.CpuShares -= delta.Flattened.Cpu.CpuShares
  from.Flattened.Memory.MemoryMB -= delta.Flattened.Memory.MemoryMB
  from.Shared.DiskMB -= delta.Shared.DiskMB
  if (delta.Shared.Networks?.length && from.Shared.Networks != null) {
    const removed = new Set(delta.Shared.Networks)
    from.Shared.Networks = from.Shared.Networks.filter((n) => !removed.has(n))
  }
}

/**
 * Nomad's `ComparableResources.Superset`: whether `have` covers `need` in cpu, memory and disk;
 * otherwise the first dimension short (`cpu`, `memory` or `disk`).
 */
export function comparableSuperset(have: ComparableResources, need: ComparableResources): { fits: true } | { fits: false; dimension: 'cpu' | 'memory' | 'disk' } {
  if (have.Flattened.Cpu.CpuShares < need.Flattened.Cpu.CpuShares) return { fits: false, dimension: 'cpu' }
  if (have.Flattened.Memory.MemoryMB < need.Flattened.Memory.MemoryMB) return { fits: false, dimension: 'memory' }
  if (have.Shared.DiskMB < need.Shared.DiskMB) return { fits: false, dimension: 'disk' }
  return { fits: true }
}

/**
 * What an allocation uses, as Nomad's `Allocation.ComparableResources` computes it: prestart
 * sidecars add, prestart ephemeral tasks count as the larger of themselves and the main tasks
 * (they run before them), group networks add; pre-0.9 allocations fall back to the legacy fields.
 */
export function allocComparableResources(alloc: Pick<Allocation, 'AllocatedResources' | 'Resources' | 'TaskResources' | 'SharedResources'>): ComparableResources {
  const ar = alloc.AllocatedResources
  if (ar != null) {
    const c = emptyComparable()
    c.Shared.DiskMB = ar.Shared.DiskMB
    c.Shared.Networks = ar.Shared.Networks ?? null
    const sidecars = emptyTaskResources()
    const ephemeral = emptyTaskResources()
    const main = emptyTaskResources()
    for (const [task, r] of Object.entries(ar.Tasks ?? {})) {
      const lc = ar.TaskLifecycles?.[task]
      if (lc == null || lc.Hook !== TaskLifecycleHookPrestart) addTaskResources(main, r)
      else if (lc.Sidecar) addTaskResources(sidecars, r)
      else addTaskResources(ephemeral, r)
    }
    maxTaskResources(ephemeral, main)
    addTaskResources(sidecars, ephemeral)
    addTaskResources(c.Flattened, sidecars)
    for (const n of ar.Shared.Networks ?? []) addTaskResources(c.Flattened, { ...emptyTaskResources(), Networks: [n] })
    return c
  }
  let legacy: Resources | null | undefined = alloc.Resources
  if (legacy == null && alloc.TaskResources != null) {
    const sum: Resources = { CPU: 0, MemoryMB: 0, DiskMB: 0, IOPS: 0, Networks: null }
    for (const r of [alloc.SharedResources, ...Object.values(alloc.TaskResources)]) {
      if (r == null) continue
      sum.CPU += r.CPU
      sum.MemoryMB += r.MemoryMB
      sum.DiskMB += r.DiskMB
      for (const n of r.Networks ?? []) addNetwork((sum.Networks ??= []), n)
    }
    legacy = sum
  }
  return fromLegacy(legacy)
}

function fromLegacy(r: Resources | null | undefined): ComparableResources {
  const c = emptyComparable()
  if (r == null) return c
  c.Flattened.Cpu.CpuShares = r.CPU
  c.Flattened.Memory.MemoryMB = r.MemoryMB
  c.Flattened.Networks = r.Networks ?? null
  c.Shared.DiskMB = r.DiskMB
  return c
}

/** What a node offers (Nomad's `Node.ComparableResources`), from NodeResources or the legacy Resources. */
export function nodeComparableResources(node: Pick<Node, 'NodeResources' | 'Resources'>): ComparableResources {
  const nr = node.NodeResources
  if (nr != null) {
    const c = emptyComparable()
    c.Flattened.Cpu.CpuShares = nr.Cpu.CpuShares
    c.Flattened.Memory.MemoryMB = nr.Memory.MemoryMB
    c.Flattened.Networks = nr.Networks ?? null
    c.Shared.DiskMB = nr.Disk.DiskMB
    return c
  }
  return fromLegacy(node.Resources)
}

/** What a node keeps for itself (Nomad's `Node.ComparableReservedResources`); null when nothing is reserved. */
export function nodeComparableReserved(node: Pick<Node, 'ReservedResources' | 'Reserved'>): ComparableResources | null {
  const rr = node.ReservedResources
  if (rr != null) {
    const c = emptyComparable()
    c.Flattened.Cpu.CpuShares = rr.Cpu.CpuShares
    c.Flattened.Memory.MemoryMB = rr.Memory.MemoryMB
    c.Shared.DiskMB = rr.Disk.DiskMB
    return c
  }
  if (node.Reserved != null) {
    const c = fromLegacy(node.Reserved)
    c.Flattened.Networks = null
    return c
  }
  return null
}

/** Total usage of the non-terminal allocations in `allocs`, networks included. */
export function usedResources(allocs: readonly Allocation[]): ComparableResources {
  const used = emptyComparable()
  for (const alloc of allocs) if (!allocTerminal(alloc)) addComparable(used, allocComparableResources(alloc))
  return used
}

/**
 * Cpu, memory and disk of the non-terminal allocations, counted as {@link usedResources} counts
 * them but without merging networks: the fast path `allocsFit` and scoring need.
 */
export function usedCpuMemDisk(allocs: readonly Allocation[]): ComparableResources {
  const used = emptyComparable()
  const f = used.Flattened
  for (const alloc of allocs) {
    if (allocTerminal(alloc)) continue
    const ar = alloc.AllocatedResources
    if (ar == null) {
      const c = allocComparableResources(alloc)
      f.Cpu.CpuShares += c.Flattened.Cpu.CpuShares
      f.Memory.MemoryMB += c.Flattened.Memory.MemoryMB
      used.Shared.DiskMB += c.Shared.DiskMB
      continue
    }
    let mainCpu = 0
    let mainMem = 0
    let sideCpu = 0
    let sideMem = 0
    let ephCpu = 0
    let ephMem = 0
    const tasks = ar.Tasks ?? {}
    for (const task in tasks) {
      const r = tasks[task]!
      const lc = ar.TaskLifecycles?.[task]
      if (lc == null || lc.Hook !== TaskLifecycleHookPrestart) {
        mainCpu += r.Cpu.CpuShares
        mainMem += r.Memory.MemoryMB
      } else if (lc.Sidecar) {
        sideCpu += r.Cpu.CpuShares
        sideMem += r.Memory.MemoryMB
      } else {
        ephCpu += r.Cpu.CpuShares
        ephMem += r.Memory.MemoryMB
      }
    }
    f.Cpu.CpuShares += sideCpu + Math.max(ephCpu, mainCpu)
    f.Memory.MemoryMB += sideMem + Math.max(ephMem, mainMem)
    used.Shared.DiskMB += ar.Shared.DiskMB
  }
  return used
}
