import fc from 'fast-check'
import { flushMicrotasks, SimClock } from '@nomadic/runtime'
import type { Evaluation } from '@nomadic/structs'
import { describe, expect, it } from 'vitest'
import { BlockedEvals } from '../src/index.js'
import { makeEval } from './helpers.js'

/**
 * Random block / unblock / untrack / unblockFailed sequences against BlockedEvals with a
 * recording broker: no blocked eval is ever lost or handed out twice, and at most one is held
 * per job. On failure fast-check prints the seed; replay with BLOCKED_SEED=<seed>.
 */

const CLASSES = ['v1:a', 'v1:b', 'v1:c']
const JOBS = ['j1', 'j2', 'j3']

type Op =
  | { kind: 'block'; job: number; snapshot: number; elig: Array<boolean | null>; escaped: boolean; maxPlans: boolean; reblock: boolean }
  | { kind: 'unblock'; cls: number; flush: boolean }
  | { kind: 'untrack'; job: number }
  | { kind: 'failed' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('block' as const),
      job: fc.nat(JOBS.length - 1),
      snapshot: fc.nat(40),
      elig: fc.array(fc.constantFrom(true, false, null), { minLength: 3, maxLength: 3 }),
      escaped: fc.boolean(),
      maxPlans: fc.boolean(),
      reblock: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('unblock' as const), cls: fc.nat(CLASSES.length - 1), flush: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('untrack' as const), job: fc.nat(JOBS.length - 1) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('failed' as const) }), weight: 1 },
)

const RUNS = Number(process.env.BLOCKED_RUNS ?? 200)

describe('BlockedEvals under random operations', () => {
  it('never loses a blocked eval, never releases one twice, holds at most one per job', { timeout: 30_000 + RUNS * 20 }, async () => {
    const seed = process.env.BLOCKED_SEED !== undefined ? Number(process.env.BLOCKED_SEED) : undefined
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        const released: string[] = []
        const tokens = new Map<string, string>()
        const clock = new SimClock()
        const blocked = new BlockedEvals<Evaluation>({
          clock,
          broker: {
            enqueueAll(evals) {
              for (const [e, token] of evals) {
                released.push(e.ID)
                expect(token).toBe(tokens.get(e.ID))
              }
            },
          },
        })
        blocked.setEnabled(true)
        const all: Evaluation[] = []
        const duplicates: Evaluation[] = []
        let untracked = 0
        let index = 50
        for (const o of ops) {
          if (o.kind === 'block') {
            const e = makeEval({
              JobID: JOBS[o.job]!,
              Status: 'blocked',
              SnapshotIndex: index - o.snapshot,
              EscapedComputedClass: o.escaped,
              TriggeredBy: o.maxPlans ? 'max-plan-attempts' : 'alloc-failure',
              ClassEligibility: Object.fromEntries(
                CLASSES.flatMap((c, i) => (o.elig[i] === null ? [] : [[c, o.elig[i]!]])),
              ),
            })
            all.push(e)
            const token = o.reblock ? `token-${e.ID}` : ''
            tokens.set(e.ID, token)
            if (o.reblock) blocked.reblock(e, token)
            else blocked.block(e)
          } else if (o.kind === 'unblock') {
            blocked.unblock(CLASSES[o.cls]!, index++)
            if (o.flush) await flushMicrotasks()
          } else if (o.kind === 'untrack') {
            await flushMicrotasks()
            const before = blocked.stats().totalBlocked
            blocked.untrack(JOBS[o.job]!, 'default')
            untracked += before - blocked.stats().totalBlocked
          } else {
            blocked.unblockFailed()
          }
          duplicates.push(...(await pollDuplicates(blocked, clock)))
          expect(blocked.stats().totalBlocked).toBeLessThanOrEqual(JOBS.length)
        }
        await flushMicrotasks()
        duplicates.push(...(await pollDuplicates(blocked, clock)))
        const dupIds = duplicates.map((e) => e.ID)
        expect(new Set(released).size).toBe(released.length)
        expect(new Set(dupIds).size).toBe(dupIds.length)
        expect(dupIds.filter((id) => released.includes(id))).toEqual([])
        expect(released.length + dupIds.length + untracked + blocked.stats().totalBlocked).toBe(all.length)
        blocked.stop()
        expect(clock.pending()).toBe(0)
      }),
      { numRuns: RUNS, seed },
    )
  })
})

async function pollDuplicates(blocked: BlockedEvals<Evaluation>, clock: SimClock): Promise<Evaluation[]> {
  const pending = blocked.getDuplicates({ timeout: 1 })
  clock.advance(1)
  return pending
}
