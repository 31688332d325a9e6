/**
 * A persistent B+ tree of string keys, purpose-built for the store's indexes.
 *
 * Why not a general sorted map: at a million random IDs, a lookup that compares strings at every
 * step of every node's binary search touches a different heap string each time (a cache miss per
 * comparison). Here every node keeps, beside its keys, a number per key made from the key's first
 * seven characters in an order-preserving way ({@link keyNumber}); a search compares those
 * numbers, held unboxed in one array, and reads a string only when two numbers tie.
 *
 * Copy-on-write by ownership: every node records the tree that created it. A tree writes its own
 * nodes in place and copies any other node (and the path above it) before writing. `clone()` is
 * O(1): both trees take new owner tokens, so neither writes a node the other can see.
 */

/** Characters of a key folded into its {@link keyNumber}: 7 × 7 bits fit a double exactly. */
const KEY_NUMBER_CHARS = 7
/** A node holds at most this many entries by default; below half of it, it borrows or merges. */
const DEFAULT_MAX_ENTRIES = 64

/**
 * A number that orders keys as their UTF-16 code units do, as far as their first seven characters
 * go: `a < b` implies `keyNumber(a) <= keyNumber(b)`, so unequal numbers decide a comparison and
 * equal ones leave it to the strings. Each character is one base-128 digit (code + 1, 0 for "no
 * character"); a code of 126 or more becomes 127 and ends the number there (later digits 0), so
 * keys that differ only after it tie instead of comparing wrongly.
 */
export function keyNumber(key: string): number {
  let n = 0
  let i = 0
  const end = key.length < KEY_NUMBER_CHARS ? key.length : KEY_NUMBER_CHARS
  for (; i < end; i++) {
    const c = key.charCodeAt(i)
    if (c >= 126) {
      n = n * 128 + 127
      i++
      break
    }
    n = n * 128 + c + 1
  }
  for (; i < KEY_NUMBER_CHARS; i++) n *= 128
  return n
}

/**
 * One node. A leaf has `values`, its keys in order; a branch has `children`, where `keys[i]`
 * (i > 0, in order) is at most every key under `children[i]` and above every key under
 * `children[i - 1]`. A branch's `keys[0]` is its separator in its parent (the same string), or on
 * the leftmost path a key that may since have gone stale: lookups never read it. One class for
 * both keeps property access monomorphic.
 */
class TreeNode<V> {
  constructor(
    public owner: number,
    public keys: string[],
    public nums: number[],
    public values: V[] | null,
    public children: TreeNode<V>[] | null,
  ) {}
}

/** Owner tokens: a tree writes in place only the nodes stamped with its current token. */
let nextOwner = 1

/**
 * Index of the first entry that does not sort before (`key`, `num`) — with `equalBefore`, of the
 * first entry above it. Random IDs spread evenly over their numbers, so the search starts where
 * the numbers say the key should be (one or two cache lines instead of a binary search's five or
 * six) and gallops outward from there; keys that cluster only cost a few more steps.
 */
function search(keys: string[], nums: number[], key: string, num: number, equalBefore: boolean, from: number): number {
  const n = nums.length
  let lo = from
  let hi = n
  if (n - from > 8) {
    const first = nums[from]!
    const span = nums[n - 1]! - first
    let guess = from + (span > 0 ? Math.floor(((num - first) / span) * (n - 1 - from)) : 0)
    guess = guess < from ? from : guess > n - 1 ? n - 1 : guess
    if (sortsBefore(keys, nums, guess, key, num, equalBefore)) {
      lo = guess + 1
      for (let step = 1; lo + step - 1 < n; step *= 2) {
        const probe = lo + step - 1
        if (!sortsBefore(keys, nums, probe, key, num, equalBefore)) {
          hi = probe
          break
        }
        lo = probe + 1
      }
    } else {
      hi = guess
      for (let step = 1; hi - step >= from; step *= 2) {
        const probe = hi - step
        if (sortsBefore(keys, nums, probe, key, num, equalBefore)) {
          lo = probe + 1
          break
        }
        hi = probe
      }
    }
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sortsBefore(keys, nums, mid, key, num, equalBefore)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** True when entry `i` sorts before (`key`, `num`) (or equals it, with `equalBefore`). */
function sortsBefore(keys: string[], nums: number[], i: number, key: string, num: number, equalBefore: boolean): boolean {
  const m = nums[i]!
  if (m !== num) return m < num
  const k = keys[i]!
  return equalBefore ? k <= key : k < key
}

/** Index of the first entry not below (`key`, `num`); `keys.length` when there is none. */
function lowerBound(keys: string[], nums: number[], key: string, num: number): number {
  return search(keys, nums, key, num, false, 0)
}

/** The child of a branch whose range holds `key`: the last whose separator is not above it. */
function childIndex(keys: string[], nums: number[], key: string, num: number): number {
  return search(keys, nums, key, num, true, 1) - 1
}

/** A sorted map from strings to `V` with O(1) `clone()` and copy-on-write writes. */
export class KeyTree<V> {
  /** A number for the tree's user (0 in a new tree or a clone): the store stamps groups with it. */
  mark = 0
  private root: TreeNode<V>
  private owner = nextOwner++
  private count = 0
  /** Results of the recursive writes, kept here so a write allocates nothing for them. */
  private split: TreeNode<V> | null = null
  private previous: V | undefined = undefined
  /**
   * Where the last `get` ended, when it ended in a leaf this tree owns: a `set` of the same key
   * right after it (read, then write, as every upsert does) goes straight to that leaf, and so
   * does another `get` of it. Any write or clone forgets it.
   */
  private fingerLeaf: TreeNode<V> | null = null
  private fingerKey = ''
  private fingerIndex = 0
  /** Whether that lookup found its key (nothing has changed since, so it still holds). */
  private fingerFound = false

  /** `maxEntries` (at least 4) is the node capacity; small values exercise splits and merges in tests. */
  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {
    if (!(maxEntries >= 4)) throw new RangeError('a node must hold at least 4 entries')
    this.root = new TreeNode<V>(this.owner, [], [], [], null)
  }

  /** Number of keys. */
  get size(): number {
    return this.count
  }

  /** An O(1) copy: from now on, each tree copies a node before its first write to it. */
  clone(): KeyTree<V> {
    const copy = new KeyTree<V>(this.maxEntries)
    copy.root = this.root
    copy.count = this.count
    this.owner = nextOwner++
    this.fingerLeaf = null
    return copy
  }

  /** The value under `key`, or undefined. */
  get(key: string): V | undefined {
    const leaf = this.fingerLeaf
    if (leaf !== null && key === this.fingerKey) {
      // The same key as the last lookup, nothing written since: a batch's allocations mostly
      // share one job and one eval, so their groups are found here.
      return this.fingerFound ? leaf.values![this.fingerIndex] : undefined
    }
    const num = keyNumber(key)
    let node = this.root
    while (node.children !== null) node = node.children[childIndex(node.keys, node.nums, key, num)]!
    const i = lowerBound(node.keys, node.nums, key, num)
    this.fingerLeaf = node.owner === this.owner ? node : null
    this.fingerKey = key
    this.fingerIndex = i
    // Unequal key numbers settle it without reading the stored string (a cache miss).
    const found = i < node.keys.length && node.nums[i] === num && node.keys[i] === key
    this.fingerFound = found
    return found ? node.values![i] : undefined
  }

  /** Sets `key` to `value`; returns the value it replaced, or undefined when the key is new. */
  set(key: string, value: V): V | undefined {
    const leaf = this.fingerLeaf
    this.fingerLeaf = null
    if (leaf !== null && key === this.fingerKey) {
      // The leaf is this tree's own and no write happened since the lookup: no path to copy,
      // and no branch changes unless the leaf overflows.
      const i = this.fingerIndex
      if (this.fingerFound) {
        const previous = leaf.values![i]
        leaf.values![i] = value
        return previous
      }
      if (leaf.keys.length < this.maxEntries) {
        leaf.keys.splice(i, 0, key)
        leaf.nums.splice(i, 0, keyNumber(key))
        leaf.values!.splice(i, 0, value)
        this.count++
        return undefined
      }
    }
    const root = this.insert(this.root, key, keyNumber(key), value)
    const split = this.split as TreeNode<V> | null
    if (split !== null) {
      this.split = null
      this.root = new TreeNode<V>(this.owner, [root.keys[0]!, split.keys[0]!], [root.nums[0]!, split.nums[0]!], null, [root, split])
    } else {
      this.root = root
    }
    const previous = this.previous
    this.previous = undefined
    return previous
  }

  /** Removes `key`; returns true when it was present. */
  delete(key: string): boolean {
    this.fingerLeaf = null
    const root = this.remove(this.root, key, keyNumber(key))
    if (root === null) return false
    let top = root
    while (top.children !== null && top.children.length === 1) top = top.children[0]!
    this.root = top
    this.count--
    return true
  }

  /** Every value in key order. */
  values(): V[] {
    const out: V[] = []
    this.forEach((v) => {
      out.push(v)
    })
    return out
  }

  /** Every key in order. */
  keys(): string[] {
    const out: string[] = []
    this.forEach((_v, k) => {
      out.push(k)
    })
    return out
  }

  /** Calls `fn` for every entry in key order. */
  forEach(fn: (value: V, key: string) => void): void {
    visitAll(this.root, fn)
  }

  /**
   * Calls `fn` for every entry whose key is at least `from`, in key order, until it returns
   * false. A read: it never copies a node.
   */
  forEachFrom(from: string, fn: (key: string, value: V) => boolean | void): void {
    visitFrom(this.root, from, keyNumber(from), fn)
  }

  /** `node` itself when this tree owns it, otherwise a copy this tree owns. */
  private own(node: TreeNode<V>): TreeNode<V> {
    if (node.owner === this.owner) return node
    return new TreeNode<V>(
      this.owner,
      node.keys.slice(),
      node.nums.slice(),
      node.values === null ? null : node.values.slice(),
      node.children === null ? null : node.children.slice(),
    )
  }

  /**
   * Writes `key` under `node`; returns the node to keep in its place (itself when written in
   * place) and leaves a new right sibling in `this.split` when it overflowed.
   */
  private insert(node: TreeNode<V>, key: string, num: number, value: V): TreeNode<V> {
    const keys = node.keys
    if (node.children === null) {
      const i = lowerBound(keys, node.nums, key, num)
      if (i < keys.length && node.nums[i] === num && keys[i] === key) {
        this.previous = node.values![i]
        const n = this.own(node)
        n.values![i] = value
        return n
      }
      const n = this.own(node)
      n.keys.splice(i, 0, key)
      n.nums.splice(i, 0, num)
      n.values!.splice(i, 0, value)
      this.count++
      if (n.keys.length > this.maxEntries) this.split = this.splitOff(n)
      return n
    }
    const c = childIndex(keys, node.nums, key, num)
    const child = node.children[c]!
    const written = this.insert(child, key, num, value)
    const split = this.split as TreeNode<V> | null
    this.split = null
    if (written === child && split === null) return node
    const n = this.own(node)
    n.children![c] = written
    if (split !== null) {
      n.keys.splice(c + 1, 0, split.keys[0]!)
      n.nums.splice(c + 1, 0, split.nums[0]!)
      n.children!.splice(c + 1, 0, split)
      if (n.keys.length > this.maxEntries) this.split = this.splitOff(n)
    }
    return n
  }

  /** Moves the upper half of an overflowing node this tree owns into a new right sibling. */
  private splitOff(n: TreeNode<V>): TreeNode<V> {
    const half = n.keys.length >>> 1
    return new TreeNode<V>(
      this.owner,
      n.keys.splice(half),
      n.nums.splice(half),
      n.values === null ? null : n.values.splice(half),
      n.children === null ? null : n.children.splice(half),
    )
  }

  /** Removes `key` under `node`; null when absent (nothing copied), else the node to keep. */
  private remove(node: TreeNode<V>, key: string, num: number): TreeNode<V> | null {
    if (node.children === null) {
      const i = lowerBound(node.keys, node.nums, key, num)
      if (i >= node.keys.length || node.nums[i] !== num || node.keys[i] !== key) return null
      const n = this.own(node)
      n.keys.splice(i, 1)
      n.nums.splice(i, 1)
      n.values!.splice(i, 1)
      return n
    }
    const c = childIndex(node.keys, node.nums, key, num)
    const written = this.remove(node.children[c]!, key, num)
    if (written === null) return null
    const n = this.own(node)
    n.children![c] = written
    if (written.keys.length < this.maxEntries >>> 1 && n.children!.length > 1) this.rebalance(n, c)
    return n
  }

  /** Merges an underfull child of `n` with a sibling, or evens the two out when both are large. */
  private rebalance(n: TreeNode<V>, c: number): void {
    const children = n.children!
    const l = c + 1 < children.length ? c : c - 1
    const left = this.own(children[l]!)
    const right = this.own(children[l + 1]!)
    children[l] = left
    children[l + 1] = right
    const total = left.keys.length + right.keys.length
    if (total <= this.maxEntries) {
      left.keys.push(...right.keys)
      left.nums.push(...right.nums)
      if (left.values !== null) left.values.push(...right.values!)
      else left.children!.push(...right.children!)
      n.keys.splice(l + 1, 1)
      n.nums.splice(l + 1, 1)
      children.splice(l + 1, 1)
      return
    }
    const want = total >>> 1
    if (left.keys.length < want) {
      const move = want - left.keys.length
      left.keys.push(...right.keys.splice(0, move))
      left.nums.push(...right.nums.splice(0, move))
      if (left.values !== null) left.values.push(...right.values!.splice(0, move))
      else left.children!.push(...right.children!.splice(0, move))
    } else {
      const move = left.keys.length - want
      right.keys.unshift(...left.keys.splice(want, move))
      right.nums.unshift(...left.nums.splice(want, move))
      if (right.values !== null) right.values.unshift(...left.values!.splice(want, move))
      else right.children!.unshift(...left.children!.splice(want, move))
    }
    n.keys[l + 1] = right.keys[0]!
    n.nums[l + 1] = right.nums[0]!
  }
}

function visitAll<V>(node: TreeNode<V>, fn: (value: V, key: string) => void): void {
  if (node.children === null) {
    const { keys, values } = node
    for (let i = 0; i < keys.length; i++) fn(values![i]!, keys[i]!)
    return
  }
  for (const child of node.children) visitAll(child, fn)
}

/** Visits entries from (`from`, `num`) on; returns false once `fn` asked to stop. */
function visitFrom<V>(node: TreeNode<V>, from: string, num: number, fn: (key: string, value: V) => boolean | void): boolean {
  if (node.children === null) {
    const { keys, values } = node
    for (let i = lowerBound(keys, node.nums, from, num); i < keys.length; i++) {
      if (fn(keys[i]!, values![i]!) === false) return false
    }
    return true
  }
  const children = node.children
  for (let c = childIndex(node.keys, node.nums, from, num); c < children.length; c++) {
    if (!visitFrom(children[c]!, from, num, fn)) return false
  }
  return true
}
