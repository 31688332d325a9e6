// Shared test setup: a test that writes to the console fails. Library code must log through
// an injected logger, and tests must assert rather than print.
import { afterEach } from 'vitest'

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
