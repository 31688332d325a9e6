import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { samples } from '../../serf/samples.js'
import { haveGo } from '../procs.js'

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '..', 'bin', 'serfcodec')
const goEnv = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'nomadic-gocache'), GOFLAGS: '' }

describe.skipIf(!haveGo())('serf messages between nomadic and Go serf 0.9.4 (go-msgpack)', () => {
  beforeAll(() => {
    mkdirSync(dirname(bin), { recursive: true })
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(here, 'serfcodec'), env: goEnv, stdio: ['ignore', 'ignore', 'pipe'] })
  }, 180_000)

  it('the committed golden vectors are what Go encodes today', () => {
    const fresh = JSON.parse(execFileSync(bin, { encoding: 'utf8' })) as Record<string, string>
    const committed = JSON.parse(readFileSync(join(here, '..', '..', 'serf', 'golden.json'), 'utf8')) as Record<string, string>
    expect(fresh).toEqual(committed)
  })

  it('Go decodes every message nomadic writes into the same values', () => {
    const ours = samples()
    const input = Object.entries(ours).map(([name, buf]) => `${name} ${buf.toString('hex')}`).join('\n') + '\n'
    const out = execFileSync(bin, ['decode'], { input, encoding: 'utf8' })
    const back = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ') as [string, string]))
    for (const [name, buf] of Object.entries(ours)) expect(back[name], name).toBe(buf.toString('hex'))
  })
})
