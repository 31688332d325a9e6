import { describe, expect, it } from 'vitest'
import { checkLinearizable, kvModel, type KVInput, type KVOutput, type Operation } from '../src/testing/linearizability.js'

type Op = Operation<KVInput, KVOutput>
const put = (client: number, key: string, value: string, call: number, ret: number, previous: string | null | undefined = undefined): Op =>
  ({ client, input: { op: 'put', key, value }, call, output: previous === undefined ? undefined : { value: previous }, return: ret })
const get = (client: number, key: string, value: string | null, call: number, ret: number): Op =>
  ({ client, input: { op: 'get', key }, call, output: { value }, return: ret })

describe('linearizability checker', () => {
  it('accepts a sequential history and overlapping operations in either order', () => {
    expect(checkLinearizable(kvModel, [put(0, 'x', '1', 0, 1, null), get(1, 'x', '1', 2, 3)]).ok).toBe(true)
    // The read overlaps the write: both the old and the new value are fine.
    expect(checkLinearizable(kvModel, [put(0, 'x', '1', 0, 10, null), get(1, 'x', null, 1, 2)]).ok).toBe(true)
    expect(checkLinearizable(kvModel, [put(0, 'x', '1', 0, 10, null), get(1, 'x', '1', 1, 2)]).ok).toBe(true)
  })

  it('rejects a stale read after a completed write', () => {
    const verdict = checkLinearizable(kvModel, [put(0, 'x', '1', 0, 1, null), get(1, 'x', null, 2, 3)])
    expect(verdict.ok).toBe(false)
    expect(verdict.timedOut).toBe(false)
  })

  it('rejects a read that goes back in time', () => {
    const history = [
      put(0, 'x', '1', 0, 1, null),
      put(0, 'x', '2', 2, 3, '1'),
      get(1, 'x', '2', 4, 5),
      get(1, 'x', '1', 6, 7),
    ]
    expect(checkLinearizable(kvModel, history).ok).toBe(false)
  })

  it('lets an indeterminate write take effect late or never', () => {
    const never = [put(0, 'x', '1', 0, Infinity), get(1, 'x', null, 5, 6)]
    const late = [put(0, 'x', '1', 0, Infinity), get(1, 'x', null, 5, 6), get(1, 'x', '1', 7, 8)]
    expect(checkLinearizable(kvModel, never).ok).toBe(true)
    expect(checkLinearizable(kvModel, late).ok).toBe(true)
    // But once seen, it cannot disappear.
    const flicker = [put(0, 'x', '1', 0, Infinity), get(1, 'x', '1', 5, 6), get(1, 'x', null, 7, 8)]
    expect(checkLinearizable(kvModel, flicker).ok).toBe(false)
  })

  it('checks keys independently and names the failing one', () => {
    const history = [
      put(0, 'a', '1', 0, 1, null), get(1, 'a', '1', 2, 3),
      put(0, 'b', '1', 0, 1, null), get(1, 'b', null, 2, 3),
    ]
    const verdict = checkLinearizable(kvModel, history)
    expect(verdict.ok).toBe(false)
    expect(verdict.failedPartition).toBe(1)
  })

  it('handles many concurrent operations without running out of steps', () => {
    const history: Op[] = []
    for (let i = 0; i < 200; i++) history.push(put(i % 5, 'k', `v${i}`, i, i + 3))
    history.push(get(9, 'k', 'v199', 300, 301))
    expect(checkLinearizable(kvModel, history).ok).toBe(true)
  })
})
