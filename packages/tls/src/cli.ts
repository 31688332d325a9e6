import { resolve } from 'node:path'
import {
  DEFAULT_CA_DAYS,
  DEFAULT_CERT_DAYS,
  DEFAULT_DOMAIN,
  DEFAULT_REGION,
  createAgentCertificate,
  createCa,
  type CertificateRole,
} from './ca/authority.js'
import { agentFileNames, caFileNames, readCa, refuseExisting, writeNewFiles } from './ca/files.js'
import { TlsError, TlsUsageError } from './errors.js'

/** Where `nomadic-tls` reads and writes: a directory and two output streams. */
export interface CliIo {
  /** Directory the files are written to (and relative `-ca`/`-key` are read from). */
  cwd: string
  /** Where progress (`==> … saved to: …`) and help go. */
  stdout: { write(text: string): unknown }
  /** Where errors go (`Error: …`, naming the file concerned). */
  stderr: { write(text: string): unknown }
  /** Start of validity of what is created. Default: now. */
  now?: Date
}

/** The usage text of `nomadic-tls`. */
export const USAGE = `Usage: nomadic-tls <command> [options]

  ca create [-days 1825] [-domain nomad]
      Creates nomad-agent-ca.pem and nomad-agent-ca-key.pem (named after -domain).

  cert create -server|-client|-cli [-region global] [-days 365] [-domain nomad]
              [-ca nomad-agent-ca.pem] [-key nomad-agent-ca-key.pem]
              [-additional-dnsname NAME]... [-additional-ipaddress IP]...
      Creates <region>-<role>-<domain>.pem and <region>-<role>-<domain>-key.pem, signed by the CA.

Existing files are never overwritten.
`

const HELP = ['-h', '-help', '--help', 'help']

type FlagKind = 'string' | 'number' | 'boolean' | 'list'
type FlagValues = Map<string, string | number | boolean | string[]>

const CA_FLAGS: Record<string, FlagKind> = { days: 'number', domain: 'string' }
const CERT_FLAGS: Record<string, FlagKind> = {
  server: 'boolean',
  client: 'boolean',
  cli: 'boolean',
  region: 'string',
  days: 'number',
  domain: 'string',
  ca: 'string',
  key: 'string',
  'additional-dnsname': 'list',
  'additional-ipaddress': 'list',
}

/**
 * Runs `nomadic-tls` with `argv` (without the program name); returns the exit code: 0 on
 * success, 1 on any error (written to `stderr` with the file it concerns).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0) {
      io.stderr.write(USAGE)
      return 1
    }
    if (argv.some((arg) => HELP.includes(arg))) {
      io.stdout.write(USAGE)
      return 0
    }
    const command = `${argv[0]} ${argv[1] ?? ''}`.trim()
    if (command === 'ca create') await caCreate(parseFlags(argv.slice(2), CA_FLAGS), io)
    else if (command === 'cert create') await certCreate(parseFlags(argv.slice(2), CERT_FLAGS), io)
    else throw new TlsUsageError(`unknown command ${JSON.stringify(command)}; run nomadic-tls -help`)
    return 0
  } catch (error) {
    if (!(error instanceof TlsError)) throw error
    io.stderr.write(`Error: ${error.message}\n`)
    return 1
  }
}

async function caCreate(flags: FlagValues, io: CliIo): Promise<void> {
  const domain = (flags.get('domain') as string | undefined) ?? DEFAULT_DOMAIN
  const names = caFileNames(domain)
  // Checked before the (slow) key generation; writeNewFiles checks again.
  await refuseExisting([resolve(io.cwd, names.cert), resolve(io.cwd, names.key)])
  const ca = createCa({ domain, days: (flags.get('days') as number | undefined) ?? DEFAULT_CA_DAYS, now: io.now })
  await writeNewFiles([
    { path: resolve(io.cwd, names.cert), content: ca.cert, mode: 0o644 },
    { path: resolve(io.cwd, names.key), content: ca.key, mode: 0o600 },
  ])
  io.stdout.write(`==> CA certificate saved to: ${names.cert}\n==> CA certificate key saved to: ${names.key}\n`)
}

async function certCreate(flags: FlagValues, io: CliIo): Promise<void> {
  const roles = (['server', 'client', 'cli'] as const).filter((role) => flags.get(role) === true)
  if (roles.length !== 1) throw new TlsUsageError('please provide exactly one of -server, -client or -cli')
  const role: CertificateRole = roles[0]!
  const domain = (flags.get('domain') as string | undefined) ?? DEFAULT_DOMAIN
  const region = (flags.get('region') as string | undefined) ?? DEFAULT_REGION
  const defaults = caFileNames(domain)
  const caFile = (flags.get('ca') as string | undefined) ?? defaults.cert
  const keyFile = (flags.get('key') as string | undefined) ?? defaults.key
  const names = agentFileNames(role, region, domain)
  await refuseExisting([resolve(io.cwd, names.cert), resolve(io.cwd, names.key)])
  const ca = await readCa(resolve(io.cwd, caFile), resolve(io.cwd, keyFile))
  const issued = createAgentCertificate({
    ca,
    role,
    region,
    domain,
    days: (flags.get('days') as number | undefined) ?? DEFAULT_CERT_DAYS,
    additionalDnsNames: (flags.get('additional-dnsname') as string[] | undefined) ?? [],
    additionalIpAddresses: (flags.get('additional-ipaddress') as string[] | undefined) ?? [],
    now: io.now,
  })
  await writeNewFiles([
    { path: resolve(io.cwd, names.cert), content: issued.cert, mode: 0o644 },
    { path: resolve(io.cwd, names.key), content: issued.key, mode: 0o600 },
  ])
  const title = role === 'cli' ? 'CLI' : role[0]!.toUpperCase() + role.slice(1)
  io.stdout.write(
    `==> Using CA file ${caFile} and CA key ${keyFile}\n` +
      `==> ${title} Certificate saved to: ${names.cert}\n` +
      `==> ${title} Certificate key saved to: ${names.key}\n`,
  )
}

// Go's flag syntax: -name value, -name=value, --name; booleans take no value (or =true/=false).
function parseFlags(args: readonly string[], spec: Record<string, FlagKind>): FlagValues {
  const values: FlagValues = new Map()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new TlsUsageError(`unexpected argument ${JSON.stringify(arg)}`)
    }
    const body = arg.replace(/^--?/, '')
    const eq = body.indexOf('=')
    const name = eq < 0 ? body : body.slice(0, eq)
    const kind = spec[name]
    if (kind === undefined) throw new TlsUsageError(`flag provided but not defined: -${name}`)
    let raw: string | undefined = eq < 0 ? undefined : body.slice(eq + 1)
    if (kind === 'boolean') {
      if (raw !== undefined && raw !== 'true' && raw !== 'false') {
        throw new TlsUsageError(`invalid boolean value ${JSON.stringify(raw)} for -${name}`)
      }
      values.set(name, raw !== 'false')
      continue
    }
    if (raw === undefined) {
      raw = args[++i]
      if (raw === undefined) throw new TlsUsageError(`flag needs an argument: -${name}`)
    }
    if (kind === 'number') {
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new TlsUsageError(`-${name} must be a positive whole number, got ${JSON.stringify(raw)}`)
      values.set(name, Number(raw))
    } else if (kind === 'list') {
      values.set(name, [...((values.get(name) as string[] | undefined) ?? []), raw])
    } else {
      values.set(name, raw)
    }
  }
  return values
}
