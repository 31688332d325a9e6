import btreeModule from 'sorted-btree'

type BTreeClass = typeof btreeModule.default
/**
 * sorted-btree is published as CommonJS with its class on `default`. Node's ESM loader makes the
 * default import the whole `module.exports` (class one level down); bundlers that honour
 * `__esModule` hand over the class itself. Accept both.
 */
export const BTree: BTreeClass =
  (btreeModule as unknown as { default?: BTreeClass }).default ?? (btreeModule as unknown as BTreeClass)
/** A B+ tree of string keys, copy-on-write after `clone()`. */
export type Tree<V> = InstanceType<typeof btreeModule.default<string, V>>

/** Plain code-unit order, the order Go's radix tree gives byte strings of ASCII keys. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Makes an empty tree ordered by {@link compareKeys}. */
export function emptyTree<V>(): Tree<V> {
  return new BTree<string, V>(undefined, compareKeys)
}

/**
 * The smallest string greater than every string that starts with `prefix`, or undefined when no
 * such bound exists (the empty prefix, or one made only of U+FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--
  if (end === 0) return undefined
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1)
}

/** Calls `fn` for every entry whose key starts with `prefix`, in key order, until it returns false. */
export function forPrefix<V>(tree: Tree<V>, prefix: string, fn: (key: string, value: V) => boolean | void): void {
  if (tree.size === 0) return
  const stop = { break: true }
  // forRange stops when the callback returns { break }; it never copies shared nodes (a read).
  const visit = (k: string, v: V): { break: boolean } | undefined => (fn(k, v) === false ? stop : undefined)
  const high = prefixUpperBound(prefix)
  if (high === undefined) tree.forRange(prefix, tree.maxKey() as string, true, visit)
  else tree.forRange(prefix, high, false, visit)
}
