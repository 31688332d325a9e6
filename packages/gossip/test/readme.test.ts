import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('README example', () => {
  it('runs and prints what the README says', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(pkg, 'examples', 'readme.ts')], { cwd: pkg, encoding: 'utf8', timeout: 20_000 })
    expect(out).toBe('a sees a,b\na saw b left\n')
  })
})
