/**
 * A Raft server that survives kill -9: the write-ahead log behind a LogCache, snapshots in
 * hashicorp's file layout, and the TCP transport that speaks hashicorp/raft 1.1.2's wire format.
 * A single server bootstraps itself, applies a command and shuts down.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import {
  FileSnapshotStore, LogCache, Raft, WriteAheadLog, bootstrapCluster, createTcpTransport, hasExistingState,
  type FSM, type Log,
} from '@nomadic/raft'

/** Remembers every command it applied. */
class ListFSM implements FSM {
  readonly applied: string[] = []
  apply(log: Log): unknown {
    this.applied.push(log.Data.toString())
    return this.applied.length
  }
  snapshot() {
    const state = Buffer.from(JSON.stringify(this.applied))
    return { persist: async (sink: { write(b: Buffer): Promise<void>; close(): Promise<void> }) => { await sink.write(state); await sink.close() }, release() {} }
  }
  async restore(source: Readable): Promise<void> {
    const parts: Buffer[] = []
    for await (const chunk of source) parts.push(chunk as Buffer)
    this.applied.splice(0, this.applied.length, ...(JSON.parse(Buffer.concat(parts).toString()) as string[]))
  }
}

export async function main(): Promise<{ index: number; applied: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'raft-example-'))
  const wal = await WriteAheadLog.open(join(dir, 'wal'))
  const logStore = new LogCache(wal, 512)
  const snapshotStore = await FileSnapshotStore.open(dir, 2)
  const transport = await createTcpTransport('127.0.0.1:0')
  const options = { localID: 'server-1', heartbeatTimeout: 100, electionTimeout: 100, leaderLeaseTimeout: 50 }
  if (!(await hasExistingState(logStore, wal, snapshotStore))) {
    await bootstrapCluster(options, logStore, wal, snapshotStore, transport, {
      Servers: [{ Suffrage: 0, ID: 'server-1', Address: transport.localAddr() }],
    })
  }
  const fsm = new ListFSM()
  const raft = await Raft.create({ fsm, logStore, stableStore: wal, snapshotStore, transport }, options)
  await new Promise<void>((resolve) => raft.once('leadership', () => resolve()))
  const { index } = await raft.apply(Buffer.from('set x 1'))
  await raft.shutdown()
  await transport.close()
  await wal.close()
  await rm(dir, { recursive: true, force: true })
  return { index, applied: fsm.applied }
}
