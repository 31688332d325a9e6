/**
 * An LRU cache of recent entries in front of any LogStore, as hashicorp's LogCache: the leader
 * reads what it just wrote once per follower, and those reads should not touch the disk.
 */
import { LRUCache } from 'lru-cache'
import type { Log, LogStore } from '../types.js'

/** Nomad wraps its log store in a cache of 512 entries. */
export const DEFAULT_LOG_CACHE_SIZE = 512

/**
 * Caches entries by index. Writes go to the store first and enter the cache only once stored;
 * `deleteRange` empties the cache (as hashicorp's does), so a truncated entry is never served.
 */
export class LogCache implements LogStore {
  private readonly cache: LRUCache<number, Log>

  constructor(
    readonly store: LogStore,
    size = DEFAULT_LOG_CACHE_SIZE,
  ) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError('LogCache size must be a positive integer')
    this.cache = new LRUCache({ max: size })
  }

  async getLog(index: number): Promise<Log | undefined> {
    const cached = this.cache.get(index)
    if (cached !== undefined) return cached
    return this.store.getLog(index)
  }

  async storeLog(log: Log): Promise<void> {
    return this.storeLogs([log])
  }

  async storeLogs(logs: readonly Log[]): Promise<void> {
    await this.store.storeLogs(logs)
    for (const l of logs) this.cache.set(l.Index, l)
  }

  firstIndex(): Promise<number> {
    return this.store.firstIndex()
  }

  lastIndex(): Promise<number> {
    return this.store.lastIndex()
  }

  async deleteRange(min: number, max: number): Promise<void> {
    this.cache.clear()
    await this.store.deleteRange(min, max)
    // An append that finished while the delete was queued may have cached a deleted entry.
    this.cache.clear()
  }
}
