/**
 * The persistent B+ tree against a plain model (a Map, sorted on demand), with nodes of 4 to 24
 * entries so that a few dozen keys already split, borrow, merge and collapse the root (and nodes
 * above 8 entries take the interpolating search). Clones
 * taken along the way must keep exactly the state they were taken at. Replay a failure with
 * `STATE_TREE_SEED=<seed> npx vitest run --project state test/key-tree.test.ts`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyTree, keyNumber } from '../src/memdb/key-tree.js'
import { forPrefix } from '../src/memdb/btree.js'

const seed = process.env.STATE_TREE_SEED === undefined ? 20261129 : Number(process.env.STATE_TREE_SEED)

/** Keys that tie on their number (shared 7-character prefixes, characters ≥ 126) as well as short ones. */
const keyArb = fc.oneof(
  fc.stringMatching(/^[a-c]{0,3}$/),
  fc.stringMatching(/^default\x00j[0-9]{1,2}$/),
  fc.string({ maxLength: 9, unit: fc.constantFrom('a', 'b', '~', '\x7f', '\x00', 'é', '\uffff', 'z') }),
  fc.integer({ min: 0, max: 300 }).map((n) => `k${n.toString().padStart(3, '0')}`),
)

type Op =
  | { kind: 'set'; key: string; value: number; lookFirst: boolean }
  | { kind: 'delete'; key: string }
  | { kind: 'clone' }
  | { kind: 'deleteMany'; from: string; keepEvery: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer(), lookFirst: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clone' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteMany' as const), from: keyArb, keepEvery: fc.integer({ min: 0, max: 3 }) }) },
)

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function sortedEntries(model: Map<string, number>): Array<[string, number]> {
  return [...model].sort((a, b) => byCodeUnits(a[0], b[0]))
}

function expectSame(tree: KeyTree<number>, model: Map<string, number>): void {
  const entries = sortedEntries(model)
  expect(tree.size).toBe(model.size)
  expect(tree.keys()).toEqual(entries.map(([k]) => k))
  expect(tree.values()).toEqual(entries.map(([, v]) => v))
}

describe('KeyTree', () => {
  it('keyNumber never orders two keys against their code-unit order', () => {
    const anyKey = fc.string({ maxLength: 10, unit: fc.oneof(fc.constantFrom('\x00', '}', '~', '\x7f', '\uffff'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))) })
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        if (a < b) expect(keyNumber(a)).toBeLessThanOrEqual(keyNumber(b))
        if (keyNumber(a) < keyNumber(b)) expect(a < b).toBe(true)
      }),
      { seed, numRuns: 2000 },
    )
  })

  it('agrees with a plain map through sets, deletes and clones; clones keep their state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 24 }), fc.array(opArb, { maxLength: 300 }), (maxEntries, ops) => {
        let tree = new KeyTree<number>(maxEntries)
        let model = new Map<string, number>()
        const frozen: Array<{ tree: KeyTree<number>; entries: Array<[string, number]> }> = []
        for (const op of ops) {
          if (op.kind === 'set') {
            // A lookup of the same key right before the write takes the leaf shortcut.
            if (op.lookFirst) expect(tree.get(op.key)).toBe(model.get(op.key))
            expect(tree.set(op.key, op.value)).toBe(model.get(op.key))
            model.set(op.key, op.value)
          } else if (op.kind === 'delete') {
            expect(tree.delete(op.key)).toBe(model.delete(op.key))
          } else if (op.kind === 'deleteMany') {
            // Deletes a run of neighbouring keys (merges, root collapses) or thins it out, keeping
            // every n-th key (underfull nodes beside full ones: entries move between siblings).
            const doomed = tree
              .keys()
              .filter((k) => k >= op.from)
              .slice(0, 60)
              .filter((_k, i) => op.keepEvery === 0 || i % (op.keepEvery + 1) !== 0)
            for (const k of doomed) expect(tree.delete(k)).toBe(model.delete(k))
          } else {
            // Either side of a clone may be written on; the other must never change.
            const copy = tree.clone()
            frozen.push({ tree: ops.length % 2 === 0 ? copy : tree, entries: sortedEntries(model) })
            if (ops.length % 2 !== 0) tree = copy
            model = new Map(model)
          }
          expect(tree.get(op.kind === 'clone' ? '' : op.kind === 'deleteMany' ? op.from : op.key)).toBe(
            model.get(op.kind === 'clone' ? '' : op.kind === 'deleteMany' ? op.from : op.key),
          )
        }
        expectSame(tree, model)
        for (const [k, v] of model) expect(tree.get(k)).toBe(v)
        for (const f of frozen) {
          expect(f.tree.keys()).toEqual(f.entries.map(([k]) => k))
          for (const [k, v] of f.entries) expect(f.tree.get(k)).toBe(v)
        }
      }),
      { seed, numRuns: 300 },
    )
  })

  it('visits keys from a bound and by prefix in order, and stops when asked', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 120 }), keyArb, (keys, from) => {
        const tree = new KeyTree<number>(4)
        keys.forEach((k, i) => tree.set(k, i))
        const sorted = [...keys].sort(byCodeUnits)
        const seen: string[] = []
        tree.forEachFrom(from, (k) => {
          seen.push(k)
        })
        expect(seen).toEqual(sorted.filter((k) => k >= from))
        const prefixed: string[] = []
        forPrefix(tree, from, (k) => {
          prefixed.push(k)
        })
        expect(prefixed).toEqual(sorted.filter((k) => k.startsWith(from)))
        const firstTwo: string[] = []
        tree.forEachFrom('', (k) => {
          firstTwo.push(k)
          return firstTwo.length < 2
        })
        expect(firstTwo).toEqual(sorted.slice(0, 2))
      }),
      { seed, numRuns: 300 },
    )
  })

  it('keeps a 20,000-key tree and its clone apart while deleting half of it', () => {
    const tree = new KeyTree<number>()
    const model = new Map<string, number>()
    let x = 12345
    const next = (): string => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      return x.toString(16).padStart(8, '0')
    }
    for (let i = 0; i < 20_000; i++) {
      const k = next()
      tree.set(k, i)
      model.set(k, i)
    }
    for (const [k, v] of model) expect(tree.get(k)).toBe(v)
    const copy = tree.clone()
    const keys = [...model.keys()]
    for (let i = 0; i < keys.length; i += 2) {
      tree.delete(keys[i]!)
      model.delete(keys[i]!)
    }
    expectSame(tree, model)
    for (const [k, v] of model) expect(tree.get(k)).toBe(v)
    for (let i = 0; i < keys.length; i += 2) expect(tree.get(keys[i]!)).toBeUndefined()
    expect(copy.size).toBe(keys.length)
    expect(copy.get(keys[0]!)).toBe(0)
  })

  it('a write after a clone never lands in a leaf found before the clone', () => {
    const tree = new KeyTree<number>()
    tree.set('a', 1)
    expect(tree.get('a')).toBe(1)
    const before = tree.clone()
    tree.set('a', 2)
    expect(tree.get('b')).toBeUndefined()
    const second = tree.clone()
    tree.set('b', 3)
    expect([before.get('a'), before.get('b'), second.get('a'), second.get('b')]).toEqual([1, undefined, 2, undefined])
    expect([tree.get('a'), tree.get('b')]).toEqual([2, 3])
  })

  it('refuses a node capacity below 4', () => {
    expect(() => new KeyTree(3)).toThrow(RangeError)
  })
})
