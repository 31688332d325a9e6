/** Applies committed entries to the FSM in index order, and takes and restores its snapshots. */
import type { Readable } from 'node:stream'
import type { Logger } from '@nomadic/runtime'
import { Deferred, SerialQueue } from './deferred.js'
import { decodeConfiguration } from './configuration-codec.js'
import { ShutdownError } from './errors.js'
import { LogType, type Configuration, type FSM, type FSMSnapshot, type Log } from './types.js'

/** What `apply` and `barrier` resolve with. */
export interface ApplyResult {
  /** The entry's log index. */
  index: number
  /** What the FSM's apply returned (undefined for barriers). */
  response: unknown
}

/** A point-in-time FSM snapshot and the log position it covers. */
export interface CapturedSnapshot {
  snapshot: FSMSnapshot
  index: number
  term: number
  configuration: Configuration
  configurationIndex: number
}

export class FSMRunner {
  lastApplied = 0
  lastAppliedTerm = 0
  /** The newest configuration entry applied so far (what a snapshot at lastApplied must carry). */
  configuration: Configuration = { Servers: [] }
  configurationIndex = 0
  private queued = 0
  private stopped = false
  private readonly queue = new SerialQueue()
  private readonly waiting = new Set<Deferred<ApplyResult>>()

  constructor(
    private readonly fsm: FSM,
    private readonly maxBatch: number,
    private readonly getLog: (index: number) => Promise<Log | undefined>,
    private readonly logger: Logger,
    private readonly onApplied: (index: number) => void = () => {},
  ) {}

  /** Sets the position after a restore at start-up. */
  reset(index: number, term: number, configuration: Configuration, configurationIndex: number): void {
    this.lastApplied = index
    this.lastAppliedTerm = term
    this.queued = index
    this.configuration = configuration
    this.configurationIndex = configurationIndex
  }

  /** Queues every committed entry up to `commitIndex`; `futures` hold the leader's waiting callers. */
  commit(commitIndex: number, futures: Map<number, { log: Log; future?: Deferred<ApplyResult> }>): void {
    if (commitIndex <= this.queued || this.stopped) return
    const from = this.queued + 1
    this.queued = commitIndex
    const waiting = new Map<number, { log: Log; future?: Deferred<ApplyResult> }>()
    for (let i = from; i <= commitIndex; i++) {
      const f = futures.get(i)
      if (f === undefined) continue
      waiting.set(i, f)
      futures.delete(i)
      if (f.future !== undefined) this.waiting.add(f.future)
    }
    void this.queue.run(() => this.applyRange(from, commitIndex, waiting))
  }

  private async applyRange(from: number, to: number, waiting: Map<number, { log: Log; future?: Deferred<ApplyResult> }>): Promise<void> {
    let batch: { log: Log; future?: Deferred<ApplyResult> }[] = []
    for (let i = from; i <= to; i++) {
      if (this.stopped) break
      if (i <= this.lastApplied) continue // already covered by a restored snapshot
      let item = waiting.get(i)
      if (item === undefined) {
        const log = await this.getLog(i)
        if (log === undefined) {
          this.logger.error('failed to get log to apply', { index: i })
          continue
        }
        item = { log }
      }
      batch.push(item)
      if (batch.length >= this.maxBatch) {
        this.applyBatch(batch)
        batch = []
      }
    }
    this.applyBatch(batch)
    for (const { future } of waiting.values()) {
      if (future !== undefined && !future.settled) future.reject(new ShutdownError())
      if (future !== undefined) this.waiting.delete(future)
    }
  }

  private applyBatch(batch: { log: Log; future?: Deferred<ApplyResult> }[]): void {
    if (batch.length === 0 || this.stopped) return
    const commands = batch.filter((b) => b.log.Type === LogType.Command)
    let responses: unknown[] = []
    if (commands.length > 0) {
      if (this.fsm.applyBatch !== undefined) responses = this.fsm.applyBatch(commands.map((c) => c.log))
      else responses = commands.map((c) => this.fsm.apply(c.log))
    }
    let next = 0
    for (const { log, future } of batch) {
      let response: unknown
      if (log.Type === LogType.Command) response = responses[next++]
      else if (log.Type === LogType.Configuration) {
        this.configuration = decodeConfiguration(log.Data)
        this.configurationIndex = log.Index
      }
      this.lastApplied = log.Index
      this.lastAppliedTerm = log.Term
      if (future !== undefined) {
        this.waiting.delete(future)
        future.resolve({ index: log.Index, response })
      }
    }
    this.onApplied(this.lastApplied)
  }

  /** Captures the FSM between two applies. */
  capture(): Promise<CapturedSnapshot> {
    return this.queue.run(async () => {
      if (this.stopped) throw new ShutdownError()
      const index = this.lastApplied
      const term = this.lastAppliedTerm
      const configuration = this.configuration
      const configurationIndex = this.configurationIndex
      const snapshot = await this.fsm.snapshot()
      return { snapshot, index, term, configuration, configurationIndex }
    })
  }

  /** Replaces the FSM's state after every earlier queued apply has run. */
  restore(reader: Readable, index: number, term: number, configuration: Configuration, configurationIndex: number): Promise<void> {
    return this.queue.run(async () => {
      if (this.stopped) throw new ShutdownError()
      await this.fsm.restore(reader)
      this.lastApplied = index
      this.lastAppliedTerm = term
      this.queued = Math.max(this.queued, index)
      this.configuration = configuration
      this.configurationIndex = configurationIndex
    })
  }

  /** Stops applying; callers still waiting get a {@link ShutdownError}. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const future of this.waiting) future.reject(new ShutdownError())
    this.waiting.clear()
    await this.queue.idle()
  }
}
