/**
 * Behaviour every LogStore and StableStore must show. Call these inside a test file with a factory
 * for the store under test: `logStoreCompliance('InmemStore', async () => new InmemStore())`.
 */
import { describe, expect, it } from 'vitest'
import { LogType, type Log, type LogStore, type StableStore } from '../../src/types.js'

const entry = (index: number, term = 1, data = `d${index}`): Log => ({
  Index: index, Term: term, Type: LogType.Command, Data: Buffer.from(data), Extensions: Buffer.alloc(0),
})

export function logStoreCompliance(name: string, create: () => Promise<LogStore>, cleanup?: (store: LogStore) => Promise<void>): void {
  describe(`${name} as a LogStore`, () => {
    it('is empty at first', async () => {
      const store = await create()
      expect(await store.firstIndex()).toBe(0)
      expect(await store.lastIndex()).toBe(0)
      expect(await store.getLog(1)).toBeUndefined()
      await cleanup?.(store)
    })

    it('stores entries one by one and in batches, and reads them back', async () => {
      const store = await create()
      await store.storeLog(entry(1))
      await store.storeLogs([entry(2), entry(3, 2, 'x')])
      expect(await store.firstIndex()).toBe(1)
      expect(await store.lastIndex()).toBe(3)
      const got = await store.getLog(3)
      expect(got?.Term).toBe(2)
      expect(got?.Type).toBe(LogType.Command)
      expect(got?.Data.toString()).toBe('x')
      await cleanup?.(store)
    })

    it('deletes a prefix (compaction) and a suffix (conflict)', async () => {
      const store = await create()
      await store.storeLogs([1, 2, 3, 4, 5, 6].map((i) => entry(i)))
      await store.deleteRange(1, 2)
      expect(await store.firstIndex()).toBe(3)
      expect(await store.getLog(2)).toBeUndefined()
      await store.deleteRange(5, 6)
      expect(await store.lastIndex()).toBe(4)
      expect(await store.getLog(5)).toBeUndefined()
      await store.storeLogs([entry(5, 3), entry(6, 3)])
      expect((await store.getLog(6))?.Term).toBe(3)
      await store.deleteRange(3, 6)
      expect(await store.lastIndex()).toBe(0)
      expect(await store.firstIndex()).toBe(0)
      await cleanup?.(store)
    })
  })
}

export function stableStoreCompliance(name: string, create: () => Promise<StableStore>, cleanup?: (store: StableStore) => Promise<void>): void {
  describe(`${name} as a StableStore`, () => {
    it('returns undefined and 0 for keys never set', async () => {
      const store = await create()
      expect(await store.get('LastVoteCand')).toBeUndefined()
      expect(await store.getUint64('CurrentTerm')).toBe(0)
      await cleanup?.(store)
    })

    it('keeps bytes and integers by key, overwriting', async () => {
      const store = await create()
      await store.set('LastVoteCand', Buffer.from('10.0.0.1:4647'))
      await store.setUint64('CurrentTerm', 7)
      await store.setUint64('CurrentTerm', 2 ** 40)
      expect((await store.get('LastVoteCand'))?.toString()).toBe('10.0.0.1:4647')
      expect(await store.getUint64('CurrentTerm')).toBe(2 ** 40)
      await cleanup?.(store)
    })
  })
}
