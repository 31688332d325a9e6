import { KeyTree } from './key-tree.js'

/** A persistent B+ tree of string keys, copy-on-write after `clone()` (see key-tree.ts). */
export type Tree<V> = KeyTree<V>

/** Makes an empty tree, ordered by UTF-16 code units (the order Go's radix tree gives ASCII keys). */
export function emptyTree<V>(): Tree<V> {
  return new KeyTree<V>()
}

/** Calls `fn` for every entry whose key starts with `prefix`, in key order, until it returns false. */
export function forPrefix<V>(tree: Tree<V>, prefix: string, fn: (key: string, value: V) => boolean | void): void {
  tree.forEachFrom(prefix, (k, v) => k.startsWith(prefix) && fn(k, v) !== false)
}
