/** Snapshot stores in memory: InmemSnapshotStore keeps the newest; DiscardSnapshotStore keeps none. */
import { Readable } from 'node:stream'
import { newSnapshotMeta } from './meta.js'
import { RaftError } from '../errors.js'
import type {
  Configuration, OpenedSnapshot, SnapshotMeta, SnapshotSink, SnapshotStore, SnapshotVersion, Transport,
} from '../types.js'

/** Keeps only the newest snapshot, in memory (hashicorp's InmemSnapshotStore). */
export class InmemSnapshotStore implements SnapshotStore {
  private latest: { meta: SnapshotMeta; data: Buffer } | undefined
  private seq = 0

  async create(
    version: SnapshotVersion, index: number, term: number, configuration: Configuration, configurationIndex: number,
    transport: Transport,
  ): Promise<SnapshotSink> {
    const meta = newSnapshotMeta(`${term}-${index}-${++this.seq}`, version, index, term, configuration, configurationIndex, transport)
    const chunks: Buffer[] = []
    let done = false
    return {
      id: () => meta.ID,
      write: async (chunk) => {
        if (done) throw new RaftError('RAFT_SNAPSHOT_CLOSED', 'snapshot sink is closed')
        chunks.push(Buffer.from(chunk))
      },
      close: async () => {
        if (done) return
        done = true
        const data = Buffer.concat(chunks)
        this.latest = { meta: { ...meta, Size: data.length }, data }
      },
      cancel: async () => {
        done = true
      },
    }
  }

  async list(): Promise<SnapshotMeta[]> {
    return this.latest === undefined ? [] : [{ ...this.latest.meta }]
  }

  async open(id: string): Promise<OpenedSnapshot> {
    const latest = this.latest
    if (latest === undefined || latest.meta.ID !== id) {
      throw new RaftError('RAFT_SNAPSHOT_NOT_FOUND', `[ERR] snapshot: failed to open snapshot id: ${id}`)
    }
    return { meta: { ...latest.meta }, reader: Readable.from([latest.data], { objectMode: false }) }
  }
}

/** Accepts snapshots and throws them away (hashicorp's DiscardSnapshotStore, Nomad's dev mode). */
export class DiscardSnapshotStore implements SnapshotStore {
  async create(): Promise<SnapshotSink> {
    return {
      id: () => 'discard',
      write: async () => {},
      close: async () => {},
      cancel: async () => {},
    }
  }

  async list(): Promise<SnapshotMeta[]> {
    return []
  }

  async open(id: string): Promise<OpenedSnapshot> {
    throw new RaftError('RAFT_SNAPSHOT_NOT_FOUND', `can't open snapshot ${id}: snapshots are discarded`)
  }
}
