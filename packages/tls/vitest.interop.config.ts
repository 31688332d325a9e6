import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'tls-interop',
    include: ['test/interop/**/*.test.ts'],
    exclude: ['node_modules/**'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // building the Go peer
    hookTimeout: 120_000,
  },
})
