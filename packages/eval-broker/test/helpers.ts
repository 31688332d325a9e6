import { mockEval, type Evaluation } from '@nomadic/structs'

let nextIndex = 1000

/** Nomad's mock eval with a fresh, increasing CreateIndex, overridden by `fields`. */
export function makeEval(fields: Partial<Evaluation> = {}): Evaluation {
  const index = nextIndex++
  return { ...mockEval(), TriggeredBy: 'job-register', CreateIndex: index, ModifyIndex: index, ...fields }
}

/** Records what a promise settled with, so a test can look without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  )
  return state
}
