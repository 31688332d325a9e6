/** LogStore and StableStore in memory (hashicorp's InmemStore): for tests, dev mode, and simulations. */
import type { Log, LogStore, StableStore } from '../types.js'

/**
 * Keeps the log and the stable values in maps. Entries are copied in and out, so callers cannot
 * change what was stored. In a simulation it stands for a disk: it survives a node's crash.
 */
export class InmemStore implements LogStore, StableStore {
  private low = 0
  private high = 0
  private readonly logs = new Map<number, Log>()
  private readonly kv = new Map<string, Buffer>()
  private readonly kvInt = new Map<string, number>()

  async firstIndex(): Promise<number> {
    return this.low
  }

  async lastIndex(): Promise<number> {
    return this.high
  }

  async getLog(index: number): Promise<Log | undefined> {
    const log = this.logs.get(index)
    return log === undefined ? undefined : { ...log }
  }

  /** Synchronous read of the entry at `index` (for tests and simulations); do not modify it. */
  peek(index: number): Log | undefined {
    return this.logs.get(index)
  }

  /** Synchronous first and last index (for tests and simulations). */
  bounds(): { first: number; last: number } {
    return { first: this.low, last: this.high }
  }

  async storeLog(log: Log): Promise<void> {
    this.put(log)
  }

  async storeLogs(logs: readonly Log[]): Promise<void> {
    for (const log of logs) this.put(log)
  }

  private put(log: Log): void {
    this.logs.set(log.Index, { ...log })
    if (this.low === 0 || log.Index < this.low) this.low = log.Index
    if (log.Index > this.high) this.high = log.Index
  }

  async deleteRange(min: number, max: number): Promise<void> {
    for (let i = min; i <= max; i++) this.logs.delete(i)
    if (min <= this.low) this.low = max + 1
    if (max >= this.high) this.high = min - 1
    if (this.low > this.high || this.logs.size === 0) {
      this.low = 0
      this.high = 0
    }
  }

  async set(key: string, value: Buffer): Promise<void> {
    this.kv.set(key, Buffer.from(value))
  }

  async get(key: string): Promise<Buffer | undefined> {
    const v = this.kv.get(key)
    return v === undefined ? undefined : Buffer.from(v)
  }

  async setUint64(key: string, value: number): Promise<void> {
    this.kvInt.set(key, value)
  }

  async getUint64(key: string): Promise<number> {
    return this.kvInt.get(key) ?? 0
  }
}
