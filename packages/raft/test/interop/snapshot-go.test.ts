/**
 * The file snapshot store against hashicorp/raft 1.1.2's FileSnapshotStore on the same
 * directory: each reads what the other wrote, CRC-64 included.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FileSnapshotStore } from '../../src/snapshot/file.js'
import type { Transport } from '../../src/types.js'
import { buildGo, haveGo } from './go.js'

describe.skipIf(!haveGo())("FileSnapshotStore against hashicorp's", () => {
  let bin: string
  let base: string
  beforeAll(() => {
    bin = buildGo('snapshot-go')
  })
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'nomadic-snap-go-'))
  })
  afterEach(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('Go opens a snapshot written by TypeScript', async () => {
    const store = await FileSnapshotStore.open(base, 2)
    const codec = { encodePeer: (_: string, a: string) => Buffer.from(a) } as unknown as Transport
    const sink = await store.create(1, 9000, 6, { Servers: [{ Suffrage: 0, ID: 'a', Address: '127.0.0.1:9001' }] }, 12, codec)
    const data = 'x'.repeat(300_000) + 'end'
    await sink.write(Buffer.from(data.slice(0, 100_000)))
    await sink.write(Buffer.from(data.slice(100_000)))
    await sink.close()
    const out = JSON.parse(execFileSync(bin, ['-dir', base, 'read']).toString()) as { meta: Record<string, unknown>; data: string }
    expect(out.data).toBe(data)
    expect(out.meta).toMatchObject({
      ID: sink.id(), Index: 9000, Term: 6, ConfigurationIndex: 12, Size: data.length, Version: 1,
      Configuration: { Servers: [{ Suffrage: 0, ID: 'a', Address: '127.0.0.1:9001' }] },
    })
  })

  it('TypeScript opens a snapshot written by Go, and refuses it once corrupted', async () => {
    const { id } = JSON.parse(execFileSync(bin, ['-dir', base, '-data', 'state from go', 'write']).toString()) as { id: string }
    const store = await FileSnapshotStore.open(base, 2)
    const [meta] = await store.list()
    expect(meta).toMatchObject({ ID: id, Index: 42, Term: 3, ConfigurationIndex: 7, Size: 13 })
    expect(meta!.Configuration.Servers).toEqual([
      { Suffrage: 0, ID: 'n1', Address: '127.0.0.1:7001' },
      { Suffrage: 1, ID: 'n2', Address: '127.0.0.1:7002' },
    ])
    const opened = await store.open(id)
    const parts: Buffer[] = []
    for await (const c of opened.reader) parts.push(c as Buffer)
    expect(Buffer.concat(parts).toString()).toBe('state from go')
    await writeFile(join(base, 'snapshots', id, 'state.bin'), 'state from gO')
    await expect(store.open(id)).rejects.toThrow('CRC mismatch')
    expect(() => execFileSync(bin, ['-dir', base, 'read'], { stdio: 'pipe' })).toThrow(/CRC mismatch/)
  })
})
