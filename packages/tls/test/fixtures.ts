// Certificates for the tests, made by the package's own tool: the CA and agent certificates
// through the CLI (`runCli`, in process), the odd ones through the library. They are made once
// per run by global-setup.ts into a temporary directory that every test file reads.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inject } from 'vitest'
import {
  TlsConfig,
  createAgentCertificate,
  createCa,
  createCertificate,
  runCli,
  type CertificateAndKey,
  type TlsSwitches,
} from '../src/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    tlsPkiDir: string
  }
}

/** Made by the CLI (`<name>-nomad.pem`); the rest by the library. */
const CLI_MADE = ['global-server', 'global-client', 'east-server', 'east-client', 'global-cli'] as const

/**
 * Names in `pairs`: `global-server`, `global-client`, `east-server`, `east-client`, `global-cli`
 * (CLI-made); `other-ca` (another CA) and `other-ca-client`, `other-ca-server` (signed by it);
 * `expired-client`, `expired-server`, `future-client` (valid from ten days on); `two-labels` (`client.nomad`, `server.nomad`), `no-nomad`
 * (`server.global.consul`), `cn-only-server` (CN `server.global.nomad`, no SAN),
 * `cn-only-east-client` (CN `client.east.nomad`, no SAN), `global-server-2` (a second server
 * certificate, for reload).
 */
export const PAIR_NAMES = [
  ...CLI_MADE,
  'other-ca',
  'other-ca-client',
  'other-ca-server',
  'expired-client',
  'expired-server',
  'future-client',
  'two-labels',
  'no-nomad',
  'cn-only-server',
  'cn-only-east-client',
  'global-server-2',
] as const

/** A certificate of the test set. */
export type PairName = (typeof PAIR_NAMES)[number]

const silent = { write: () => true }

async function cli(dir: string, ...argv: string[]): Promise<void> {
  const errors: string[] = []
  const code = await runCli(argv, { cwd: dir, stdout: silent, stderr: { write: (text: string) => errors.push(text) } })
  if (code !== 0) throw new Error(`nomadic-tls ${argv.join(' ')} failed: ${errors.join('')}`)
}

/** Writes the whole set into `dir` as `<name>.pem` and `<name>-key.pem` (plus the CLI's own files). */
export async function generatePki(dir: string): Promise<void> {
  await cli(dir, 'ca', 'create')
  for (const name of CLI_MADE) {
    const [region, role] = name.split('-')
    await cli(dir, 'cert', 'create', `-${role}`, '-region', region!)
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const ca: CertificateAndKey = { cert: read('nomad-agent-ca.pem'), key: read('nomad-agent-ca-key.pem') }
  const pairs: Record<string, CertificateAndKey> = {}
  for (const name of CLI_MADE) pairs[name] = { cert: read(`${name}-nomad.pem`), key: read(`${name}-nomad-key.pem`) }
  // Generating RSA keys is the slow part: the odd certificates reuse the CLI-made keys.
  const key = pairs['global-client']!.key
  const otherCa = createCa({ key: pairs['east-client']!.key })
  const longAgo = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000)
  Object.assign(pairs, {
    'other-ca': otherCa,
    'other-ca-client': createAgentCertificate({ ca: otherCa, role: 'client', key }),
    'other-ca-server': createAgentCertificate({ ca: otherCa, role: 'server', key }),
    'expired-client': createAgentCertificate({ ca, role: 'client', now: longAgo, days: 1, key }),
    'expired-server': createAgentCertificate({ ca, role: 'server', now: longAgo, days: 1, key }),
    'future-client': createAgentCertificate({ ca, role: 'client', now: new Date(Date.now() + 10 * 24 * 60 * 60 * 1000), key }),
    'two-labels': createCertificate({ ca, dnsNames: ['client.nomad', 'server.nomad'], ipAddresses: ['127.0.0.1'], key }),
    'no-nomad': createCertificate({ ca, dnsNames: ['server.global.consul', 'client.global.consul'], key }),
    'cn-only-server': createCertificate({ ca, commonName: 'server.global.nomad', key }),
    'cn-only-east-client': createCertificate({ ca, commonName: 'client.east.nomad', key }),
    'global-server-2': createAgentCertificate({ ca, role: 'server', key: pairs['global-cli']!.key }),
  })
  for (const [name, pair] of Object.entries(pairs)) {
    await writeFile(join(dir, `${name}.pem`), pair.cert)
    await writeFile(join(dir, `${name}-key.pem`), pair.key)
  }
}

export interface Pki {
  dir: string
  ca: CertificateAndKey
  pairs: Record<PairName, CertificateAndKey>
  files: { ca: string; caKey: string; cert(name: string): string; key(name: string): string }
  /** A TLS configuration of the named pair, trusting `ca` (default: our CA). */
  config(name: PairName, switches?: TlsSwitches, ca?: string): TlsConfig
}

/** The set global-setup.ts made for this run. */
export function usePki(): Pki {
  const dir = inject('tlsPkiDir')
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const ca = { cert: read('nomad-agent-ca.pem'), key: read('nomad-agent-ca-key.pem') }
  const pairs = Object.fromEntries(
    PAIR_NAMES.map((name) => [name, { cert: read(`${name}.pem`), key: read(`${name}-key.pem`) }]),
  ) as Pki['pairs']
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
    config: (name, switches = {}, trusted = ca.cert) =>
      new TlsConfig({ ...switches, ca: trusted, cert: pairs[name].cert, key: pairs[name].key }),
  }
}
