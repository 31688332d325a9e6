import { appendFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WalCorruptionError, WriteAheadLog } from '../../src/store/wal.js'
import { LogCache } from '../../src/store/log-cache.js'
import type { Log, LogStore } from '../../src/types.js'

const entry = (Index: number, Term = 1, data = `entry-${Index}`): Log =>
  ({ Index, Term, Type: 0, Data: Buffer.from(data), Extensions: Buffer.alloc(0) })

let dir: string
let open: WriteAheadLog[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nomadic-wal-'))
  open = []
})
afterEach(async () => {
  for (const w of open) await w.close()
  await rm(dir, { recursive: true, force: true })
})

async function wal(options = {}): Promise<WriteAheadLog> {
  const w = await WriteAheadLog.open(dir, options)
  open.push(w)
  return w
}

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort()
}

describe('WriteAheadLog', () => {
  it('stores, reads and deletes entries, and recovers them after reopening', async () => {
    const w = await wal()
    expect([await w.firstIndex(), await w.lastIndex()]).toEqual([0, 0])
    await w.storeLogs([entry(1), entry(2), entry(3), entry(4), entry(5)])
    await w.storeLog(entry(6, 2, ''))
    expect(await w.getLog(3)).toEqual(entry(3))
    expect(await w.getLog(6)).toEqual(entry(6, 2, ''))
    expect(await w.getLog(7)).toBeUndefined()
    await w.deleteRange(1, 2) // compaction
    await w.deleteRange(5, 6) // conflict truncation
    await w.storeLogs([entry(5, 3, 'new')])
    expect([await w.firstIndex(), await w.lastIndex()]).toEqual([3, 5])
    await w.close()

    const again = await wal()
    expect([await again.firstIndex(), await again.lastIndex()]).toEqual([3, 5])
    expect(await again.getLog(2)).toBeUndefined()
    expect(await again.getLog(5)).toEqual(entry(5, 3, 'new'))
    expect(again.recovery.truncatedBytes).toBe(0)
  })

  it('keeps the stable store across restarts', async () => {
    const w = await wal()
    expect(await w.getUint64('CurrentTerm')).toBe(0)
    expect(await w.get('LastVoteCand')).toBeUndefined()
    await w.setUint64('CurrentTerm', 7)
    await w.set('LastVoteCand', Buffer.from('127.0.0.1:7001'))
    await w.setUint64('CurrentTerm', 2 ** 40)
    await w.close()
    const again = await wal()
    expect(await again.getUint64('CurrentTerm')).toBe(2 ** 40)
    expect((await again.get('LastVoteCand'))!.toString()).toBe('127.0.0.1:7001')
  })

  it('commits concurrent appends as a group: fewer syncs than appends', async () => {
    const w = await wal()
    const before = w.stats().syncs
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.storeLog(entry(i + 1))))
    await w.setUint64('CurrentTerm', 3)
    const { syncs, records } = w.stats()
    expect(records).toBe(201)
    expect(syncs - before).toBeLessThan(10)
    expect(await w.lastIndex()).toBe(200)
  })

  it('rolls segments, checkpoints the stable store into each, and deletes compacted segments', async () => {
    const w = await wal({ segmentBytes: 2048 })
    await w.setUint64('CurrentTerm', 4)
    for (let i = 1; i <= 200; i += 10) await w.storeLogs(Array.from({ length: 10 }, (_, j) => entry(i + j)))
    const many = (await segments()).length
    expect(many).toBeGreaterThan(2)
    await w.deleteRange(1, 180)
    expect((await segments()).length).toBeLessThan(many)
    await w.close()
    const again = await wal({ segmentBytes: 2048 })
    expect(await again.getUint64('CurrentTerm')).toBe(4)
    expect([await again.firstIndex(), await again.lastIndex()]).toEqual([181, 200])
    expect(await again.getLog(190)).toEqual(entry(190))
  })

  it('cuts a torn last record and keeps every complete one', async () => {
    const w = await wal()
    await w.storeLogs([entry(1), entry(2), entry(3)])
    await w.close()
    const [seg] = await segments()
    const path = join(dir, seg!)
    const size = (await readFile(path)).length
    await truncate(path, size - 5)
    const again = await wal()
    expect(again.recovery.truncatedBytes).toBeGreaterThan(0)
    expect(await again.lastIndex()).toBe(2)
    await again.storeLog(entry(3, 2))
    await again.close()
    const third = await wal()
    expect(await third.getLog(3)).toEqual(entry(3, 2))
    expect(third.recovery.truncatedBytes).toBe(0)
  })

  it('treats zeros after the last record as a torn tail', async () => {
    const w = await wal()
    await w.storeLogs([entry(1), entry(2)])
    await w.close()
    const [seg] = await segments()
    await appendFile(join(dir, seg!), Buffer.alloc(4096))
    const again = await wal()
    expect(again.recovery.truncatedBytes).toBe(4096)
    expect(await again.lastIndex()).toBe(2)
  })

  it('refuses to start on corruption before the tail, naming the file and offset', async () => {
    const w = await wal()
    await w.storeLogs([entry(1), entry(2), entry(3)])
    await w.close()
    const [seg] = await segments()
    const path = join(dir, seg!)
    const bytes = await readFile(path)
    const secondRecord = 8 + bytes.readUInt32BE(8) + 8 // magic + first record
    bytes[secondRecord + 12] ^= 0xff // a byte inside the second record's body
    await writeFile(path, bytes)
    const err = await WriteAheadLog.open(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WalCorruptionError)
    expect(err).toMatchObject({ code: 'RAFT_WAL_CORRUPT', file: path, offset: secondRecord, reason: 'checksum mismatch' })
    expect((err as Error).message).toContain(`${path} at offset ${secondRecord}`)
    // Nothing was changed: the file is as it was.
    expect((await readFile(path)).equals(bytes)).toBe(true)
  })

  it('refuses a sealed segment that ends inside a record, and a file that is not a segment', async () => {
    const w = await wal({ segmentBytes: 256 })
    for (let i = 1; i <= 20; i++) await w.storeLog(entry(i))
    await w.close()
    const names = await segments()
    expect(names.length).toBeGreaterThan(2)
    const sealed = join(dir, names[0]!)
    const size = (await readFile(sealed)).length
    await truncate(sealed, size - 3)
    await expect(WriteAheadLog.open(dir)).rejects.toMatchObject({ code: 'RAFT_WAL_CORRUPT', file: sealed, reason: expect.stringMatching(/sealed/) })
    await writeFile(sealed, 'not a wal at all')
    await expect(WriteAheadLog.open(dir)).rejects.toMatchObject({ code: 'RAFT_WAL_CORRUPT', offset: 0 })
  })

  it('rejects writes after close', async () => {
    const w = await wal()
    await w.close()
    await w.close()
    await expect(w.storeLog(entry(1))).rejects.toMatchObject({ code: 'RAFT_WAL_CLOSED' })
  })
})

describe('LogCache', () => {
  class CountingStore implements LogStore {
    readonly logs = new Map<number, Log>()
    reads = 0
    async firstIndex() { return Math.min(...this.logs.keys(), Infinity) === Infinity ? 0 : Math.min(...this.logs.keys()) }
    async lastIndex() { return this.logs.size === 0 ? 0 : Math.max(...this.logs.keys()) }
    async getLog(i: number) { this.reads++; return this.logs.get(i) }
    async storeLog(l: Log) { this.logs.set(l.Index, l) }
    async storeLogs(ls: readonly Log[]) { for (const l of ls) this.logs.set(l.Index, l) }
    async deleteRange(min: number, max: number) { for (let i = min; i <= max; i++) this.logs.delete(i) }
  }

  it('serves recent entries without reading the store, and never serves deleted ones', async () => {
    const store = new CountingStore()
    const cache = new LogCache(store, 4)
    await cache.storeLogs([entry(1), entry(2), entry(3), entry(4), entry(5), entry(6)])
    expect(await cache.getLog(6)).toEqual(entry(6))
    expect(await cache.getLog(3)).toEqual(entry(3))
    expect(store.reads).toBe(0)
    expect(await cache.getLog(1)).toEqual(entry(1)) // evicted: read through
    expect(store.reads).toBe(1)
    await cache.deleteRange(5, 6)
    expect(await cache.getLog(6)).toBeUndefined()
    expect(await cache.lastIndex()).toBe(4)
    expect(() => new LogCache(store, 0)).toThrow(RangeError)
  })
})
