import { execFile, execFileSync } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin', 'nomadic-tls.js')
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const DAY_MS = 24 * 60 * 60 * 1000

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built bin in `cwd`, as a user would. */
function run(cwd: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let root: string
let dir: string // a CA and one certificate of each role, made once
const certificate = (name: string): X509Certificate => new X509Certificate(readFileSync(join(dir, name)))

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -b packages/tls)`)
  root = await mkdtemp(join(tmpdir(), 'nomadic-tls-cli-'))
  dir = join(root, 'pki')
  await mkdir(dir)
  expect((await run(dir, 'ca', 'create')).code).toBe(0)
  for (const role of ['-server', '-client', '-cli']) expect((await run(dir, 'cert', 'create', role)).code).toBe(0)
  expect((await run(dir, 'cert', 'create', '-client', '-region', 'east', '-days', '30',
    '-additional-dnsname', 'a.example', '-additional-dnsname', 'b.example', '-additional-ipaddress', '10.0.0.7')).code).toBe(0)
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('nomadic-tls ca create', () => {
  it('writes nomad-agent-ca.pem and nomad-agent-ca-key.pem', () => {
    const ca = certificate('nomad-agent-ca.pem')
    expect(ca.ca).toBe(true)
    expect(ca.subject).toMatch(/CN=Nomad Agent CA \d+/)
    expect(ca.checkIssued(ca)).toBe(true)
    const lifetime = new Date(ca.validTo).getTime() - new Date(ca.validFrom).getTime()
    expect(Math.round(lifetime / DAY_MS)).toBe(1825)
    expect(statSync(join(dir, 'nomad-agent-ca-key.pem')).mode & 0o777).toBe(0o600)
  })

  it('refuses to overwrite, naming the file, and changes nothing', async () => {
    const before = readFileSync(join(dir, 'nomad-agent-ca.pem'), 'utf8')
    const result = await run(dir, 'ca', 'create')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('nomad-agent-ca.pem')
    expect(result.stderr).toContain('already exists')
    expect(readFileSync(join(dir, 'nomad-agent-ca.pem'), 'utf8')).toBe(before)
  })

  it('takes -domain and -days', async () => {
    const other = join(root, 'domain')
    await mkdir(other)
    const result = await run(other, 'ca', 'create', '-domain', 'example', '-days=10')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('example-agent-ca.pem')
    const ca = new X509Certificate(readFileSync(join(other, 'example-agent-ca.pem')))
    expect(Math.round((new Date(ca.validTo).getTime() - new Date(ca.validFrom).getTime()) / DAY_MS)).toBe(10)
    expect(existsSync(join(other, 'example-agent-ca-key.pem'))).toBe(true)
  })
})

describe('nomadic-tls cert create', () => {
  it('makes a server certificate for server.<region>.nomad, localhost and 127.0.0.1, for both usages', () => {
    const cert = certificate('global-server-nomad.pem')
    expect(cert.subjectAltName).toBe('DNS:server.global.nomad, DNS:localhost, IP Address:127.0.0.1')
    expect(cert.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]))
    expect(cert.checkIssued(certificate('nomad-agent-ca.pem'))).toBe(true)
    expect(cert.verify(certificate('nomad-agent-ca.pem').publicKey)).toBe(true)
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'global-server-nomad-key.pem'))))).toBe(true)
    expect(Math.round((new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / DAY_MS)).toBe(365)
  })

  it('makes a client certificate for client.<region>.nomad, localhost and 127.0.0.1', () => {
    const cert = certificate('global-client-nomad.pem')
    expect(cert.subjectAltName).toBe('DNS:client.global.nomad, DNS:localhost, IP Address:127.0.0.1')
    expect(cert.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]))
  })

  it('makes a CLI certificate for cli.<region>.nomad, client authentication only', () => {
    const cert = certificate('global-cli-nomad.pem')
    expect(cert.subjectAltName).toBe('DNS:cli.global.nomad, DNS:localhost')
    expect(cert.keyUsage).toEqual([CLIENT_AUTH])
  })

  it('takes -region, -days and additional names', () => {
    const cert = certificate('east-client-nomad.pem')
    expect(cert.subjectAltName).toBe(
      'DNS:client.east.nomad, DNS:localhost, DNS:a.example, DNS:b.example, IP Address:127.0.0.1, IP Address:10.0.0.7',
    )
    expect(Math.round((new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / DAY_MS)).toBe(30)
    expect(existsSync(join(dir, 'east-client-nomad-key.pem'))).toBe(true)
  })

  it.runIf(hasOpenssl())('makes certificates that openssl verify accepts', () => {
    const files = ['global-server-nomad.pem', 'global-client-nomad.pem', 'global-cli-nomad.pem', 'east-client-nomad.pem']
    const output = execFileSync('openssl', ['verify', '-CAfile', 'nomad-agent-ca.pem', ...files], { cwd: dir, encoding: 'utf8' })
    for (const file of files) expect(output).toContain(`${file}: OK`)
  })

  it('refuses to overwrite an existing certificate', async () => {
    const before = readFileSync(join(dir, 'global-server-nomad-key.pem'), 'utf8')
    const result = await run(dir, 'cert', 'create', '-server')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('global-server-nomad.pem')
    expect(readFileSync(join(dir, 'global-server-nomad-key.pem'), 'utf8')).toBe(before)
  })

  it('names a missing CA or key file', async () => {
    const empty = join(root, 'empty')
    await mkdir(empty)
    const noCa = await run(empty, 'cert', 'create', '-server')
    expect(noCa.code).toBe(1)
    expect(noCa.stderr).toContain('nomad-agent-ca.pem')
    expect(noCa.stderr).toContain('ENOENT')
    const noKey = await run(dir, 'cert', 'create', '-server', '-region', 'west', '-key', 'missing-key.pem')
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toContain('missing-key.pem')
    expect(existsSync(join(dir, 'west-server-nomad.pem'))).toBe(false)
  })

  it('names an unreadable or corrupt CA file', async () => {
    const bad = join(root, 'bad')
    await mkdir(join(bad, 'nomad-agent-ca-key.pem'), { recursive: true })
    await writeFile(join(bad, 'nomad-agent-ca.pem'), 'not a certificate')
    const unreadable = await run(bad, 'cert', 'create', '-client', '-ca', join(dir, 'nomad-agent-ca.pem'))
    expect(unreadable.code).toBe(1)
    expect(unreadable.stderr).toContain('nomad-agent-ca-key.pem')
    const corrupt = await run(bad, 'cert', 'create', '-client', '-key', join(dir, 'nomad-agent-ca-key.pem'))
    expect(corrupt.code).toBe(1)
    expect(corrupt.stderr).toContain(join(bad, 'nomad-agent-ca.pem'))
    expect(existsSync(join(bad, 'global-client-nomad.pem'))).toBe(false)
  })

  it('refuses a CA key that does not belong to the CA', async () => {
    const result = await run(dir, 'cert', 'create', '-server', '-region', 'north', '-key', 'global-client-nomad-key.pem')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('global-client-nomad-key.pem')
    expect(result.stderr).toContain('does not match')
  })
})

describe('nomadic-tls usage', () => {
  it.each([
    [['cert', 'create'], 'exactly one of -server, -client or -cli'],
    [['cert', 'create', '-server', '-client'], 'exactly one of -server, -client or -cli'],
    [['cert', 'create', '-server', '-bogus'], 'flag provided but not defined: -bogus'],
    [['cert', 'create', '-server', '-days'], 'flag needs an argument: -days'],
    [['cert', 'create', '-server', '-days', 'ten'], '-days must be a positive whole number'],
    [['cert', 'create', '-server', '-region', 'east', '-additional-ipaddress', 'nope'], 'not an IP address'],
    [['ca', 'delete'], 'unknown command'],
  ])('%j fails with %s', async (args, message) => {
    const result = await run(dir, ...args)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(message)
  })

  it('prints help, also after a command', async () => {
    for (const args of [['-help'], ['cert', 'create', '-help'], ['ca', 'create', '--help']]) {
      const result = await run(dir, ...args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('cert create -server|-client|-cli')
    }
    const none = await run(dir)
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('Usage: nomadic-tls')
  })
})
