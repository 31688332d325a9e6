import type { Node } from '../types/node.js'
import { type ComparableResources, nodeComparableReserved, nodeComparableResources } from './comparable.js'

/** The largest raw fit score: 20 − (10^0 + 10^0). Nomad's `binPackingMaxFitScore`. */
export const BinPackingMaxFitScore = 18

/** Free cpu and memory fractions of `node` (after reserved) if it ran `util`. */
export function freeFractions(node: Node, util: ComparableResources): { cpu: number; memory: number } {
  const res = nodeComparableResources(node)
  const reserved = nodeComparableReserved(node)
  let cpu = res.Flattened.Cpu.CpuShares
  let mem = res.Flattened.Memory.MemoryMB
  if (reserved != null) {
    cpu -= reserved.Flattened.Cpu.CpuShares
    mem -= reserved.Flattened.Memory.MemoryMB
  }
  return { cpu: 1 - util.Flattened.Cpu.CpuShares / cpu, memory: 1 - util.Flattened.Memory.MemoryMB / mem }
}

function clamp(score: number): number {
  if (score > BinPackingMaxFitScore) return BinPackingMaxFitScore
  if (score < 0 || Number.isNaN(score)) return 0
  return score
}

/** Go's `ScoreFitBinPack`: `20 − (10^freeCpu + 10^freeMem)` clamped to [0, 18] (fuller nodes score higher). */
export function scoreFitBinPackRaw(node: Node, util: ComparableResources): number {
  const free = freeFractions(node, util)
  return binPackFitOfFree(free.cpu, free.memory)
}

/** Go's `ScoreFitSpread`: `(10^freeCpu + 10^freeMem) − 2` clamped to [0, 18] (emptier nodes score higher). */
export function scoreFitSpreadRaw(node: Node, util: ComparableResources): number {
  const free = freeFractions(node, util)
  return spreadFitOfFree(free.cpu, free.memory)
}

/**
 * {@link scoreFitBinPackRaw} from the free cpu and memory fractions ({@link freeFractions}), for
 * callers that keep a node's totals as plain numbers.
 */
export function binPackFitOfFree(cpu: number, memory: number): number {
  return clamp(20 - (10 ** cpu + 10 ** memory))
}

/** {@link scoreFitSpreadRaw} from the free cpu and memory fractions. */
export function spreadFitOfFree(cpu: number, memory: number): number {
  return clamp(10 ** cpu + 10 ** memory - 2)
}

/**
 * The bin-packing fit of `util` on `node` normalized to [0, 1]: {@link scoreFitBinPackRaw} ÷ 18,
 * the value Nomad's rank iterator records as `binpack`. (Go's `ScoreFitBinPack` itself returns
 * the raw value; the scheduler divides.)
 */
export function scoreFitBinPack(node: Node, util: ComparableResources): number {
  return scoreFitBinPackRaw(node, util) / BinPackingMaxFitScore
}

/** The spread fit normalized to [0, 1]: {@link scoreFitSpreadRaw} ÷ 18. */
export function scoreFitSpread(node: Node, util: ComparableResources): number {
  return scoreFitSpreadRaw(node, util) / BinPackingMaxFitScore
}
