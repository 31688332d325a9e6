import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { MemDB, SchemaError, compoundKey, type TableSchema } from '../src/index.js'
import { WatchSet } from '../src/memdb/watch.js'

interface Row {
  id: string
  group: string
  tag?: string
}

const rows: TableSchema<Row> = {
  name: 'rows',
  indexes: {
    id: { unique: true, key: (r) => r.id },
    group: { unique: false, key: (r) => r.group },
    tag: { unique: true, key: (r) => r.tag },
  },
}

function db(): MemDB {
  return new MemDB([rows])
}

function put(d: MemDB, ...rs: Row[]): void {
  const txn = d.txn()
  for (const r of rs) txn.insert('rows', r)
  txn.commit()
}

describe('MemDB tables and indexes', () => {
  it('finds by id, by prefix and by non-unique index, in key order', () => {
    const d = db()
    put(d, { id: 'b1', group: 'g' }, { id: 'a1', group: 'g' }, { id: 'a2', group: 'h' })
    const s = d.snapshot()
    expect(s.get<Row>('rows', 'id', 'a2')?.group).toBe('h')
    expect(s.byPrefix<Row>('rows', 'id', 'a').map((r) => r.id)).toEqual(['a1', 'a2'])
    expect(s.getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a1', 'b1'])
    expect(s.all<Row>('rows').map((r) => r.id)).toEqual(['a1', 'a2', 'b1'])
    expect(s.count('rows')).toBe(3)
  })

  it('moves an object between index keys when it is replaced', () => {
    const d = db()
    put(d, { id: 'x', group: 'g', tag: 't1' })
    put(d, { id: 'x', group: 'h', tag: 't2' })
    const s = d.snapshot()
    expect(s.getAll('rows', 'group', 'g')).toEqual([])
    expect(s.getAll<Row>('rows', 'group', 'h').map((r) => r.id)).toEqual(['x'])
    expect(s.get('rows', 'tag', 't1')).toBeUndefined()
    expect(s.get<Row>('rows', 'tag', 't2')?.id).toBe('x')
  })

  it('leaves objects with a missing key out of that index', () => {
    const d = db()
    put(d, { id: 'x', group: 'g' })
    expect(d.snapshot().byPrefix('rows', 'tag', '')).toEqual([])
  })

  it('rejects a duplicate unique key and aborting leaves the store unchanged', () => {
    const d = db()
    put(d, { id: 'x', group: 'g', tag: 't' })
    const txn = d.txn()
    txn.insert('rows', { id: 'y', group: 'g' })
    expect(() => txn.insert('rows', { id: 'z', group: 'g', tag: 't' })).toThrow(SchemaError)
    txn.abort()
    expect(d.snapshot().count('rows')).toBe(1)
  })

  it('undoes an in-place transaction on abort (no snapshot pins the root)', () => {
    const d = db()
    put(d, { id: 'x', group: 'g', tag: 't' }, { id: 'y', group: 'h' })
    const txn = d.txn()
    expect(txn.inPlace).toBe(true)
    expect(() => d.snapshot()).toThrow(/in-place write transaction/)
    txn.insert('rows', { id: 'x', group: 'h', tag: 'u' })
    txn.delete('rows', 'y')
    txn.insert('rows', { id: 'z', group: 'g' })
    txn.abort()
    const s = d.snapshot()
    expect(s.all<Row>('rows')).toEqual([{ id: 'x', group: 'g', tag: 't' }, { id: 'y', group: 'h' }])
    expect(s.getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['x'])
    expect(s.get<Row>('rows', 'tag', 't')?.id).toBe('x')
    expect(s.get('rows', 'tag', 'u')).toBeUndefined()
    const cow = d.txn()
    expect(cow.inPlace).toBe(false)
    cow.abort()
  })

  it('undoes in-place writes to groups created since the last snapshot', () => {
    const d = db()
    put(d, { id: 'a', group: 'g' }, { id: 'b', group: 'g' }) // group g created, no snapshot since
    put(d, { id: 'c', group: 'g' }) // written in place: g is still unseen
    const txn = d.txn()
    expect(txn.inPlace).toBe(true)
    txn.insert('rows', { id: 'd', group: 'g' })
    txn.insert('rows', { id: 'a', group: 'h' })
    txn.delete('rows', 'b')
    txn.delete('rows', 'c')
    txn.delete('rows', 'd')
    expect(txn.getAll('rows', 'group', 'g')).toEqual([])
    txn.abort()
    const s = d.snapshot()
    expect(s.getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a', 'b', 'c'])
    expect(s.getAll('rows', 'group', 'h')).toEqual([])
    // After the snapshot the group is shared: a write clones it and the snapshot keeps its view.
    put(d, { id: 'e', group: 'g' })
    expect(s.getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a', 'b', 'c'])
    expect(d.snapshot().getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a', 'b', 'c', 'e'])
  })

  it('deletes from every index', () => {
    const d = db()
    put(d, { id: 'x', group: 'g', tag: 't' })
    const txn = d.txn()
    expect(txn.delete<Row>('rows', 'x')?.id).toBe('x')
    expect(txn.delete('rows', 'nope')).toBeUndefined()
    txn.commit()
    const s = d.snapshot()
    expect(s.count('rows')).toBe(0)
    expect(s.getAll('rows', 'group', 'g')).toEqual([])
    expect(s.get('rows', 'tag', 't')).toBeUndefined()
  })

  it('allows one writer at a time and a transaction only once', () => {
    const d = db()
    const txn = d.txn()
    expect(() => d.txn()).toThrow(/another write transaction/)
    txn.commit()
    expect(() => txn.insert('rows', { id: 'a', group: 'g' })).toThrow(/already committed/)
    d.txn().abort()
  })

  it('groups a non-unique index by key: prefixes across keys, empty groups removed', () => {
    const d = db()
    put(d, { id: 'a', group: 'g' }, { id: 'b', group: 'g\x00x' }, { id: 'c', group: 'g\x00y' }, { id: 'd', group: 'h' })
    const s = d.snapshot()
    expect(s.byPrefix<Row>('rows', 'group', 'g\x00').map((r) => r.id)).toEqual(['a', 'b', 'c'])
    expect(s.byPrefix<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a', 'b', 'c'])
    expect(s.byPrefix<Row>('rows', 'group', '').map((r) => r.id)).toEqual(['a', 'b', 'c', 'd'])
    expect(() => s.get('rows', 'group', 'g')).toThrow(/not unique/)
    const txn = d.txn()
    txn.delete('rows', 'd')
    txn.commit()
    expect(d.snapshot().getAll('rows', 'group', 'h')).toEqual([])
    expect(d.snapshot().byPrefix('rows', 'group', 'h')).toEqual([])
    expect(s.getAll<Row>('rows', 'group', 'h').map((r) => r.id)).toEqual(['d'])
  })

  it('errors on unknown tables and indexes', () => {
    const s = db().snapshot()
    expect(() => s.get('nope', 'id', 'x')).toThrow(SchemaError)
    expect(() => s.get('rows', 'nope', 'x')).toThrow(SchemaError)
  })
})

describe('MemDB snapshots', () => {
  it('a snapshot never sees later writes, and a transaction sees its own', () => {
    const d = db()
    put(d, { id: 'a', group: 'g' })
    const before = d.snapshot()
    const txn = d.txn()
    txn.insert('rows', { id: 'b', group: 'g' })
    txn.delete('rows', 'a')
    expect(txn.all<Row>('rows').map((r) => r.id)).toEqual(['b'])
    expect(d.snapshot().all<Row>('rows').map((r) => r.id)).toEqual(['a'])
    txn.commit()
    expect(before.all<Row>('rows').map((r) => r.id)).toEqual(['a'])
    expect(before.getAll<Row>('rows', 'group', 'g').map((r) => r.id)).toEqual(['a'])
    expect(d.snapshot().all<Row>('rows').map((r) => r.id)).toEqual(['b'])
  })

  it('keeps many snapshots of a large table independent', () => {
    const d = db()
    const snaps = []
    for (let batch = 0; batch < 20; batch++) {
      const txn = d.txn()
      for (let i = 0; i < 500; i++) txn.insert('rows', { id: `k${batch}-${i}`, group: `g${i % 7}` })
      txn.commit()
      snaps.push(d.snapshot())
    }
    snaps.forEach((s, i) => expect(s.count('rows')).toBe((i + 1) * 500))
    expect(snaps[3]!.getAll('rows', 'group', 'g0').length).toBe(Math.ceil(500 / 7) * 4)
  })
})

describe('compound keys', () => {
  it('joins parts with a separator that sorts before every printable character', () => {
    expect(compoundKey('a', 'b')).toBe('a\x00b')
    expect(compoundKey('a', 'b', 'c')).toBe('a\x00b\x00c')
  })
})

describe('watch sets', () => {
  it('fire on a change of a watched key, not on an unrelated change', async () => {
    const d = db()
    put(d, { id: 'a', group: 'g' }, { id: 'b', group: 'h' })
    const ws = new WatchSet()
    d.snapshot().get('rows', 'id', 'a', ws)
    put(d, { id: 'b', group: 'h2' })
    expect(ws.fired).toBe(false)
    put(d, { id: 'a', group: 'g2' })
    expect(await ws.wait()).toBe('changed')
    expect(d.registry.watcherCount).toBe(0)
  })

  it('fire on an insert under a watched non-unique key or prefix', () => {
    const d = db()
    const byGroup = new WatchSet()
    const byPrefix = new WatchSet()
    const other = new WatchSet()
    const s = d.snapshot()
    s.getAll('rows', 'group', 'g', byGroup)
    s.byPrefix('rows', 'id', 'ab', byPrefix)
    s.getAll('rows', 'group', 'gg', other)
    put(d, { id: 'abc', group: 'g' })
    expect(byGroup.fired).toBe(true)
    expect(byPrefix.fired).toBe(true)
    expect(other.fired).toBe(false)
  })

  it('fire on a free prefix of a non-unique index, not on keys outside it', () => {
    const d = db()
    const ws = new WatchSet()
    d.snapshot().byPrefix('rows', 'group', 'gr', ws)
    put(d, { id: 'a', group: 'other' })
    expect(ws.fired).toBe(false)
    put(d, { id: 'b', group: 'green' })
    expect(ws.fired).toBe(true)
  })

  it('fire on delete', () => {
    const d = db()
    put(d, { id: 'a', group: 'g' })
    const ws = new WatchSet()
    d.snapshot().all('rows', ws)
    const txn = d.txn()
    txn.delete('rows', 'a')
    txn.commit()
    expect(ws.wakeReason).toBe('changed')
  })

  it('time out through the injected clock and release their registrations', async () => {
    const d = db()
    const clock = new SimClock(0)
    const ws = new WatchSet()
    d.snapshot().get('rows', 'id', 'a', ws)
    const p = ws.wait({ timeoutMs: 1000, clock })
    clock.advance(999)
    await Promise.resolve()
    expect(ws.fired).toBe(false)
    clock.advance(1)
    expect(await p).toBe('timeout')
    expect(d.registry.watcherCount).toBe(0)
  })

  it('wake on abandon, and fire at once when registered after it', async () => {
    const d = db()
    const ws = new WatchSet()
    d.snapshot().get('rows', 'id', 'a', ws)
    const p = ws.wait()
    d.registry.abandon()
    expect(await p).toBe('abandoned')
    const late = new WatchSet()
    d.snapshot().get('rows', 'id', 'a', late)
    expect(late.wakeReason).toBe('abandoned')
  })

  it('fire at once when the key changed between the snapshot and the read', () => {
    const d = db()
    const old = d.snapshot()
    put(d, { id: 'z', group: 'g' })
    const unrelated = new WatchSet()
    old.get('rows', 'id', 'a', unrelated)
    expect(unrelated.fired).toBe(false)
    const related = new WatchSet()
    old.get('rows', 'id', 'z', related)
    expect(related.fired).toBe(true)
  })

  it('fire on both the key an object left and the key it moved to, and on a missing key becoming set', () => {
    const d = db()
    put(d, { id: 'a', group: 'g' })
    const left = new WatchSet()
    const joined = new WatchSet()
    const tagged = new WatchSet()
    const s = d.snapshot()
    s.getAll('rows', 'group', 'g', left)
    s.getAll('rows', 'group', 'h', joined)
    s.get('rows', 'tag', 't', tagged)
    put(d, { id: 'a', group: 'h', tag: 't' })
    expect([left.fired, joined.fired, tagged.fired]).toEqual([true, true, true])
  })

  it('reject a wait when its signal aborts', async () => {
    const d = db()
    const ws = new WatchSet()
    d.snapshot().get('rows', 'id', 'a', ws)
    const ac = new AbortController()
    const p = ws.wait({ signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
    ws.close()
    expect(d.registry.watcherCount).toBe(0)
  })
})
