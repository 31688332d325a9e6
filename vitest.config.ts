import { defineConfig } from 'vitest/config'

// One project per package (packages/*/vitest.config.ts); multi-process and interop
// suites live in their own projects (packages/*/vitest.interop.config.ts).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'packages/*/vitest.interop.config.ts'],
    reporters: ['default', 'hanging-process'],
  },
})
