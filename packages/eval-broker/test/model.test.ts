import fc from 'fast-check'
import { SeededRandom, SimClock } from '@nomadic/runtime'
import type { Evaluation } from '@nomadic/structs'
import { describe, expect, it } from 'vitest'
import {
  EvalBroker,
  EvalIdMismatchError,
  EvalNotFoundError,
  EvalTokenMismatchError,
} from '../src/index.js'
import { makeEval } from './helpers.js'
import { BrokerModel, MODEL_LIMITS, type ModelEval } from './model.js'

/**
 * Model-based test: random command sequences run against the broker on a SimClock and against
 * the reference model in ./model.ts; after every command their observable state must agree.
 * On failure fast-check prints the seed and path; replay with
 *   MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run --project eval-broker test/model.test.ts
 */

interface Real {
  clock: SimClock
  broker: EvalBroker
  evals: Map<string, Evaluation>
}

type Cmd = fc.Command<BrokerModel, Real>

const JOBS = ['a', 'b', 'c', 'd']
const TYPES = ['service', 'batch']
let createIndex = 1

function pickIn(model: BrokerModel, state: ModelEval['state'], k: number): ModelEval | undefined {
  const list = model.inState(state)
  return list.length === 0 ? undefined : list[k % list.length]
}

function checkAgree(model: BrokerModel, real: Real): void {
  const stats = real.broker.stats()
  expect(stats.totalReady).toBe(model.inState('ready').length)
  expect(stats.totalUnacked).toBe(model.inState('unacked').length)
  expect(stats.totalBlocked).toBe(model.inState('pending').length)
  expect(stats.totalWaiting).toBe(model.inState('waiting').length)
  for (const e of model.evals.values()) {
    expect(real.broker.outstanding(e.id)).toBe(e.state === 'unacked' ? e.token : undefined)
  }
  // Per-job serialization: at most one eval of a job is ready or in flight.
  const busy = [...model.inState('ready'), ...model.inState('unacked')].map((e) => e.job)
  expect(new Set(busy).size).toBe(busy.length)
}

class EnqueueCmd implements Cmd {
  constructor(
    readonly job: number,
    readonly type: number,
    readonly priority: number,
    readonly waitMs: number,
    readonly reuse: number | undefined,
  ) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    // Sometimes re-enqueue a known eval ID (a duplicate, or one that finished).
    const known = [...model.evals.keys()]
    const reused = this.reuse !== undefined && known.length > 0 ? known[this.reuse % known.length]! : undefined
    const e =
      reused !== undefined
        ? real.evals.get(reused)!
        : makeEval({
            JobID: JOBS[this.job]!,
            Type: TYPES[this.type]!,
            Priority: this.priority,
            CreateIndex: createIndex++,
            Wait: this.waitMs * 1e6,
          })
    real.evals.set(e.ID, e)
    real.broker.enqueue(e)
    model.enqueue({
      id: e.ID,
      job: e.JobID,
      type: e.Type,
      priority: e.Priority,
      createIndex: e.CreateIndex,
      waitMs: e.Wait / 1e6,
    })
    checkAgree(model, real)
  }
  toString = (): string => `Enqueue(${this.job},${this.type},${this.priority},${this.waitMs},${this.reuse})`
}

class DequeueCmd implements Cmd {
  constructor(readonly schedulers: string[]) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    const allowed = model.candidates(this.schedulers)
    const got = real.broker.tryDequeue(this.schedulers)
    if (allowed.length === 0) {
      expect(got).toBeUndefined()
      return
    }
    expect(got).toBeDefined()
    const chosen = allowed.find((e) => e.id === got!.eval.ID)
    expect(chosen, `dequeued ${got!.eval.ID}, allowed ${allowed.map((e) => e.id).join(',')}`).toBeDefined()
    // The delivery limit: an eval is never handed to its scheduler more than the limit allows.
    if (chosen!.queue !== '_failed') expect(chosen!.dequeues).toBeLessThan(MODEL_LIMITS.deliveryLimit)
    model.deliver(chosen!, got!.token)
    checkAgree(model, real)
  }
  toString = (): string => `Dequeue(${this.schedulers.join('+')})`
}

class SettleCmd implements Cmd {
  constructor(
    readonly kind: 'ack' | 'nack',
    readonly k: number,
  ) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    const e = pickIn(model, 'unacked', this.k)
    if (e === undefined) return
    if (this.kind === 'ack') {
      real.broker.ack(e.id, e.token)
      model.ack(e)
    } else {
      real.broker.nack(e.id, e.token)
      e.state = 'waiting'
      model.nack(e)
    }
    checkAgree(model, real)
  }
  toString = (): string => `${this.kind}(${this.k})`
}

class BadTokenCmd implements Cmd {
  constructor(
    readonly kind: 'random' | 'other' | 'unknown',
    readonly k: number,
    readonly nack: boolean,
  ) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    const e = pickIn(model, 'unacked', this.k)
    const call = (id: string, token: string) => () =>
      this.nack ? real.broker.nack(id, token) : real.broker.ack(id, token)
    if (this.kind === 'unknown') {
      const notOut = [...model.evals.values()].find((x) => x.state !== 'unacked')
      expect(call(notOut?.id ?? 'missing', e?.token ?? 'x')).toThrow(EvalNotFoundError)
    } else if (e !== undefined && this.kind === 'random') {
      expect(call(e.id, 'ffffffff-0000-4000-8000-000000000000')).toThrow(EvalTokenMismatchError)
    } else if (e !== undefined) {
      const other = model.inState('unacked').find((x) => x.id !== e.id)
      if (other !== undefined) expect(call(e.id, other.token)).toThrow(EvalIdMismatchError)
    }
    checkAgree(model, real)
  }
  toString = (): string => `BadToken(${this.kind},${this.k},${this.nack ? 'nack' : 'ack'})`
}

class TimerCmd implements Cmd {
  constructor(
    readonly kind: 'reset' | 'pause' | 'resume' | 'requeue',
    readonly k: number,
  ) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    const e = pickIn(model, 'unacked', this.k)
    if (e === undefined) return
    if (this.kind === 'reset') {
      real.broker.outstandingReset(e.id, e.token)
      model.reset(e)
    } else if (this.kind === 'pause') {
      real.broker.pauseNackTimeout(e.id, e.token)
      model.pause(e)
    } else if (this.kind === 'resume') {
      real.broker.resumeNackTimeout(e.id, e.token)
      model.resume(e)
    } else {
      real.broker.enqueueAll([[real.evals.get(e.id)!, e.token]])
      e.requeued = true
    }
    checkAgree(model, real)
  }
  toString = (): string => `${this.kind}(${this.k})`
}

class AdvanceCmd implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true
  run(model: BrokerModel, real: Real): void {
    real.clock.advance(this.ms)
    model.advance(model.now + this.ms)
    expect(real.clock.now()).toBe(model.now)
    checkAgree(model, real)
  }
  toString = (): string => `Advance(${this.ms})`
}

const commands = [
  fc
    .tuple(
      fc.nat(JOBS.length - 1),
      fc.nat(TYPES.length - 1),
      fc.constantFrom(10, 50, 50, 70),
      fc.constantFrom(0, 0, 0, 500, 5_000),
      fc.option(fc.nat(), { freq: 5 }),
    )
    .map(([j, t, p, w, r]) => new EnqueueCmd(j, t, p, w, r ?? undefined)),
  fc
    .subarray(['service', 'batch', '_failed'], { minLength: 1 })
    .map((s) => new DequeueCmd(s)),
  fc.nat().map((k) => new SettleCmd('ack', k)),
  fc.nat().map((k) => new SettleCmd('nack', k)),
  fc
    .tuple(fc.constantFrom('random' as const, 'other' as const, 'unknown' as const), fc.nat(), fc.boolean())
    .map(([kind, k, n]) => new BadTokenCmd(kind, k, n)),
  fc
    .tuple(fc.constantFrom('reset' as const, 'pause' as const, 'resume' as const, 'requeue' as const), fc.nat())
    .map(([kind, k]) => new TimerCmd(kind, k)),
  fc.constantFrom(1, 500, 999, 1_000, 5_000, 20_000, 40_000, 59_999, 60_000).map((ms) => new AdvanceCmd(ms)),
]

const RUNS = Number(process.env.MODEL_RUNS ?? 300)

describe('EvalBroker against the reference model', () => {
  it('agrees on ordering, per-job serialization, delivery limit, delays and tokens', { timeout: 30_000 + RUNS * 60 }, () => {
    const seed = process.env.MODEL_SEED !== undefined ? Number(process.env.MODEL_SEED) : undefined
    const path = process.env.MODEL_PATH
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.commands(commands, { maxCommands: 150, size: 'large' }), (brokerSeed, cmds) => {
        const clock = new SimClock()
        const broker = new EvalBroker({ clock, random: new SeededRandom(brokerSeed) })
        broker.setEnabled(true)
        const model = new BrokerModel()
        fc.modelRun(() => ({ model, real: { clock, broker, evals: new Map() } }), cmds)
        // At least once: draining (acking whatever comes, letting time pass) delivers every eval
        // the model still holds, and leaves the broker empty.
        const live = new Set(model.live().map((e) => e.id))
        const acked = new Set<string>()
        for (const e of model.inState('unacked')) {
          broker.ack(e.id, e.token) // the schedulers still holding deliveries finish them
          acked.add(e.id)
        }
        for (let guard = 0; guard < 10_000; guard++) {
          const d = broker.tryDequeue(['service', 'batch', '_failed'])
          if (d !== undefined) {
            broker.ack(d.eval.ID, d.token)
            acked.add(d.eval.ID)
            continue
          }
          const due = clock.nextDue()
          if (due === undefined) break
          clock.advance(due - clock.now())
        }
        expect([...live].filter((id) => !acked.has(id))).toEqual([])
        expect(broker.stats()).toMatchObject({ totalReady: 0, totalUnacked: 0, totalBlocked: 0, totalWaiting: 0 })
        broker.stop()
        expect(clock.pending()).toBe(0)
      }),
      { numRuns: RUNS, seed, path },
    )
  })
})
