import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import type { Logger } from '@nomadic/runtime'

/** What a snapshot file says about the past. */
export interface SnapshotState {
  alive: Array<{ name: string; addr: string }>
  clock: number
  eventClock: number
  queryClock: number
}

const MIN_COMPACT_SIZE = 128 * 1024

/**
 * serf's append-only snapshot: `alive: NAME ADDR`, `not-alive: NAME`, `clock: N`,
 * `event-clock: N`, `query-clock: N`, `leave`, and `#` comments. Replayed on start to rejoin;
 * compacted when it grows past max(128 KiB, alive × 256 bytes).
 */
export class Snapshotter {
  private fd: number | undefined
  private offset = 0
  private readonly aliveNodes = new Map<string, string>()
  private lastClock = 0
  private lastEventClock = 0
  private lastQueryClock = 0
  private leaving = false

  constructor(private readonly path: string, private readonly logger: Logger) {}

  /** Reads the file (a `leave` wipes what came before unless `rejoinAfterLeave`), then opens it for appending. */
  replay(rejoinAfterLeave: boolean): SnapshotState {
    const state: SnapshotState = { alive: [], clock: 0, eventClock: 0, queryClock: 0 }
    if (existsSync(this.path)) {
      for (const raw of readFileSync(this.path, 'utf8').split('\n')) {
        const line = raw.trim()
        if (line === '' || line.startsWith('#')) continue
        if (line.startsWith('alive: ')) {
          const rest = line.slice(7)
          const sp = rest.lastIndexOf(' ')
          if (sp > 0) this.aliveNodes.set(rest.slice(0, sp), rest.slice(sp + 1))
        } else if (line.startsWith('not-alive: ')) {
          this.aliveNodes.delete(line.slice(11))
        } else if (line.startsWith('clock: ')) {
          this.lastClock = Number(line.slice(7)) || 0
        } else if (line.startsWith('event-clock: ')) {
          this.lastEventClock = Number(line.slice(13)) || 0
        } else if (line.startsWith('query-clock: ')) {
          this.lastQueryClock = Number(line.slice(13)) || 0
        } else if (line === 'leave') {
          if (!rejoinAfterLeave) {
            this.aliveNodes.clear()
            this.lastClock = 0
            this.lastEventClock = 0
            this.lastQueryClock = 0
          }
        } else if (!line.startsWith('coordinate: ')) {
          this.logger.warn(`Unrecognized snapshot line: ${line}`)
        }
      }
      this.offset = statSync(this.path).size
    }
    state.alive = [...this.aliveNodes].map(([name, addr]) => ({ name, addr }))
    state.clock = this.lastClock
    state.eventClock = this.lastEventClock
    state.queryClock = this.lastQueryClock
    this.fd = openSync(this.path, 'a', 0o644)
    return state
  }

  alive(name: string, addr: string): void {
    this.aliveNodes.set(name, addr)
    this.append(`alive: ${name} ${addr}\n`)
  }

  notAlive(name: string): void {
    this.aliveNodes.delete(name)
    this.append(`not-alive: ${name}\n`)
  }

  eventClock(ltime: number): void {
    if (ltime > this.lastEventClock) {
      this.lastEventClock = ltime
      this.append(`event-clock: ${ltime}\n`)
    }
  }

  /** Records clocks that moved (the member clock as its value − 1, as serf does). */
  updateClocks(clock: number, eventClock: number, queryClock: number): void {
    if (clock - 1 > this.lastClock) {
      this.lastClock = clock - 1
      this.append(`clock: ${this.lastClock}\n`)
    }
    if (eventClock - 1 > this.lastEventClock) {
      this.lastEventClock = eventClock - 1
      this.append(`event-clock: ${this.lastEventClock}\n`)
    }
    if (queryClock - 1 > this.lastQueryClock) {
      this.lastQueryClock = queryClock - 1
      this.append(`query-clock: ${this.lastQueryClock}\n`)
    }
  }

  /** Records a graceful leave and stops recording. */
  leave(): void {
    this.append('leave\n')
    if (this.fd !== undefined) fsyncSync(this.fd)
    this.leaving = true
  }

  close(): void {
    if (this.fd === undefined) return
    try { fsyncSync(this.fd) } catch { /* closing anyway */ }
    closeSync(this.fd)
    this.fd = undefined
  }

  private append(line: string): void {
    if (this.fd === undefined || this.leaving) return
    this.offset += writeSync(this.fd, line)
    if (this.offset > Math.max(MIN_COMPACT_SIZE, this.aliveNodes.size * 128 * 2)) this.compact()
  }

  private compact(): void {
    const tmp = `${this.path}.compact`
    const lines = [...this.aliveNodes].map(([n, a]) => `alive: ${n} ${a}\n`)
    lines.push(`clock: ${this.lastClock}\n`, `event-clock: ${this.lastEventClock}\n`, `query-clock: ${this.lastQueryClock}\n`)
    const fd = openSync(tmp, 'w', 0o644)
    const text = lines.join('')
    writeSync(fd, text)
    fsyncSync(fd)
    closeSync(fd)
    if (this.fd !== undefined) closeSync(this.fd)
    renameSync(tmp, this.path)
    this.fd = openSync(this.path, 'a', 0o644)
    this.offset = Buffer.byteLength(text)
  }
}
