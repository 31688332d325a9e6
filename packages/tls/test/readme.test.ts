import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('README example', () => {
  it('is the code of examples/readme.ts', () => {
    const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8')
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(readFileSync(join(PACKAGE, 'examples', 'readme.ts'), 'utf8'))
  })

  it('runs as written', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', 'examples/readme.ts'], { cwd: PACKAGE, timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      )
    })
    const lines = output.trim().split('\n')
    expect(lines).toContain('hello client.global.nomad')
    expect(lines).toContain('server refused a peer: invalid role or region for certificate')
    expect(lines).toContain('""')
    expect(lines).toHaveLength(3)
  }, 60_000)
})
