import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimClock } from '@nomadic/runtime'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileSnapshotStore, SnapshotError } from '../../src/snapshot/file.js'
import { readConfigJson, readPeersJson } from '../../src/recovery.js'
import type { Configuration, Transport } from '../../src/types.js'

const peerCodec = {
  encodePeer: (_id: string, address: string) => Buffer.from(address),
  decodePeer: (b: Buffer) => b.toString(),
} as unknown as Transport

const configuration: Configuration = {
  Servers: [
    { Suffrage: 0, ID: 'id1', Address: '10.0.0.1:4647' },
    { Suffrage: 1, ID: 'id2', Address: '10.0.0.2:4647' },
  ],
}

/** meta.json written by hashicorp/raft 1.1.2 for state.bin = "hello snapshot" (see reference notes). */
const GO_META = '{"Version":1,"ID":"3-100-1795964181802","Index":100,"Term":3,"Peers":"ka0xMC4wLjAuMTo0NjQ3",'
  + '"Configuration":{"Servers":[{"Suffrage":0,"ID":"id1","Address":"10.0.0.1:4647"},{"Suffrage":1,"ID":"id2","Address":"10.0.0.2:4647"}]},'
  + '"ConfigurationIndex":7,"Size":14,"CRC":"w8Y25hsorqM="}\n'

let base: string
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nomadic-snap-'))
})
afterEach(async () => {
  await rm(base, { recursive: true, force: true })
})

async function readAll(r: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = []
  for await (const c of r) parts.push(c as Buffer)
  return Buffer.concat(parts).toString()
}

describe('FileSnapshotStore', () => {
  it('writes meta.json byte for byte as hashicorp/raft does', async () => {
    const clock = new SimClock(1795964181802)
    const store = await FileSnapshotStore.open(base, 2, { clock })
    const sink = await store.create(1, 100, 3, configuration, 7, peerCodec)
    expect(sink.id()).toBe('3-100-1795964181802')
    // While open it lives in a .tmp directory that list() ignores.
    expect(await readdir(join(base, 'snapshots'))).toEqual(['3-100-1795964181802.tmp'])
    expect(await store.list()).toEqual([])
    await sink.write(Buffer.from('hello '))
    await sink.write(Buffer.from('snapshot'))
    await sink.close()
    expect(await readFile(join(base, 'snapshots', '3-100-1795964181802', 'meta.json'), 'utf8')).toBe(GO_META)
    const opened = await store.open('3-100-1795964181802')
    expect(opened.meta).toMatchObject({ Index: 100, Term: 3, ConfigurationIndex: 7, Size: 14, Configuration: configuration })
    expect(await readAll(opened.reader)).toBe('hello snapshot')
  })

  it("opens a snapshot written by Go's store", async () => {
    const dir = join(base, 'snapshots', '3-100-1795964181802')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'meta.json'), GO_META)
    await writeFile(join(dir, 'state.bin'), 'hello snapshot')
    const store = await FileSnapshotStore.open(base, 2)
    const [meta] = await store.list()
    expect(meta!.Peers.toString('hex')).toBe('91ad31302e302e302e313a34363437')
    expect(await readAll((await store.open(meta!.ID)).reader)).toBe('hello snapshot')
  })

  it('keeps the newest `retain` snapshots, lists newest first and skips corrupt ones when opening the latest', async () => {
    const clock = new SimClock(1000)
    const store = await FileSnapshotStore.open(base, 2, { clock })
    for (const [term, index] of [[1, 10], [2, 20], [2, 30]] as const) {
      clock.advance(1)
      const sink = await store.create(1, index, term, configuration, 1, peerCodec)
      await sink.write(Buffer.from(`state at ${index}`))
      await sink.close()
    }
    const list = await store.list()
    expect(list.map((m) => m.Index)).toEqual([30, 20])
    expect((await readdir(join(base, 'snapshots'))).length).toBe(2)
    // Corrupt the newest: open() refuses it, openLatest() falls back to the next.
    await writeFile(join(base, 'snapshots', list[0]!.ID, 'state.bin'), 'state at 31')
    await expect(store.open(list[0]!.ID)).rejects.toThrow(SnapshotError)
    await expect(store.open(list[0]!.ID)).rejects.toThrow('CRC mismatch')
    const latest = await store.openLatest()
    expect(latest!.meta.Index).toBe(20)
    expect(await readAll(latest!.reader)).toBe('state at 20')
    // Unreadable metadata is skipped by list().
    await writeFile(join(base, 'snapshots', list[1]!.ID, 'meta.json'), '{nope')
    expect((await store.list()).map((m) => m.Index)).toEqual([30])
  })

  it('cancel removes the partial snapshot; abandoned .tmp directories go on the next open', async () => {
    const store = await FileSnapshotStore.open(base, 1)
    const sink = await store.create(1, 5, 1, configuration, 1, peerCodec)
    await sink.write(Buffer.alloc(1000))
    await sink.cancel()
    expect(await readdir(join(base, 'snapshots'))).toEqual([])
    await mkdir(join(base, 'snapshots', '1-9-1.tmp'))
    await FileSnapshotStore.open(base, 1)
    expect(await readdir(join(base, 'snapshots'))).toEqual([])
    await expect(store.open('../../etc')).rejects.toThrow(SnapshotError)
    await expect(FileSnapshotStore.open(base, 0)).rejects.toThrow(RangeError)
  })
})

describe('readPeersJson / readConfigJson', () => {
  it('reads protocol 2 address lists and protocol 3 server lists', async () => {
    const p = join(base, 'peers.json')
    await writeFile(p, '["10.0.0.1:4647","10.0.0.2:4647"]')
    expect(await readPeersJson(p)).toEqual({
      Servers: [
        { Suffrage: 0, ID: '10.0.0.1:4647', Address: '10.0.0.1:4647' },
        { Suffrage: 0, ID: '10.0.0.2:4647', Address: '10.0.0.2:4647' },
      ],
    })
    await writeFile(p, '[{"id":"a","address":"10.0.0.1:4647","non_voter":false,"extra":1},{"id":"b","address":"10.0.0.2:4647","non_voter":true},{"id":"c","address":"10.0.0.3:4647"}]')
    expect((await readConfigJson(p)).Servers.map((s) => [s.ID, s.Suffrage])).toEqual([['a', 0], ['b', 1], ['c', 0]])
    // Keys match without regard to case, as Go's decoder does.
    await writeFile(p, '[{"ID":"a","Address":"10.0.0.1:4647","Non_Voter":false}]')
    expect(await readConfigJson(p)).toEqual({ Servers: [{ Suffrage: 0, ID: 'a', Address: '10.0.0.1:4647' }] })
  })

  it("refuses what Go's checkConfiguration refuses, with its messages", async () => {
    const p = join(base, 'peers.json')
    const cases: Array<[string, RegExp]> = [
      ['[{"id":"","address":"x"}]', /^Empty ID in configuration/],
      ['[{"id":"a"}]', /^Empty address in configuration/],
      ['[{"id":"a","address":"x"},{"id":"a","address":"y"}]', /^Found duplicate ID in configuration: a/],
      ['[{"id":"a","address":"x"},{"id":"b","address":"x"}]', /^Found duplicate address in configuration: x/],
      ['[{"id":"a","address":"x","non_voter":true}]', /^Need at least one voter/],
      ['{"id":"a"}', /expected a JSON array/],
      ['[1', /peers.json/],
    ]
    for (const [text, message] of cases) {
      await writeFile(p, text)
      await expect(readConfigJson(p), text).rejects.toMatchObject({ code: 'RAFT_INVALID_CONFIGURATION', message: expect.stringMatching(message) })
    }
    await writeFile(p, '["a","a"]')
    await expect(readPeersJson(p)).rejects.toThrow(/duplicate ID/)
  })
})
