import type { Node } from '../types/node.js'
import type { Affinity, Constraint, Spread } from '../types/resources.js'

/** Node attribute and meta keys under this prefix are unique per node and never part of its class. */
export const NodeUniqueNamespace = 'unique.'

/** Nomad's `IsUniqueNamespace`. */
export function isUniqueNamespace(key: string): boolean {
  return key.startsWith(NodeUniqueNamespace)
}

/**
 * The computed class of a node: `v1:` and a 64-bit hash of the fields that decide where work can
 * be placed — datacenter, node class, attributes and meta (keys under `unique.` left out) and the
 * identity and attributes of its devices. Nodes with equal classes are interchangeable for
 * feasibility, so the scheduler checks one node per class and blocked evals unblock by class.
 *
 * The format matches Nomad's (`v1:<decimal>`) but the hash is FNV-1a over a canonical encoding,
 * not Go's hashstructure: compare classes computed here with each other, not with a Go client's.
 */
export function computeNodeClass(node: Pick<Node, 'Datacenter' | 'NodeClass' | 'Attributes' | 'Meta' | 'NodeResources'>): string {
  const devices = (node.NodeResources?.Devices ?? []).map((dev) => [dev.Vendor, dev.Type, dev.Name, sortedEntries(dev.Attributes ?? {})])
  devices.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  const canonical = JSON.stringify([
    node.Datacenter,
    node.NodeClass,
    sortedEntries(withoutUnique(node.Attributes)),
    sortedEntries(withoutUnique(node.Meta)),
    devices,
  ])
  return `v1:${fnv1a64(canonical)}`
}

function withoutUnique(m: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(m ?? {})) if (!isUniqueNamespace(k)) out[k] = v
  return out
}

function sortedEntries(m: Record<string, unknown>): [string, unknown][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const FNV_OFFSET = 0xcbf29ce484222325n
const FNV_PRIME = 0x100000001b3n
const MASK = 0xffffffffffffffffn

function fnv1a64(text: string): string {
  let h = FNV_OFFSET
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte)
    h = (h * FNV_PRIME) & MASK
  }
  return h.toString(10)
}

/**
 * Nomad's `constraintTargetEscapes`: a target that reads a unique attribute (`${node.unique.…}`,
 * `${attr.unique.…}`, `${meta.unique.…}`), which the computed class cannot
 * capture.
 */
export function targetEscapesClass(target: string): boolean {
  return (
    target.startsWith('${node.unique.') ||
    target.startsWith('${attr.unique.') ||
    target.startsWith('${meta.unique.')
  )
}

/** Nomad's `EscapedConstraints`: the constraints whose targets escape the computed class. */
export function escapedConstraints(constraints: readonly Constraint[]): Constraint[] {
  return constraints.filter((c) => targetEscapesClass(c.LTarget) || targetEscapesClass(c.RTarget))
}

/** The affinities whose targets escape the computed class. */
export function escapedAffinities(affinities: readonly Affinity[]): Affinity[] {
  return affinities.filter((a) => targetEscapesClass(a.LTarget) || targetEscapesClass(a.RTarget))
}

/** The spreads whose attribute escapes the computed class. */
export function escapedSpreads(spreads: readonly Spread[]): Spread[] {
  return spreads.filter((s) => targetEscapesClass(s.Attribute))
}
