/** A key/value state machine for tests and the simulation, with what its checks need to see. */
import type { Readable } from 'node:stream'
import type { FSM, FSMSnapshot, Log, SnapshotSink } from '../types.js'

/** A command of the key/value FSM; `id` names the client operation that sent it. */
export type KVCommand =
  | { op: 'put'; key: string; value: string; id: string }
  | { op: 'get'; key: string; id: string }

/** What a command returns. */
export type KVResponse = { ok: true; value: string | null }

/** Encodes a command as an entry's data. */
export function encodeKVCommand(command: KVCommand): Buffer {
  return Buffer.from(JSON.stringify(command))
}

/** Called for every entry the FSM applies. */
export type ApplyListener = (log: Log) => void

/**
 * Holds string values by key. Records the IDs of the operations it applied (they travel in its
 * snapshots), so a check can tell whether an acknowledged write reached every replica.
 */
export class KVStateMachine implements FSM {
  data = new Map<string, string>()
  /** Operation IDs applied, in order of application (restored from snapshots). */
  ops = new Set<string>()
  /** Index of the last applied command. */
  lastIndex = 0
  restores = 0

  constructor(private readonly onApply?: ApplyListener) {}

  apply(log: Log): KVResponse {
    const command = JSON.parse(log.Data.toString('utf8')) as KVCommand
    this.onApply?.(log)
    this.lastIndex = log.Index
    this.ops.add(command.id)
    if (command.op === 'put') {
      const previous = this.data.get(command.key) ?? null
      this.data.set(command.key, command.value)
      return { ok: true, value: previous }
    }
    return { ok: true, value: this.data.get(command.key) ?? null }
  }

  snapshot(): FSMSnapshot {
    const state = JSON.stringify({ data: [...this.data], ops: [...this.ops], lastIndex: this.lastIndex })
    return {
      persist: async (sink: SnapshotSink) => {
        await sink.write(Buffer.from(state))
        await sink.close()
      },
      release: () => {},
    }
  }

  async restore(source: Readable): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array))
    const state = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: [string, string][]; ops: string[]; lastIndex: number }
    this.data = new Map(state.data)
    this.ops = new Set(state.ops)
    this.lastIndex = state.lastIndex
    this.restores++
  }

  /** A stable fingerprint of the data, for comparing replicas. */
  fingerprint(): string {
    return JSON.stringify([...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  }
}
