import { describe, expect, it } from 'vitest'
import { simulateWorkers } from './workers.simulation.js'

const seeds = Number(process.env.SCHED_SIM_SEEDS ?? 60)
const from = Number(process.env.SCHED_SIM_FROM ?? 1)

describe('workers racing through the plan applier', () => {
  it(`keep every node within capacity and account for every allocation (seeds ${from}..${from + seeds - 1})`, async () => {
    const failures: string[] = []
    let placed = 0
    let blocked = 0
    let failed = 0
    let evals = 0
    for (let seed = from; seed < from + seeds; seed++) {
      const r = await simulateWorkers(seed)
      placed += r.placed
      blocked += r.blocked
      failed += r.failed
      evals += r.evals
      if (r.violations.length > 0) failures.push(`seed ${seed}: ${r.violations[0]} (replay: SCHED_SIM_FROM=${seed} SCHED_SIM_SEEDS=1 npx vitest run --project scheduler workers)`)
    }
    expect(failures).toEqual([])
    expect(placed).toBeGreaterThan(seeds * 5)
    expect(blocked).toBeGreaterThan(0)
    // Refreshing the state after a partial commit is what lets racing workers succeed: without it
    // about half of these evals fail (160 of 300 when tried); with it a few do, out of attempts.
    expect(failed).toBeLessThanOrEqual(evals * 0.05)
  }, 240_000)
})
