import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import type { Logger } from '@nomadic/runtime'

/** What a snapshot file says about the past. */
export interface SnapshotState {
  /** Nodes alive when the file was last written. */
  alive: Array<{ name: string; addr: string }>
  clock: number
  eventClock: number
  queryClock: number
}

/** Never compact below this size (serf's snapshotSizeLimit). */
export const MIN_COMPACT_SIZE = 128 * 1024
/** Estimated bytes per alive node, and how many times that the file may grow to. */
const BYTES_PER_NODE = 128
const COMPACTION_THRESHOLD = 2

/**
 * serf's append-only snapshot: `alive: NAME ADDR`, `not-alive: NAME`, `clock: N`,
 * `event-clock: N`, `query-clock: N`, `leave`, and `#` comments. Replayed on start to rejoin;
 * compacted (rewritten to the alive nodes and the clocks) when it grows past
 * max(128 KiB, alive × 256 bytes). Writes the same lines as Go serf 0.9.4, so either can read
 * the other's file.
 */
export class Snapshotter {
  private fd: number | undefined
  private offset = 0
  private readonly aliveNodes = new Map<string, string>()
  private lastClock = 0
  private lastEventClock = 0
  private lastQueryClock = 0
  private leaving = false
  private rejoinAfterLeave = false

  constructor(private readonly path: string, private readonly logger: Logger) {}

  /**
   * Reads the file, then opens it for appending. A `leave` line forgets everything before it
   * unless `rejoinAfterLeave`; a last line without its newline (a crash mid-write) is ignored,
   * as are unparsable clocks and addresses.
   */
  replay(rejoinAfterLeave: boolean): SnapshotState {
    this.rejoinAfterLeave = rejoinAfterLeave
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8')
      const lines = text.split('\n')
      lines.pop() // after the last newline: empty, or a torn line
      for (const line of lines) this.replayLine(line)
      this.offset = Buffer.byteLength(text)
    }
    this.fd = openSync(this.path, 'a', 0o644)
    return {
      alive: [...this.aliveNodes].map(([name, addr]) => ({ name, addr })),
      clock: this.lastClock,
      eventClock: this.lastEventClock,
      queryClock: this.lastQueryClock,
    }
  }

  private replayLine(line: string): void {
    const clock = (prefix: string): number | undefined => {
      const text = line.slice(prefix.length)
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        this.logger.warn(`Failed to convert ${prefix.slice(0, -2)} time: ${text}`)
        return undefined
      }
      return Number(text)
    }
    if (line.startsWith('alive: ')) {
      const info = line.slice(7)
      const sp = info.lastIndexOf(' ')
      if (sp === -1) this.logger.warn(`Failed to parse address: ${line}`)
      else this.aliveNodes.set(info.slice(0, sp), info.slice(sp + 1))
    } else if (line.startsWith('not-alive: ')) {
      this.aliveNodes.delete(line.slice(11))
    } else if (line.startsWith('clock: ')) {
      this.lastClock = clock('clock: ') ?? this.lastClock
    } else if (line.startsWith('event-clock: ')) {
      this.lastEventClock = clock('event-clock: ') ?? this.lastEventClock
    } else if (line.startsWith('query-clock: ')) {
      this.lastQueryClock = clock('query-clock: ') ?? this.lastQueryClock
    } else if (line.startsWith('coordinate: ') || line.startsWith('#')) {
      // coordinates are not kept; comments are comments
    } else if (line === 'leave') {
      if (this.rejoinAfterLeave) return
      this.aliveNodes.clear()
      this.lastClock = 0
      this.lastEventClock = 0
      this.lastQueryClock = 0
    } else {
      this.logger.warn(`Unrecognized snapshot line: ${line}`)
    }
  }

  /** The alive nodes the file currently holds. */
  aliveCount(): number {
    return this.aliveNodes.size
  }

  /** A member joined (or came back) at `addr` (`host:port`). */
  alive(name: string, addr: string): void {
    this.aliveNodes.set(name, addr)
    this.append(`alive: ${name} ${addr}\n`)
  }

  /** A member left or failed. */
  notAlive(name: string): void {
    this.aliveNodes.delete(name)
    this.append(`not-alive: ${name}\n`)
  }

  /** A user event at `ltime` was seen. */
  eventClock(ltime: number): void {
    if (ltime <= this.lastEventClock) return
    this.lastEventClock = ltime
    this.append(`event-clock: ${ltime}\n`)
  }

  /** A query at `ltime` was seen. */
  queryClock(ltime: number): void {
    if (ltime <= this.lastQueryClock) return
    this.lastQueryClock = ltime
    this.append(`query-clock: ${ltime}\n`)
  }

  /** Records the member clock as the last time seen (its value − 1), as serf does. */
  updateClock(clock: number): void {
    const lastSeen = clock - 1
    if (lastSeen <= this.lastClock) return
    this.lastClock = lastSeen
    this.append(`clock: ${lastSeen}\n`)
  }

  /** Records a graceful leave and stops recording. */
  leave(): void {
    if (this.leaving) return
    if (!this.rejoinAfterLeave) this.aliveNodes.clear()
    this.append('leave\n')
    this.leaving = true
    if (this.fd !== undefined) fsyncSync(this.fd)
  }

  /** Syncs and closes the file. */
  close(): void {
    if (this.fd === undefined) return
    try { fsyncSync(this.fd) } catch { /* closing anyway */ }
    closeSync(this.fd)
    this.fd = undefined
  }

  private append(line: string): void {
    if (this.fd === undefined || this.leaving) return
    try {
      this.offset += writeSync(this.fd, line)
      if (this.offset > Math.max(MIN_COMPACT_SIZE, this.aliveNodes.size * BYTES_PER_NODE * COMPACTION_THRESHOLD)) this.compact()
    } catch (err) {
      // A full disk must not stop the agent: serf logs and carries on.
      this.logger.error(`Failed to update snapshot: ${(err as Error).message}`)
    }
  }

  /** Rewrites the file as the alive nodes and the clocks, atomically by rename. */
  private compact(): void {
    const tmp = `${this.path}.compact`
    const lines = [...this.aliveNodes].map(([n, a]) => `alive: ${n} ${a}\n`)
    lines.push(`clock: ${this.lastClock}\n`, `event-clock: ${this.lastEventClock}\n`, `query-clock: ${this.lastQueryClock}\n`)
    const text = lines.join('')
    const fd = openSync(tmp, 'w', 0o644)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    renameSync(tmp, this.path)
    this.fd = openSync(this.path, 'a', 0o644)
    this.offset = Buffer.byteLength(text)
  }
}
