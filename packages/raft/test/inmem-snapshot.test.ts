import { describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { DiscardSnapshotStore, InmemSnapshotStore } from '../src/snapshot/inmem.js'
import { InmemTransport } from '../src/transport/inmem.js'
import { RaftError } from '../src/errors.js'

const configuration = { Servers: [{ Suffrage: 0 as const, ID: 'a', Address: 'a' }] }
const transport = new InmemTransport({ address: 'a', clock: new SimClock() })

async function read(reader: AsyncIterable<unknown>): Promise<string> {
  let text = ''
  for await (const chunk of reader) text += Buffer.from(chunk as Uint8Array).toString()
  return text
}

describe('InmemSnapshotStore', () => {
  it('keeps the newest closed snapshot and ignores cancelled ones', async () => {
    const store = new InmemSnapshotStore()
    expect(await store.list()).toEqual([])
    const first = await store.create(1, 10, 2, configuration, 1, transport)
    await first.write(Buffer.from('hello '))
    await first.write(Buffer.from('world'))
    await first.close()
    const cancelled = await store.create(1, 20, 2, configuration, 1, transport)
    await cancelled.write(Buffer.from('nope'))
    await cancelled.cancel()
    const [meta] = await store.list()
    expect(meta).toMatchObject({ Version: 1, Index: 10, Term: 2, Size: 11, ConfigurationIndex: 1, Configuration: configuration })
    const opened = await store.open(meta!.ID)
    expect(await read(opened.reader)).toBe('hello world')
    await expect(store.open('missing')).rejects.toBeInstanceOf(RaftError)
    await expect(first.write(Buffer.from('late'))).rejects.toBeInstanceOf(RaftError)
  })
})

describe('DiscardSnapshotStore', () => {
  it('accepts snapshots and keeps none', async () => {
    const store = new DiscardSnapshotStore()
    const sink = await store.create()
    await sink.write(Buffer.from('x'))
    await sink.close()
    expect(await store.list()).toEqual([])
    await expect(store.open(sink.id())).rejects.toThrow(/discarded/)
  })
})
