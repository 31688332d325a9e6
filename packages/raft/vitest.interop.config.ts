import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'raft-interop',
    include: ['test/interop/**/*.test.ts'],
    exclude: ['node_modules/**'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 180_000,
    // The suites start real processes on a 2-core machine: one file at a time.
    fileParallelism: false,
  },
})
