import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MessageType,
  decodeMessage,
  encodeMessage,
  mockAlloc,
  mockEval,
  mockJob,
  mockNode,
  type EvalUpdateRequest,
} from '../../src/index.js'

interface Vector {
  name: string
  type: number
  hex: string
}

const goldenDir = fileURLToPath(new URL('../golden/', import.meta.url))
const binDir = fileURLToPath(new URL('./bin/', import.meta.url))
const genBin = `${binDir}golden-gen`
const hasGo = spawnSync('go', ['version']).status === 0
const goEnv = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: `${binDir}gocache`, GOFLAGS: '' }

function runGen(args: string[], input?: string): Vector[] {
  const out = execFileSync(genBin, args, { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 })
  return JSON.parse(out) as Vector[]
}

function hexOf(buf: Buffer): string {
  return buf.toString('hex')
}

describe.skipIf(!hasGo)('golden vectors against Go (Debian go-msgpack, Nomad handle settings)', () => {
  beforeAll(() => {
    mkdirSync(binDir, { recursive: true })
    execFileSync('go', ['build', '-o', genBin, `${goldenDir}gen.go`], { env: goEnv, timeout: 200_000, stdio: 'pipe' })
  })

  it('the Go program regenerates exactly the committed vectors', () => {
    const committed = JSON.parse(readFileSync(`${goldenDir}vectors.json`, 'utf8')) as Vector[]
    expect(runGen([])).toEqual(committed)
  })

  it('Go decodes what we re-encode into the same values (its re-encoding equals the golden bytes)', () => {
    const committed = JSON.parse(readFileSync(`${goldenDir}vectors.json`, 'utf8')) as Vector[]
    const ours = committed.map((v) => {
      const msg = decodeMessage(Buffer.from(v.hex, 'hex'), { exactInt64: true })
      return { ...v, hex: hexOf(encodeMessage(msg.type, msg.body, { ignoreUnknown: msg.ignoreUnknown })) }
    })
    expect(runGen(['roundtrip'], JSON.stringify(ours))).toEqual(committed)
  })

  it('Go reads messages built here from whole TypeScript objects', () => {
    const job = mockJob()
    const alloc = mockAlloc()
    alloc.TaskStates = { web: { State: 'running', Failed: false, Restarts: 0, LastRestart: new Date(1_000), StartedAt: new Date(2_000), FinishedAt: new Date(3_000) } }
    const ev = mockEval()
    const node = mockNode()
    const messages: [string, number, object][] = [
      ['node-register', MessageType.NodeRegisterRequestType, { Node: node, Region: 'global', Namespace: '', AuthToken: '', Forwarded: false }],
      ['job-register', MessageType.JobRegisterRequestType, { Job: job, EnforceIndex: false, JobModifyIndex: 0, PolicyOverride: false, Region: 'global' }],
      ['eval-update', MessageType.EvalUpdateRequestType, { Evals: [ev], EvalToken: 'tok' }],
      ['apply-plan-results', MessageType.ApplyPlanResultsRequestType, { AllocsUpdated: [alloc], Job: job, EvalID: ev.ID, AllocsStopped: [{ ID: 'gone', ClientStatus: 'lost' }] }],
    ]
    const ours = messages.map(([name, type, body]) => ({ name, type, hex: hexOf(encodeMessage(type, body)) }))
    const back = runGen(['roundtrip'], JSON.stringify(ours))
    back.forEach((v, i) => {
      const fromGo = decodeMessage(Buffer.from(v.hex, 'hex')).body
      const fromUs = decodeMessage(Buffer.from(ours[i]!.hex, 'hex')).body
      expect(fromGo, v.name).toMatchObject(fromUs)
    })
    const evalBack = decodeMessage<EvalUpdateRequest>(Buffer.from(back[2]!.hex, 'hex')).body
    expect(evalBack.Evals![0]!.ID).toBe(ev.ID)
    expect(evalBack.Evals![0]!.WaitUntil.getTime()).toBe(ev.WaitUntil.getTime())
  })
})
