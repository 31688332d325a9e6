// Makes the test certificates once per run (RSA key generation is the slow part) and hands
// their directory to every test file through `inject('tlsPkiDir')`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { generatePki } from './fixtures.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'nomadic-tls-pki-'))
  await generatePki(dir)
  project.provide('tlsPkiDir', dir)
  return () => rm(dir, { recursive: true, force: true })
}
