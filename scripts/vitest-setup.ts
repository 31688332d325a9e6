// Shared test setup, for every package:
// - a test that writes to the console fails: library code logs through an injected logger, and
//   tests assert rather than print;
// - a test file that leaves a handle open (socket, server, child process, timer) fails: stop()
//   must leave nothing running.
import { afterAll, afterEach, beforeAll } from 'vitest'

const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
const written: string[] = []

for (const method of methods) {
  console[method] = (...args: unknown[]) => {
    written.push(`console.${method}: ${args.map(String).join(' ')}`)
  }
}

afterEach(() => {
  if (written.length > 0) {
    const lines = written.splice(0)
    throw new Error(`test wrote to the console:\n${lines.join('\n')}`)
  }
})

function activeHandles(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

function leaked(before: Map<string, number>): string[] {
  const out: string[] = []
  for (const [kind, n] of activeHandles()) {
    const extra = n - (before.get(kind) ?? 0)
    if (extra > 0) out.push(`${kind} × ${extra}`)
  }
  return out
}

let baseline = new Map<string, number>()

beforeAll(() => {
  baseline = activeHandles()
})

afterAll(async () => {
  // Closing sockets and reaping child processes takes an event-loop turn or a few.
  let left = leaked(baseline)
  for (let waited = 0; left.length > 0 && waited < 1000; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    left = leaked(baseline)
  }
  if (left.length > 0) throw new Error(`test file left handles open: ${left.join(', ')}`)
})
