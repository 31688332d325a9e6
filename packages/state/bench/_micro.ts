import { emptyTree } from '../src/memdb/btree.js'
import { KeyTree } from '../src/memdb/key-tree.js'
const N = 1_000_000
const keys: string[] = []
for (let i = 0; i < N; i++) keys.push(crypto.randomUUID())
const probe = keys.map((k) => k.split('').join(''))
for (const [name, t] of [['sorted-btree', emptyTree<number>()], ['key-tree', new KeyTree<number>()]] as const) {
  let t0 = performance.now()
  for (let i = 0; i < N; i++) t.set(keys[i]!, i)
  const set = ((performance.now() - t0) * 1000) / N
  t0 = performance.now()
  let s = 0
  for (let i = 0; i < N; i++) s += t.get(probe[(i * 7919) % N]!)!
  const get = ((performance.now() - t0) * 1000) / N
  console.log(name, 'set µs', set.toFixed(2), 'get µs', get.toFixed(2), s)
}
