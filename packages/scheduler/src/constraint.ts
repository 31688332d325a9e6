import type { Constraint, Node } from '@nomadic/structs'
import { parseVersionConstraint } from './version.js'

/** The constraint operators Nomad knows. */
export const ConstraintDistinctHosts = 'distinct_hosts'
export const ConstraintDistinctProperty = 'distinct_property'

/**
 * Resolves a constraint target against a node: `${node.unique.id}`, `${node.unique.name}`,
 * `${node.datacenter}`, `${node.class}`, `${attr.X}`, `${meta.X}`; anything else is a literal.
 */
export function resolveTarget(target: string, node: Node): { value: string; found: boolean } {
  if (!target.startsWith('${') || !target.endsWith('}')) return { value: target, found: true }
  const path = target.slice(2, -1)
  switch (path) {
    case 'node.unique.id': return { value: node.ID, found: true }
    case 'node.unique.name': return { value: node.Name, found: true }
    case 'node.datacenter': return { value: node.Datacenter, found: true }
    case 'node.class': return { value: node.NodeClass, found: true }
  }
  if (path.startsWith('attr.')) return lookup(node.Attributes, path.slice(5))
  if (path.startsWith('meta.')) return lookup(node.Meta, path.slice(5))
  return { value: '', found: false }
}

function lookup(map: Record<string, string> | null | undefined, key: string): { value: string; found: boolean } {
  const value = map?.[key]
  return value === undefined ? { value: '', found: false } : { value, found: true }
}

const versionCache = new Map<string, ((v: string) => boolean) | undefined>()

function versionMatches(constraint: string, version: string, semver: boolean): boolean {
  const key = `${semver ? 's' : 'v'}:${constraint}`
  let check = versionCache.get(key)
  if (check === undefined && !versionCache.has(key)) {
    check = parseVersionConstraint(constraint, semver)
    versionCache.set(key, check)
  }
  return check !== undefined && check(version)
}

function setOf(text: string): Set<string> {
  return new Set(text.split(',').map((s) => s.trim()))
}

/**
 * Whether `lVal operand rVal` holds, as Nomad's `checkConstraint` decides. Ordering operators
 * compare strings lexically (Nomad 0.12). `distinct_*` operators are checked elsewhere and pass.
 */
export function checkOperand(
  operand: string,
  l: { value: string; found: boolean },
  r: { value: string; found: boolean },
  regexp: (pattern: string) => RegExp | null,
): boolean {
  switch (operand) {
    case ConstraintDistinctHosts:
    case ConstraintDistinctProperty:
      return true
    case 'is_set': return l.found
    case 'is_not_set': return !l.found
  }
  if (!l.found || !r.found) return false
  switch (operand) {
    case '=': case '==': case 'is': return l.value === r.value
    case '!=': case 'not': return l.value !== r.value
    case '<': return l.value < r.value
    case '<=': return l.value <= r.value
    case '>': return l.value > r.value
    case '>=': return l.value >= r.value
    case 'regexp': return regexp(r.value)?.test(l.value) ?? false
    case 'version': return versionMatches(r.value, l.value, false)
    case 'semver': return versionMatches(r.value, l.value, true)
    case 'set_contains':
    case 'set_contains_all': {
      const have = setOf(l.value)
      return [...setOf(r.value)].every((v) => have.has(v))
    }
    case 'set_contains_any': {
      const have = setOf(l.value)
      return [...setOf(r.value)].some((v) => have.has(v))
    }
    default: return false
  }
}

/** Whether a node satisfies a constraint (or matches an affinity, which has the same fields). */
export function nodeMatches(node: Node, c: Pick<Constraint, 'LTarget' | 'RTarget' | 'Operand'>, regexp: (p: string) => RegExp | null): boolean {
  return checkOperand(c.Operand, resolveTarget(c.LTarget, node), resolveTarget(c.RTarget, node), regexp)
}

/** The metrics key of a constraint, as Nomad prints it. */
export function constraintString(c: Constraint): string {
  return `${c.LTarget} ${c.Operand} ${c.RTarget}`
}
