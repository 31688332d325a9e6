/**
 * A small reference model of the broker's specification, written as plainly as possible (arrays
 * and linear scans, no heaps, no shared timers), to check the real broker against.
 */

export type ModelState = 'waiting' | 'ready' | 'pending' | 'unacked' | 'done'

export interface ModelEval {
  id: string
  job: string
  type: string
  priority: number
  createIndex: number
  state: ModelState
  queue: string
  dequeues: number
  /** When a waiting eval becomes ready, and the order it started waiting in (ties). */
  due: number
  waitSeq: number
  token: string
  deadline: number
  paused: boolean
  waitMs: number
  /** Re-enqueued under its outstanding token: enqueue again after ack. */
  requeued: boolean
}

export const MODEL_LIMITS = { nackTimeout: 60_000, deliveryLimit: 3, initialDelay: 1_000, subsequentDelay: 20_000 }

export class BrokerModel {
  now = 0
  readonly evals = new Map<string, ModelEval>()
  /** The eval holding each job's single ready/in-flight slot. */
  readonly holder = new Map<string, string>()
  private waitSeq = 0

  live(): ModelEval[] {
    return [...this.evals.values()].filter((e) => e.state !== 'done')
  }

  inState(state: ModelState): ModelEval[] {
    return [...this.evals.values()].filter((e) => e.state === state).sort((a, b) => a.createIndex - b.createIndex)
  }

  enqueue(spec: { id: string; job: string; type: string; priority: number; createIndex: number; waitMs: number }): void {
    const known = this.evals.get(spec.id)
    if (known !== undefined && known.state !== 'done') return
    const e: ModelEval = {
      ...spec,
      state: 'waiting',
      queue: '',
      dequeues: 0,
      due: 0,
      waitSeq: 0,
      token: '',
      deadline: 0,
      paused: false,
      requeued: false,
    }
    this.evals.set(e.id, e)
    if (spec.waitMs > 0) this.wait(e, this.now + spec.waitMs)
    else this.makeReady(e, e.type)
  }

  /** The evals a dequeue of `schedulers` may return: the best of each queue, at the top priority. */
  candidates(schedulers: readonly string[]): ModelEval[] {
    const heads: ModelEval[] = []
    for (const q of new Set(schedulers)) {
      const inQueue = this.inState('ready').filter((e) => e.queue === q)
      inQueue.sort((a, b) => b.priority - a.priority || a.createIndex - b.createIndex)
      if (inQueue[0] !== undefined) heads.push(inQueue[0])
    }
    const top = Math.max(...heads.map((e) => e.priority))
    return heads.filter((e) => e.priority === top)
  }

  deliver(e: ModelEval, token: string): void {
    e.state = 'unacked'
    e.token = token
    e.dequeues++
    e.deadline = this.now + MODEL_LIMITS.nackTimeout
    e.paused = false
    e.requeued = false
  }

  ack(e: ModelEval): void {
    e.state = 'done'
    this.holder.delete(e.job)
    const next = this.inState('pending').find((p) => p.job === e.job)
    if (next !== undefined) this.makeReady(next, next.type)
    if (e.requeued) this.enqueue(e)
  }

  nack(e: ModelEval): void {
    e.requeued = false
    if (e.dequeues >= MODEL_LIMITS.deliveryLimit) {
      this.makeReady(e, '_failed')
      return
    }
    const delay = e.dequeues === 1 ? MODEL_LIMITS.initialDelay : (e.dequeues - 1) * MODEL_LIMITS.subsequentDelay
    this.wait(e, this.now + delay)
  }

  reset(e: ModelEval): void {
    if (!e.paused) e.deadline = this.now + MODEL_LIMITS.nackTimeout
  }

  pause(e: ModelEval): void {
    e.paused = true
  }

  resume(e: ModelEval): void {
    e.paused = false
    e.deadline = this.now + MODEL_LIMITS.nackTimeout
  }

  /** Moves time to `target`, firing delays (in order) and nack timeouts as they fall due. */
  advance(target: number): void {
    for (;;) {
      const timeouts = this.inState('unacked').filter((e) => !e.paused && e.deadline <= target)
      const dues = this.inState('waiting').filter((e) => e.due <= target)
      const times = [...timeouts.map((e) => e.deadline), ...dues.map((e) => e.due)]
      if (times.length === 0) break
      const t = Math.min(...times)
      this.now = t
      for (const e of dues.filter((d) => d.due === t).sort((a, b) => a.waitSeq - b.waitSeq)) this.makeReady(e, e.type)
      for (const e of timeouts.filter((d) => d.deadline === t)) {
        e.state = 'waiting' // leaves 'unacked' before nack decides where it goes
        this.nack(e)
      }
    }
    this.now = target
  }

  private wait(e: ModelEval, due: number): void {
    e.state = 'waiting'
    e.due = due
    e.waitSeq = this.waitSeq++
  }

  private makeReady(e: ModelEval, queue: string): void {
    const h = this.holder.get(e.job)
    if (h === undefined || h === e.id) {
      this.holder.set(e.job, e.id)
      e.state = 'ready'
      e.queue = queue
    } else {
      e.state = 'pending'
    }
  }
}
