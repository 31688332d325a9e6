/**
 * A linearizability checker: the Wing–Gong search with Lowe's memoization, run per partition of
 * the history (per key, as porcupine does). An operation whose outcome is unknown (a write that
 * timed out or lost its leader) has its return at +Infinity, as etcd's robustness tests do: it
 * may take effect at any point after its call, or never.
 */

/** One client operation. */
export interface Operation<I, O> {
  client: number
  input: I
  /** When the operation was called. */
  call: number
  /** What it returned; undefined when unknown. */
  output: O | undefined
  /** When it returned; Infinity when its outcome is unknown. */
  return: number
}

/** A sequential specification. States must be comparable through `key`. */
export interface Model<S, I, O> {
  init(): S
  /** Whether `input` may return `output` in `state`, and the state after it. */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S }
  /** A string that identifies a state (for memoization). */
  key(state: S): string
  /** Splits a history into independent parts (default: one part). */
  partition?(history: Operation<I, O>[]): Operation<I, O>[][]
}

/** The verdict. */
export interface CheckResult {
  ok: boolean
  /** The search hit its step limit without an answer (reported as not ok). */
  timedOut: boolean
  /** Index of the first partition that failed. */
  failedPartition?: number
}

interface Node {
  id: number
  call: boolean
  time: number
  match: Node | undefined
  prev: Node | undefined
  next: Node | undefined
}

/** Checks that `history` is linearizable with respect to `model`. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: Operation<I, O>[], maxSteps = 2_000_000): CheckResult {
  const parts = model.partition?.(history) ?? [history]
  for (let p = 0; p < parts.length; p++) {
    const verdict = checkPartition(model, parts[p]!, maxSteps)
    if (verdict !== 'ok') return { ok: false, timedOut: verdict === 'timeout', failedPartition: p }
  }
  return { ok: true, timedOut: false }
}

function checkPartition<S, I, O>(model: Model<S, I, O>, ops: Operation<I, O>[], maxSteps: number): 'ok' | 'fail' | 'timeout' {
  const n = ops.length
  if (n === 0) return 'ok'
  // Events in time order; at equal times calls come first, so touching operations count as concurrent.
  const events: Node[] = []
  for (let i = 0; i < n; i++) {
    const op = ops[i]!
    const call: Node = { id: i, call: true, time: op.call, match: undefined, prev: undefined, next: undefined }
    const ret: Node = { id: i, call: false, time: op.return, match: undefined, prev: undefined, next: undefined }
    call.match = ret
    events.push(call, ret)
  }
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1))
  const head: Node = { id: -1, call: false, time: -Infinity, match: undefined, prev: undefined, next: undefined }
  let prev = head
  for (const e of events) {
    prev.next = e
    e.prev = prev
    prev = e
  }
  const words = Math.ceil(n / 32)
  const linearized = new Uint32Array(words)
  const seen = new Set<string>()
  const stack: { node: Node; state: S }[] = []
  let state = model.init()
  let entry = head.next
  let steps = 0
  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'timeout'
    if (entry === undefined) return 'fail'
    if (entry.call) {
      const op = ops[entry.id]!
      const result = model.step(state, op.input, op.output)
      if (result.ok) {
        linearized[entry.id >>> 5]! ^= 1 << (entry.id & 31)
        const key = `${linearized.join(',')}|${model.key(result.state)}`
        if (!seen.has(key)) {
          seen.add(key)
          stack.push({ node: entry, state })
          state = result.state
          lift(entry)
          entry = head.next
          continue
        }
        linearized[entry.id >>> 5]! ^= 1 << (entry.id & 31)
      }
      entry = entry.next
    } else {
      const top = stack.pop()
      if (top === undefined) return 'fail'
      state = top.state
      linearized[top.node.id >>> 5]! ^= 1 << (top.node.id & 31)
      unlift(top.node)
      entry = top.node.next
    }
  }
  return 'ok'
}

function lift(call: Node): void {
  call.prev!.next = call.next
  if (call.next !== undefined) call.next.prev = call.prev
  const ret = call.match!
  ret.prev!.next = ret.next
  if (ret.next !== undefined) ret.next.prev = ret.prev
}

function unlift(call: Node): void {
  const ret = call.match!
  ret.prev!.next = ret
  if (ret.next !== undefined) ret.next.prev = ret
  call.prev!.next = call
  if (call.next !== undefined) call.next.prev = call
}

/** Input of the key/value register model. */
export type KVInput = { op: 'put'; key: string; value: string } | { op: 'get'; key: string }
/** Output: the value read, or the value a put replaced. */
export type KVOutput = { value: string | null }

/** Registers per key: a put returns the previous value, a get the current one. */
export const kvModel: Model<string | null, KVInput, KVOutput> = {
  init: () => null,
  step(state, input, output) {
    if (output !== undefined && output.value !== state) return { ok: false, state }
    return { ok: true, state: input.op === 'put' ? input.value : state }
  },
  key: (state) => (state === null ? '\u0000' : state),
  partition(history) {
    const byKey = new Map<string, Operation<KVInput, KVOutput>[]>()
    for (const op of history) {
      const list = byKey.get(op.input.key)
      if (list === undefined) byKey.set(op.input.key, [op])
      else list.push(op)
    }
    return [...byKey.values()]
  },
}
