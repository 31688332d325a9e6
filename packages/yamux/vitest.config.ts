import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'yamux',
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**', 'node_modules/**'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    testTimeout: 30_000,
  },
})
