import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'gossip-interop',
    include: ['test/interop/**/*.test.ts'],
    setupFiles: ['../../scripts/vitest-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
