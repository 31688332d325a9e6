import type { Clock } from '@nomadic/runtime'
import { systemClock } from '@nomadic/runtime'

/** Separates the parts of a compound index key; watches "by prefix" at these boundaries are cheap. */
export const KEY_SEPARATOR = '\x00'

/** Why a {@link WatchSet} stopped waiting. */
export type WakeReason = 'changed' | 'timeout' | 'abandoned'

/** How a read depends on an index: one exact key, or every key under a prefix. */
export type WatchKind = 'exact' | 'prefix'

/**
 * The keys one index changed in a commit (before and after images). For a non-unique index the
 * keys come in pairs, index key then primary key (the object's place is `key \0 primary`), so
 * the write path never builds the joined string.
 */
export interface ChangedKeys {
  paired: boolean
  keys: string[]
}

/** The keys a commit changed, by `table\0index`. */
export type ChangeSet = Map<string, ChangedKeys>

/** Calls `fn` with each changed key as one string (joins pairs), until it returns true. */
function forEachJoined(changed: ChangedKeys, fn: (key: string) => boolean | void): boolean {
  const { keys, paired } = changed
  for (let i = 0; i < keys.length; i += paired ? 2 : 1) {
    const key = paired ? keys[i]! + KEY_SEPARATOR + keys[i + 1]! : keys[i]!
    if (fn(key) === true) return true
  }
  return false
}

interface Registration {
  slot: string
  kind: WatchKind | 'free'
  key: string
}

interface IndexWatches {
  exact: Map<string, Set<WatchSet>>
  /** prefixes that are empty or end at a key separator: found by cutting changed keys there */
  boundary: Map<string, Set<WatchSet>>
  /** any other prefix (an ID prefix a user typed): checked one by one */
  free: Map<string, Set<WatchSet>>
}

interface LoggedCommit {
  version: number
  changes: ChangeSet
}

/** How many past commits are remembered to decide whether a read from an older snapshot is stale. */
const CHANGE_LOG_LENGTH = 64

/** The slot name of an index in the registry. */
export function watchSlot(table: string, index: string): string {
  return table + KEY_SEPARATOR + index
}

/**
 * Who waits on which index keys of one store. A commit hands it the keys it changed and every
 * {@link WatchSet} that read one of them wakes; `abandon()` (the store was replaced by a restore)
 * wakes everyone and any later read at once.
 */
export class WatchRegistry {
  private readonly slots = new Map<string, IndexWatches>()
  private readonly log: LoggedCommit[] = []
  private abandonedFlag = false
  /** the version of the last commit told to {@link notify} */
  private version = 0

  /** True once the store was abandoned. */
  get abandoned(): boolean {
    return this.abandonedFlag
  }

  /** Number of watch sets still registered (for tests and metrics). */
  get watcherCount(): number {
    const sets = new Set<WatchSet>()
    for (const w of this.slots.values()) {
      for (const group of [w.exact, w.boundary, w.free]) for (const s of group.values()) for (const ws of s) sets.add(ws)
    }
    return sets.size
  }

  /**
   * Registers `ws` on a key or prefix read from a snapshot taken at `readVersion`. When a later
   * commit already changed what was read, the watch set fires at once.
   */
  register(ws: WatchSet, table: string, index: string, kind: WatchKind, key: string, readVersion: number): void {
    if (ws.fired) return
    if (this.abandonedFlag) {
      ws.fire('abandoned')
      return
    }
    const slot = watchSlot(table, index)
    if (readVersion < this.version && this.changedSince(readVersion, slot, kind, key)) {
      ws.fire('changed')
      return
    }
    let watches = this.slots.get(slot)
    if (watches === undefined) {
      watches = { exact: new Map(), boundary: new Map(), free: new Map() }
      this.slots.set(slot, watches)
    }
    const regKind: Registration['kind'] =
      kind === 'exact' ? 'exact' : key === '' || key.endsWith(KEY_SEPARATOR) ? 'prefix' : 'free'
    const group = regKind === 'exact' ? watches.exact : regKind === 'prefix' ? watches.boundary : watches.free
    let set = group.get(key)
    if (set === undefined) {
      set = new Set()
      group.set(key, set)
    }
    set.add(ws)
    ws.attach(this, { slot, kind: regKind, key })
  }

  /** Removes one registration of `ws` (called when it fires or is closed). */
  unregister(ws: WatchSet, reg: Registration): void {
    const watches = this.slots.get(reg.slot)
    if (watches === undefined) return
    const group = reg.kind === 'exact' ? watches.exact : reg.kind === 'prefix' ? watches.boundary : watches.free
    const set = group.get(reg.key)
    if (set === undefined) return
    set.delete(ws)
    if (set.size === 0) group.delete(reg.key)
    if (watches.exact.size === 0 && watches.boundary.size === 0 && watches.free.size === 0) this.slots.delete(reg.slot)
  }

  /** Records a commit's changes and wakes the watch sets that read any of them. */
  notify(version: number, changes: ChangeSet): void {
    this.version = version
    this.log.push({ version, changes })
    if (this.log.length > CHANGE_LOG_LENGTH) this.log.shift()
    if (this.slots.size === 0) return
    const woken = new Set<WatchSet>()
    for (const [slot, changed] of changes) {
      const watches = this.slots.get(slot)
      if (watches === undefined) continue
      // A slot is dropped once its last watch goes, so every match below needs the joined key.
      forEachJoined(changed, (key) => collectMatches(watches, key, woken))
    }
    for (const ws of woken) ws.fire('changed')
  }

  /** Wakes every watcher with `abandoned`; later registrations fire at once. */
  abandon(): void {
    this.abandonedFlag = true
    const all = new Set<WatchSet>()
    for (const w of this.slots.values()) {
      for (const group of [w.exact, w.boundary, w.free]) for (const s of group.values()) for (const ws of s) all.add(ws)
    }
    for (const ws of all) ws.fire('abandoned')
    this.slots.clear()
  }

  private changedSince(readVersion: number, slot: string, kind: WatchKind, key: string): boolean {
    const oldest = this.log[0]
    // The log no longer reaches back to the read: assume a change (a spurious wake is safe).
    if (oldest === undefined || oldest.version > readVersion + 1) return true
    for (const entry of this.log) {
      if (entry.version <= readVersion) continue
      const changed = entry.changes.get(slot)
      if (changed === undefined) continue
      if (forEachJoined(changed, (k) => (kind === 'exact' ? k === key : k.startsWith(key)))) return true
    }
    return false
  }
}

/** Adds the watch sets that a change of `key` wakes. */
function collectMatches(watches: IndexWatches, key: string, into: Set<WatchSet>): void {
  const add = (set: Set<WatchSet> | undefined): void => {
    if (set !== undefined) for (const ws of set) into.add(ws)
  }
  add(watches.exact.get(key))
  if (watches.boundary.size > 0) {
    add(watches.boundary.get(''))
    let at = key.indexOf(KEY_SEPARATOR)
    while (at !== -1) {
      add(watches.boundary.get(key.slice(0, at + 1)))
      at = key.indexOf(KEY_SEPARATOR, at + 1)
    }
  }
  for (const [prefix, set] of watches.free) if (key.startsWith(prefix)) add(set)
}

/** Options of {@link WatchSet.wait}. */
export interface WaitOptions {
  /** Give up after this many milliseconds and resolve `timeout`. Without it, wait for a change. */
  timeoutMs?: number
  /** The clock that runs the timeout (default: the system clock). */
  clock?: Clock
  /** Rejects the wait with the signal's reason when it aborts. */
  signal?: AbortSignal
}

/**
 * What a blocking query read (go-memdb's WatchSet). Pass it to the store's read methods; then
 * `await ws.wait({ timeoutMs })` resolves with `changed` once any of it is written, `timeout`
 * when the time runs out first, or `abandoned` when a restore replaced the store. A watch set is
 * single-use: after it fires (or is closed) it holds no registrations.
 *
 * @example
 * const ws = new WatchSet()
 * const node = store.snapshot().nodeByID(id, ws)
 * const why = await ws.wait({ timeoutMs: 5_000 })
 */
export class WatchSet {
  private readonly regs: Array<{ registry: WatchRegistry; reg: Registration }> = []
  private reason: WakeReason | undefined
  private readonly waiters: Array<(reason: WakeReason) => void> = []

  /** True once the set fired (or was closed). */
  get fired(): boolean {
    return this.reason !== undefined
  }

  /** Why the set fired, if it did. */
  get wakeReason(): WakeReason | undefined {
    return this.reason
  }

  /** Number of keys and prefixes currently watched. */
  get size(): number {
    return this.regs.length
  }

  /** @internal called by {@link WatchRegistry.register} */
  attach(registry: WatchRegistry, reg: Registration): void {
    this.regs.push({ registry, reg })
  }

  /** @internal wakes the waiters and drops every registration. */
  fire(reason: WakeReason): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.release()
    for (const resolve of this.waiters.splice(0)) resolve(reason)
  }

  /** Stops watching without waking anyone; later waits resolve `timeout` at once. */
  close(): void {
    if (this.reason === undefined) this.reason = 'timeout'
    this.release()
    for (const resolve of this.waiters.splice(0)) resolve('timeout')
  }

  /**
   * Waits until something read changes, the timeout passes, or the store is abandoned. A set
   * that already fired resolves at once with its reason.
   */
  wait(options: WaitOptions = {}): Promise<WakeReason> {
    const { timeoutMs, signal } = options
    const clock = options.clock ?? systemClock
    if (this.reason !== undefined) return Promise.resolve(this.reason)
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<WakeReason>((resolve, reject) => {
      let done = false
      const finish = (): void => {
        done = true
        timer?.cancel()
        signal?.removeEventListener('abort', onAbort)
      }
      const onWake = (reason: WakeReason): void => {
        if (done) return
        finish()
        resolve(reason)
      }
      const onAbort = (): void => {
        if (done) return
        finish()
        const at = this.waiters.indexOf(onWake)
        if (at !== -1) this.waiters.splice(at, 1)
        reject(signal?.reason)
      }
      // a timeout ends the watch: the set releases its registrations and resolves every waiter
      const timer = timeoutMs === undefined ? undefined : clock.setTimeout(() => this.close(), timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(onWake)
    })
  }

  private release(): void {
    for (const { registry, reg } of this.regs.splice(0)) registry.unregister(this, reg)
  }
}
