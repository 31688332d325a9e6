import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'yamux-interop',
    include: ['test/interop/**/*.test.ts'],
    exclude: ['node_modules/**'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
})
