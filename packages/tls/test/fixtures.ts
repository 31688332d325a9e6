// Certificates for the tests, made by the package's own tool: the CA and agent certificates
// through the CLI (`runCli`, in process), the odd ones through the library. Made once per test
// file; RSA keys come from node:crypto, so the whole set takes about a second or two.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import {
  TlsConfig,
  createAgentCertificate,
  createCa,
  createCertificate,
  runCli,
  type CertificateAndKey,
  type TlsSwitches,
} from '../src/index.js'

export interface Pki {
  dir: string
  ca: CertificateAndKey
  /** Files written by the CLI: CA, and server/client certificates of regions global and east. */
  files: { ca: string; caKey: string; cert(name: string): string; key(name: string): string }
  pairs: Record<string, CertificateAndKey>
  /** A TLS configuration of the named pair (from `pairs`), trusting `ca` (default: our CA). */
  config(name: string, switches?: TlsSwitches, ca?: string): TlsConfig
  cleanup(): Promise<void>
}

const silent = { write: () => true }

async function cli(dir: string, ...argv: string[]): Promise<void> {
  const errors: string[] = []
  const code = await runCli(argv, { cwd: dir, stdout: silent, stderr: { write: (text: string) => errors.push(text) } })
  if (code !== 0) throw new Error(`nomadic-tls ${argv.join(' ')} failed: ${errors.join('')}`)
}

/**
 * Names in `pairs`: `global-server`, `global-client`, `east-server`, `east-client`, `global-cli`
 * (CLI-made); `other-ca-client`, `other-ca-server` (signed by another CA); `expired-client`,
 * `expired-server`; `two-labels` (`client.nomad`), `no-nomad` (`server.global.consul`),
 * `cn-only-server` (CN `server.global.nomad`, no SAN), `cn-only-east-client` (CN
 * `client.east.nomad`, no SAN), `global-server-2` (a second server certificate, for reload).
 */
export async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'nomadic-tls-'))
  await cli(dir, 'ca', 'create')
  for (const [role, region] of [['server', 'global'], ['client', 'global'], ['server', 'east'], ['client', 'east'], ['cli', 'global']]) {
    await cli(dir, 'cert', 'create', `-${role}`, '-region', region!)
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const ca: CertificateAndKey = { cert: read('nomad-agent-ca.pem'), key: read('nomad-agent-ca-key.pem') }
  const pairs: Record<string, CertificateAndKey> = {}
  for (const name of ['global-server', 'global-client', 'east-server', 'east-client', 'global-cli']) {
    pairs[name] = { cert: read(`${name}-nomad.pem`), key: read(`${name}-nomad-key.pem`) }
  }
  const otherCa = createCa()
  pairs['other-ca'] = otherCa
  pairs['other-ca-client'] = createAgentCertificate({ ca: otherCa, role: 'client' })
  pairs['other-ca-server'] = createAgentCertificate({ ca: otherCa, role: 'server' })
  const longAgo = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000)
  pairs['expired-client'] = createAgentCertificate({ ca, role: 'client', now: longAgo, days: 1 })
  pairs['expired-server'] = createAgentCertificate({ ca, role: 'server', now: longAgo, days: 1 })
  pairs['two-labels'] = createCertificate({ ca, dnsNames: ['client.nomad', 'server.nomad'], ipAddresses: ['127.0.0.1'] })
  pairs['no-nomad'] = createCertificate({ ca, dnsNames: ['server.global.consul', 'client.global.consul'] })
  pairs['cn-only-server'] = createCertificate({ ca, commonName: 'server.global.nomad' })
  pairs['cn-only-east-client'] = createCertificate({ ca, commonName: 'client.east.nomad' })
  pairs['global-server-2'] = createAgentCertificate({ ca, role: 'server' })
  for (const [name, pair] of Object.entries(pairs)) {
    await writeFile(join(dir, `${name}.pem`), pair.cert)
    await writeFile(join(dir, `${name}-key.pem`), pair.key)
  }
  return {
    dir,
    ca,
    pairs,
    files: {
      ca: join(dir, 'nomad-agent-ca.pem'),
      caKey: join(dir, 'nomad-agent-ca-key.pem'),
      cert: (name) => join(dir, `${name}.pem`),
      key: (name) => join(dir, `${name}-key.pem`),
    },
    config: (name, switches = {}, trusted = ca.cert) => {
      const pair = pairs[name]
      if (pair === undefined) throw new Error(`no fixture ${name}`)
      return new TlsConfig({ ...switches, ca: trusted, cert: pair.cert, key: pair.key })
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}
