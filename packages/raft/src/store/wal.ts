/**
 * A durable LogStore and StableStore in one write-ahead log: append-only segment files of
 * checksummed records, written with group commit (every append waiting while a sync runs joins
 * the next write, so many appends cost one `fdatasync`).
 */
import { writeSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { RaftError } from '../errors.js'
import type { Log, LogStore, StableStore } from '../types.js'
import {
  MAX_RECORD,
  RECORD_HEADER,
  RecordType,
  SEGMENT_MAGIC,
  encodeDeleteRange,
  encodeEntry,
  encodeSet,
  readRecord,
  type WalRecord,
} from './wal-format.js'

/** A WAL file is damaged somewhere other than its tail; `file` and `offset` say where. */
export class WalCorruptionError extends RaftError {
  constructor(readonly file: string, readonly offset: number, readonly reason: string) {
    super('RAFT_WAL_CORRUPT', `wal: corrupt record in ${file} at offset ${offset}: ${reason}; refusing to start (restore the file or remove the data directory)`)
  }
}

/** The WAL was closed, or an earlier write failed and left its state unknown. */
export class WalClosedError extends RaftError {
  constructor(reason = 'log store is closed') {
    super('RAFT_WAL_CLOSED', reason)
  }
}

/** Options of {@link WriteAheadLog.open}. */
export interface WalOptions {
  /** A new segment is started once the active one holds this many bytes (default 64 MiB). */
  segmentBytes?: number
  /** Skip fdatasync (tests and benchmarks of the in-memory path only; loses durability). */
  noSync?: boolean
}

/** What recovery found and did, for logs and tests. */
export interface WalRecovery {
  segments: number
  records: number
  /** Bytes cut from the last segment's torn tail (0 when it ended cleanly). */
  truncatedBytes: number
}

/** Counters for tests and metrics. */
export interface WalStats {
  /** Writes each followed by one fdatasync. */
  syncs: number
  /** Records written. */
  records: number
}

interface Segment {
  seq: number
  path: string
  fh: FileHandle
  size: number
  /** Highest entry index written into the segment, 0 if none. */
  maxIndex: number
}

interface Position {
  segment: Segment
  offset: number
  size: number
}

interface Pending {
  records: Buffer[]
  /** Applied to the in-memory state once the records are durable. */
  apply: (placed: Array<{ segment: Segment; offset: number }>) => void
  resolve: () => void
  reject: (err: Error) => void
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
const SEGMENT_SUFFIX = '.wal'

function segmentName(seq: number): string {
  return `${String(seq).padStart(20, '0')}${SEGMENT_SUFFIX}`
}

/**
 * Write-ahead log store. Open it with {@link WriteAheadLog.open}; it recovers what the
 * directory holds: a torn last record (a crash during a write) is cut off, any other damage
 * refuses to start with a {@link WalCorruptionError} naming the file and offset.
 *
 * @example
 * const wal = await WriteAheadLog.open('/var/lib/app/raft/wal')
 * await wal.storeLogs(entries) // one fdatasync, shared with concurrent appends
 */
export class WriteAheadLog implements LogStore, StableStore {
  private readonly positions = new Map<number, Position>()
  private readonly stable = new Map<string, Buffer>()
  private first = 0
  private last = 0
  private readonly segments: Segment[] = []
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined
  private failed: Error | undefined
  private closed = false
  private readonly counters: WalStats = { syncs: 0, records: 0 }

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly noSync: boolean,
    /** What recovery found when the store was opened. */
    readonly recovery: WalRecovery,
  ) {}

  /** Opens (creating if needed) the WAL in `dir` and recovers its state. */
  static async open(dir: string, options: WalOptions = {}): Promise<WriteAheadLog> {
    await mkdir(dir, { recursive: true })
    const names = (await readdir(dir)).filter((n) => /^\d{20}\.wal$/.test(n)).sort()
    const recovery: WalRecovery = { segments: names.length, records: 0, truncatedBytes: 0 }
    const wal = new WriteAheadLog(dir, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, options.noSync === true, recovery)
    try {
      for (let i = 0; i < names.length; i++) await wal.replaySegment(names[i]!, i === names.length - 1)
      if (wal.segments.length === 0) await wal.createSegment(1)
    } catch (err) {
      await wal.closeHandles()
      throw err
    }
    return wal
  }

  private async replaySegment(name: string, isLast: boolean): Promise<void> {
    const path = join(this.dir, name)
    const buf = await readFile(path)
    const seq = Number(name.slice(0, 20))
    let end = buf.length
    if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
      // A crash right after creating the last segment can leave its header short.
      const headerTorn = isLast && buf.length < SEGMENT_MAGIC.length && SEGMENT_MAGIC.subarray(0, buf.length).equals(buf)
      if (!headerTorn) throw new WalCorruptionError(path, 0, 'not a WAL segment (bad magic)')
      const fh = await open(path, 'r+')
      await fh.truncate(0)
      await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0)
      await this.sync(fh)
      this.recovery.truncatedBytes += buf.length
      this.segments.push({ seq, path, fh, size: SEGMENT_MAGIC.length, maxIndex: 0 })
      return
    }
    const segment: Segment = { seq, path, fh: await open(path, isLast ? 'r+' : 'r'), size: 0, maxIndex: 0 }
    this.segments.push(segment)
    let at = SEGMENT_MAGIC.length
    while (at < buf.length) {
      const result = readRecord(buf, at)
      if (result.kind === 'record') {
        this.applyRecord(result.record, segment, at, result.size)
        this.recovery.records++
        at += result.size
        continue
      }
      if (isLast && (result.kind === 'incomplete' || isTornTail(buf, at))) {
        end = at
        break
      }
      throw new WalCorruptionError(path, at, result.kind === 'incomplete' ? 'record runs past the end of a sealed segment' : result.reason)
    }
    segment.size = end
    if (end < buf.length) {
      this.recovery.truncatedBytes += buf.length - end
      await segment.fh.truncate(end)
      await this.sync(segment.fh)
    }
  }

  private applyRecord(record: WalRecord, segment: Segment, offset: number, size: number): void {
    switch (record.type) {
      case RecordType.Entry: {
        const index = record.log.Index
        this.positions.set(index, { segment, offset, size })
        if (index > segment.maxIndex) segment.maxIndex = index
        if (this.last === 0) {
          this.first = index
          this.last = index
        } else {
          if (index < this.first) this.first = index
          if (index > this.last) this.last = index
        }
        return
      }
      case RecordType.DeleteRange:
        this.removeRange(record.min, record.max)
        return
      case RecordType.Set:
        this.stable.set(record.key, record.value)
    }
  }

  private removeRange(min: number, max: number): void {
    if (this.last === 0 || max < this.first || min > this.last || min > max) return
    const lo = Math.max(min, this.first)
    const hi = Math.min(max, this.last)
    for (let i = lo; i <= hi; i++) this.positions.delete(i)
    if (lo === this.first && hi === this.last) {
      this.first = 0
      this.last = 0
    } else if (lo === this.first) this.first = hi + 1
    else if (hi === this.last) this.last = lo - 1
  }

  private async createSegment(seq: number): Promise<Segment> {
    const path = join(this.dir, segmentName(seq))
    const fh = await open(path, 'wx+')
    await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0)
    await this.sync(fh)
    await this.syncDir()
    const segment: Segment = { seq, path, fh, size: SEGMENT_MAGIC.length, maxIndex: 0 }
    this.segments.push(segment)
    return segment
  }

  private async sync(fh: FileHandle): Promise<void> {
    if (!this.noSync) await fh.datasync()
  }

  private async syncDir(): Promise<void> {
    if (this.noSync) return
    const dh = await open(this.dir, 'r')
    try {
      await dh.sync()
    } finally {
      await dh.close()
    }
  }

  // -------------------------------------------------------------------------------------------
  // Group commit

  private enqueue(records: Buffer[], apply: Pending['apply']): Promise<void> {
    if (this.closed) return Promise.reject(new WalClosedError())
    if (this.failed) return Promise.reject(new WalClosedError(`log store failed earlier: ${this.failed.message}`))
    return new Promise((resolve, reject) => {
      this.queue.push({ records, apply, resolve, reject })
      this.flushing ??= this.flushLoop()
    })
  }

  private async flushLoop(): Promise<void> {
    // Let every append issued in this turn of the event loop join the first write.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = []
      try {
        await this.writeBatch(batch)
      } catch (err) {
        this.failed = err as Error
        for (const p of batch) p.reject(err as Error)
        for (const p of this.queue) p.reject(err as Error)
        this.queue = []
      }
    }
    this.flushing = undefined
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let segment = this.segments[this.segments.length - 1]!
    if (segment.size >= this.segmentBytes) segment = await this.rotate()
    const parts: Buffer[] = []
    const placed: Array<Array<{ segment: Segment; offset: number }>> = []
    let offset = segment.size
    for (const p of batch) {
      const where: Array<{ segment: Segment; offset: number }> = []
      for (const r of p.records) {
        where.push({ segment, offset })
        parts.push(r)
        offset += r.length
      }
      placed.push(where)
    }
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, offset - segment.size)
    // The write only reaches the page cache, which takes microseconds: done synchronously it
    // saves a thread-pool round trip per batch. The sync is what waits for the disk.
    let written = 0
    while (written < buf.length) {
      written += writeSync(segment.fh.fd, buf, written, buf.length - written, segment.size + written)
    }
    await this.sync(segment.fh)
    segment.size = offset
    this.counters.syncs++
    this.counters.records += parts.length
    for (let i = 0; i < batch.length; i++) batch[i]!.apply(placed[i]!)
    await this.dropDeadSegments()
    for (const p of batch) p.resolve()
  }

  /** Seals the active segment and starts the next, which begins with the stable store's state. */
  private async rotate(): Promise<Segment> {
    const previous = this.segments[this.segments.length - 1]!
    const segment = await this.createSegment(previous.seq + 1)
    const checkpoint = [...this.stable].map(([k, v]) => encodeSet(k, v))
    if (checkpoint.length > 0) {
      const buf = Buffer.concat(checkpoint)
      await segment.fh.write(buf, 0, buf.length, segment.size)
      await this.sync(segment.fh)
      segment.size += buf.length
    }
    return segment
  }

  /** Deletes the oldest sealed segments that hold no live entry any more. */
  private async dropDeadSegments(): Promise<void> {
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!
      const live = this.last !== 0 && oldest.maxIndex >= this.first
      if (live) return
      this.segments.shift()
      await oldest.fh.close()
      await rm(oldest.path, { force: true })
    }
  }

  // -------------------------------------------------------------------------------------------
  // LogStore

  async firstIndex(): Promise<number> {
    return this.first
  }

  async lastIndex(): Promise<number> {
    return this.last
  }

  async getLog(index: number): Promise<Log | undefined> {
    if (this.closed) throw new WalClosedError()
    const pos = this.positions.get(index)
    if (pos === undefined) return undefined
    const buf = Buffer.allocUnsafe(pos.size)
    const { bytesRead } = await pos.segment.fh.read(buf, 0, pos.size, pos.offset)
    const result = readRecord(buf.subarray(0, bytesRead), 0)
    if (result.kind !== 'record' || result.record.type !== RecordType.Entry || result.record.log.Index !== index) {
      throw new WalCorruptionError(pos.segment.path, pos.offset, result.kind === 'corrupt' ? result.reason : 'entry unreadable')
    }
    return result.record.log
  }

  storeLog(log: Log): Promise<void> {
    return this.storeLogs([log])
  }

  storeLogs(logs: readonly Log[]): Promise<void> {
    if (logs.length === 0) return Promise.resolve()
    const records = logs.map(encodeEntry)
    const tooLarge = logs.find((l, i) => records[i]!.length - RECORD_HEADER > MAX_RECORD)
    if (tooLarge) return Promise.reject(new RangeError(`log entry ${tooLarge.Index} is larger than ${MAX_RECORD} bytes`))
    return this.enqueue(records, (placed) => {
      for (let i = 0; i < logs.length; i++) {
        const { segment, offset } = placed[i]!
        this.applyRecord({ type: RecordType.Entry, log: logs[i]! }, segment, offset, records[i]!.length)
      }
    })
  }

  deleteRange(min: number, max: number): Promise<void> {
    return this.enqueue([encodeDeleteRange(min, max)], () => this.removeRange(min, max))
  }

  // -------------------------------------------------------------------------------------------
  // StableStore

  set(key: string, value: Buffer): Promise<void> {
    const copy = Buffer.from(value)
    return this.enqueue([encodeSet(key, copy)], () => {
      this.stable.set(key, copy)
    })
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.stable.get(key)
  }

  setUint64(key: string, value: number): Promise<void> {
    const buf = Buffer.alloc(8)
    buf.writeBigUInt64BE(BigInt(value))
    return this.set(key, buf)
  }

  async getUint64(key: string): Promise<number> {
    const v = this.stable.get(key)
    if (v === undefined || v.length !== 8) return 0
    return Number(v.readBigUInt64BE())
  }

  // -------------------------------------------------------------------------------------------

  /** Counters: how many syncs served how many records. */
  stats(): WalStats {
    return { ...this.counters }
  }

  /** Waits for pending writes, then closes every file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    while (this.flushing) await this.flushing
    await this.closeHandles()
  }

  private async closeHandles(): Promise<void> {
    for (const s of this.segments) await s.fh.close().catch(() => {})
  }
}

/** True when everything from `at` to the end is zero: space the file system allocated for a write that never landed. */
function isTornTail(buf: Buffer, at: number): boolean {
  for (let i = at; i < buf.length; i++) if (buf[i] !== 0) return false
  return true
}
