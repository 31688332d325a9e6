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
 * One node. Both kinds keep `nums`, their key numbers in key order. A branch has `keys` and
 * `children`, where `keys[i]` (i > 0, in order) is at most every key under `children[i]` and
 * above every key under `children[i - 1]`; its `keys[0]` is its separator in its parent (the same
 * string), or on the leftmost path a key that may since have gone stale: lookups never read it.
 *
 * A leaf keeps its entries in arrival order — key and value of slot `s` at `kv[2s]` and
 * `kv[2s + 1]` — and `order[i]`, the slot of its `i`-th entry in key order. An insert appends to
 * `kv` and shifts only `nums` and `order`, arrays of unboxed numbers: shifting an array of
 * pointers (keys, values) in an old-generation node makes V8 re-check every moved slot for the
 * garbage collector, which at a million keys cost more than the search. One class for both
 * kinds keeps property access monomorphic.
 */
class TreeNode<V> {
  constructor(
    public owner: number,
    public nums: number[],
    public keys: string[] | null,
    public children: TreeNode<V>[] | null,
    public order: number[] | null,
    public kv: unknown[] | null,
  ) {}
}

/** Owner tokens: a tree writes in place only the nodes stamped with its current token. */
let nextOwner = 1

/** The key of entry `i` (in key order) of a branch or a leaf. */
function keyAt<V>(node: TreeNode<V>, i: number): string {
  return node.keys !== null ? node.keys[i]! : (node.kv![2 * node.order![i]!] as string)
}

/** The value of entry `i` (in key order) of a leaf. */
function valueAt<V>(leaf: TreeNode<V>, i: number): V {
  return leaf.kv![2 * leaf.order![i]! + 1] as V
}

/** Inserts `x` at `i` in an array of numbers (no write barrier to pay, no result array made). */
function insertAt(a: number[], i: number, x: number): void {
  let j = a.length
  a.push(x)
  for (; j > i; j--) a[j] = a[j - 1]!
  a[i] = x
}

/** Removes entry `i` of an array of numbers. */
function removeAt(a: number[], i: number): void {
  const n = a.length - 1
  for (let j = i; j < n; j++) a[j] = a[j + 1]!
  a.pop()
}

/** Puts a new entry at position `i` (in key order) of a leaf this tree owns. */
function leafInsert<V>(leaf: TreeNode<V>, i: number, key: string, num: number, value: V): void {
  const slot = leaf.nums.length
  leaf.kv!.push(key, value)
  insertAt(leaf.nums, i, num)
  insertAt(leaf.order!, i, slot)
}

/** Removes entry `i` of a leaf this tree owns: its slot takes the last slot's entry. */
function leafRemove<V>(leaf: TreeNode<V>, i: number): void {
  const order = leaf.order!
  const kv = leaf.kv!
  const slot = order[i]!
  const last = order.length - 1
  if (slot !== last) {
    kv[2 * slot] = kv[2 * last]
    kv[2 * slot + 1] = kv[2 * last + 1]
    order[order.indexOf(last)] = slot
  }
  kv.pop()
  kv.pop()
  removeAt(leaf.nums, i)
  removeAt(order, i)
}

/** A new leaf with entries `from` to `to` (exclusive, in key order) of the given leaves, in order. */
function leafOf<V>(owner: number, leaves: TreeNode<V>[], from: number, to: number): TreeNode<V> {
  const nums: number[] = []
  const order: number[] = []
  const kv: unknown[] = []
  let at = 0
  for (const leaf of leaves) {
    const n = leaf.nums.length
    for (let i = Math.max(0, from - at); i < n && at + i < to; i++) {
      const s = 2 * leaf.order![i]!
      nums.push(leaf.nums[i]!)
      order.push(order.length)
      kv.push(leaf.kv![s], leaf.kv![s + 1])
    }
    at += n
  }
  return new TreeNode<V>(owner, nums, null, null, order, kv)
}

/** Makes `node` hold what `from` holds (both owned by the writing tree; `from` is dropped). */
function take<V>(node: TreeNode<V>, from: TreeNode<V>): void {
  node.nums = from.nums
  node.keys = from.keys
  node.children = from.children
  node.order = from.order
  node.kv = from.kv
}

/**
 * Index of the first entry that does not sort before (`key`, `num`) — with `equalBefore`, of the
 * first entry above it. Random IDs spread evenly over their numbers, so the search starts where
 * the numbers say the key should be (one or two cache lines instead of a binary search's five or
 * six) and gallops outward from there; keys that cluster only cost a few more steps.
 */
function search<V>(node: TreeNode<V>, key: string, num: number, equalBefore: boolean, from: number): number {
  const nums = node.nums
  const n = nums.length
  let lo = from
  let hi = n
  if (n - from > 8) {
    const first = nums[from]!
    const span = nums[n - 1]! - first
    let guess = from + (span > 0 ? Math.floor(((num - first) / span) * (n - 1 - from)) : 0)
    guess = guess < from ? from : guess > n - 1 ? n - 1 : guess
    if (sortsBefore(node, nums, guess, key, num, equalBefore)) {
      lo = guess + 1
      for (let step = 1; lo + step - 1 < n; step *= 2) {
        const probe = lo + step - 1
        if (!sortsBefore(node, nums, probe, key, num, equalBefore)) {
          hi = probe
          break
        }
        lo = probe + 1
      }
    } else {
      hi = guess
      for (let step = 1; hi - step >= from; step *= 2) {
        const probe = hi - step
        if (sortsBefore(node, nums, probe, key, num, equalBefore)) {
          lo = probe + 1
          break
        }
        hi = probe
      }
    }
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sortsBefore(node, nums, mid, key, num, equalBefore)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** True when entry `i` sorts before (`key`, `num`) (or equals it, with `equalBefore`). */
function sortsBefore<V>(node: TreeNode<V>, nums: number[], i: number, key: string, num: number, equalBefore: boolean): boolean {
  const m = nums[i]!
  if (m !== num) return m < num
  const k = keyAt(node, i)
  return equalBefore ? k <= key : k < key
}

/** Index of the first entry not below (`key`, `num`); the entry count when there is none. */
function lowerBound<V>(node: TreeNode<V>, key: string, num: number): number {
  return search(node, key, num, false, 0)
}

/** True when entry `i` of a leaf is (`key`, `num`); unequal numbers settle it without reading the key. */
function holds<V>(leaf: TreeNode<V>, i: number, key: string, num: number): boolean {
  return i < leaf.nums.length && leaf.nums[i] === num && keyAt(leaf, i) === key
}

/** The child of a branch whose range holds `key`: the last whose separator is not above it. */
function childIndex<V>(node: TreeNode<V>, key: string, num: number): number {
  return search(node, key, num, true, 1) - 1
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
    this.root = new TreeNode<V>(this.owner, [], null, null, [], [])
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
      return this.fingerFound ? valueAt(leaf, this.fingerIndex) : undefined
    }
    const num = keyNumber(key)
    let node = this.root
    while (node.children !== null) node = node.children[childIndex(node, key, num)]!
    const i = lowerBound(node, key, num)
    this.fingerLeaf = node.owner === this.owner ? node : null
    this.fingerKey = key
    this.fingerIndex = i
    const found = holds(node, i, key, num)
    this.fingerFound = found
    return found ? valueAt(node, i) : undefined
  }

  /** Sets `key` to `value`; returns the value it replaced, or undefined when the key is new. */
  set(key: string, value: V): V | undefined {
    const finger = this.fingerLeaf
    this.fingerLeaf = null
    const num = keyNumber(key)
    // Most writes land in a leaf with room on a path this tree owns: written there, with no copy
    // and no branch change. The leaf is the last lookup's when it was of this key (every upsert
    // reads first), else found by a descent that stops at the first node another tree shares.
    let leaf: TreeNode<V> | null = null
    let i = 0
    let found = false
    if (finger !== null && key === this.fingerKey) {
      leaf = finger
      i = this.fingerIndex
      found = this.fingerFound
    } else {
      let node = this.root
      let owned = node.owner === this.owner
      while (owned && node.children !== null) {
        node = node.children[childIndex(node, key, num)]!
        owned = node.owner === this.owner
      }
      if (owned) {
        leaf = node
        i = lowerBound(node, key, num)
        found = holds(node, i, key, num)
      }
    }
    if (leaf !== null) {
      if (found) {
        const at = 2 * leaf.order![i]! + 1
        const previous = leaf.kv![at] as V
        leaf.kv![at] = value
        return previous
      }
      if (leaf.nums.length < this.maxEntries) {
        leafInsert(leaf, i, key, num, value)
        this.count++
        return undefined
      }
    }
    const root = this.insert(this.root, key, num, value)
    const split = this.split as TreeNode<V> | null
    if (split !== null) {
      this.split = null
      this.root = new TreeNode<V>(this.owner, [root.nums[0]!, split.nums[0]!], [keyAt(root, 0), keyAt(split, 0)], [root, split], null, null)
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
      node.nums.slice(),
      node.keys === null ? null : node.keys.slice(),
      node.children === null ? null : node.children.slice(),
      node.order === null ? null : node.order.slice(),
      node.kv === null ? null : node.kv.slice(),
    )
  }

  /**
   * Writes `key` under `node`; returns the node to keep in its place (itself when written in
   * place) and leaves a new right sibling in `this.split` when it overflowed.
   */
  private insert(node: TreeNode<V>, key: string, num: number, value: V): TreeNode<V> {
    if (node.children === null) {
      const i = lowerBound(node, key, num)
      if (holds(node, i, key, num)) {
        this.previous = valueAt(node, i)
        const n = this.own(node)
        n.kv![2 * n.order![i]! + 1] = value
        return n
      }
      const n = this.own(node)
      leafInsert(n, i, key, num, value)
      this.count++
      if (n.nums.length > this.maxEntries) this.split = this.splitOff(n)
      return n
    }
    const c = childIndex(node, key, num)
    const child = node.children[c]!
    const written = this.insert(child, key, num, value)
    const split = this.split as TreeNode<V> | null
    this.split = null
    if (written === child && split === null) return node
    const n = this.own(node)
    n.children![c] = written
    if (split !== null) {
      n.keys!.splice(c + 1, 0, keyAt(split, 0))
      n.nums.splice(c + 1, 0, split.nums[0]!)
      n.children!.splice(c + 1, 0, split)
      if (n.nums.length > this.maxEntries) this.split = this.splitOff(n)
    }
    return n
  }

  /** Moves the upper half of an overflowing node this tree owns into a new right sibling. */
  private splitOff(n: TreeNode<V>): TreeNode<V> {
    const size = n.nums.length
    const half = size >>> 1
    if (n.children === null) {
      // A leaf's upper half is scattered over its slots: both halves are rebuilt densely.
      const right = leafOf(this.owner, [n], half, size)
      take(n, leafOf(this.owner, [n], 0, half))
      return right
    }
    return new TreeNode<V>(this.owner, n.nums.splice(half), n.keys!.splice(half), n.children.splice(half), null, null)
  }

  /** Removes `key` under `node`; null when absent (nothing copied), else the node to keep. */
  private remove(node: TreeNode<V>, key: string, num: number): TreeNode<V> | null {
    if (node.children === null) {
      const i = lowerBound(node, key, num)
      if (!holds(node, i, key, num)) return null
      const n = this.own(node)
      leafRemove(n, i)
      return n
    }
    const c = childIndex(node, key, num)
    const written = this.remove(node.children[c]!, key, num)
    if (written === null) return null
    const n = this.own(node)
    n.children![c] = written
    if (written.nums.length < this.maxEntries >>> 1 && n.children!.length > 1) this.rebalance(n, c)
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
    const total = left.nums.length + right.nums.length
    if (left.children === null) {
      // Leaves: rebuilt densely, as one leaf or evened out in two.
      const both = [left, right]
      if (total <= this.maxEntries) {
        take(left, leafOf(this.owner, both, 0, total))
        n.keys!.splice(l + 1, 1)
        n.nums.splice(l + 1, 1)
        children.splice(l + 1, 1)
        return
      }
      const want = total >>> 1
      const upper = leafOf(this.owner, both, want, total)
      take(left, leafOf(this.owner, both, 0, want))
      take(right, upper)
    } else if (total <= this.maxEntries) {
      left.keys!.push(...right.keys!)
      left.nums.push(...right.nums)
      left.children!.push(...right.children!)
      n.keys!.splice(l + 1, 1)
      n.nums.splice(l + 1, 1)
      children.splice(l + 1, 1)
      return
    } else {
      const want = total >>> 1
      if (left.nums.length < want) {
        const move = want - left.nums.length
        left.keys!.push(...right.keys!.splice(0, move))
        left.nums.push(...right.nums.splice(0, move))
        left.children!.push(...right.children!.splice(0, move))
      } else {
        const move = left.nums.length - want
        right.keys!.unshift(...left.keys!.splice(want, move))
        right.nums.unshift(...left.nums.splice(want, move))
        right.children!.unshift(...left.children!.splice(want, move))
      }
    }
    n.keys![l + 1] = keyAt(right, 0)
    n.nums[l + 1] = right.nums[0]!
  }
}

function visitAll<V>(node: TreeNode<V>, fn: (value: V, key: string) => void): void {
  if (node.children === null) {
    for (let i = 0; i < node.nums.length; i++) fn(valueAt(node, i), keyAt(node, i))
    return
  }
  for (const child of node.children) visitAll(child, fn)
}

/** Visits entries from (`from`, `num`) on; returns false once `fn` asked to stop. */
function visitFrom<V>(node: TreeNode<V>, from: string, num: number, fn: (key: string, value: V) => boolean | void): boolean {
  if (node.children === null) {
    for (let i = lowerBound(node, from, num); i < node.nums.length; i++) {
      if (fn(keyAt(node, i), valueAt(node, i)) === false) return false
    }
    return true
  }
  const children = node.children
  for (let c = childIndex(node, from, num); c < children.length; c++) {
    if (!visitFrom(children[c]!, from, num, fn)) return false
  }
  return true
}
