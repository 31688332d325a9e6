import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'tls',
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**', 'node_modules/**'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // the CLI suite makes its certificates in beforeAll by running the bin five times
    hookTimeout: 60_000,
  },
})
