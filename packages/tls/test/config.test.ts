import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TlsAcceptor,
  TlsConfig,
  TlsConfigError,
  TlsFileError,
  TlsKeyMismatchError,
  TlsPemError,
  loadTlsConfig,
  loadTlsConfigSync,
  type TlsFileSettings,
} from '../src/index.js'
import { usePki, type Pki } from './fixtures.js'

let pki: Pki
let dir: string

beforeAll(async () => {
  pki = usePki()
  dir = await mkdtemp(join(tmpdir(), 'nomadic-tls-config-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function serverFiles(overrides: Partial<TlsFileSettings> = {}): TlsFileSettings {
  return {
    enableRpc: true,
    caFile: pki.files.ca,
    certFile: pki.files.cert('global-server'),
    keyFile: pki.files.key('global-server'),
    ...overrides,
  }
}

/** Both loaders must fail the same way. */
async function failure(settings: TlsFileSettings): Promise<Error> {
  let syncError: unknown
  try {
    loadTlsConfigSync(settings)
  } catch (error) {
    syncError = error
  }
  const asyncError = await loadTlsConfig(settings).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(asyncError).toBeInstanceOf(Error)
  expect((syncError as Error).message).toBe((asyncError as Error).message)
  return asyncError as Error
}

async function corrupt(name: string, content: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

describe('loading from files', () => {
  it('loads the CA, certificate and key with Nomad defaults', async () => {
    const config = await loadTlsConfig(serverFiles())
    expect(config.ca).toBe(pki.ca.cert)
    expect(config.cert).toBe(pki.pairs['global-server'].cert)
    expect(config.key).toBe(pki.pairs['global-server'].key)
    expect(config.minVersion).toBe('tls12')
    expect(config.verifyServerHostname).toBe(false)
    expect(config.verifyHttpsClient).toBe(false)
    expect(config.enableHttp).toBe(false)
    expect(config.enableRpc).toBe(true)
    expect(config.sources.cert).toBe(pki.files.cert('global-server'))
    expect(loadTlsConfigSync(serverFiles()).cert).toBe(config.cert)
  })

  it('names a missing file', async () => {
    const missing = join(dir, 'nope.pem')
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      const error = await failure(serverFiles({ [key]: missing }))
      expect(error).toBeInstanceOf(TlsFileError)
      expect((error as TlsFileError).code).toBe('ERR_TLS_FILE_UNREADABLE')
      expect((error as TlsFileError).path).toBe(missing)
      expect(error.message).toContain(missing)
      expect(error.message).toContain('ENOENT')
    }
  })

  it('names an unreadable file (a directory)', async () => {
    const folder = join(dir, 'folder.pem')
    await mkdir(folder, { recursive: true })
    const error = await failure(serverFiles({ keyFile: folder }))
    expect(error).toBeInstanceOf(TlsFileError)
    expect(error.message).toContain(folder)
  })

  it('names a file with a corrupt certificate', async () => {
    const good = pki.pairs['global-server'].cert
    const lines = good.split('\n')
    lines[5] = lines[5]!.replace(/[A-Za-z]/g, '!')
    const path = await corrupt('corrupt-cert.pem', lines.join('\n'))
    const error = await failure(serverFiles({ certFile: path }))
    expect(error).toBeInstanceOf(TlsPemError)
    expect((error as TlsPemError).code).toBe('ERR_TLS_PEM_INVALID')
    expect((error as TlsPemError).path).toBe(path)
    expect(error.message).toContain(path)
  })

  it('names a truncated CA file', async () => {
    const path = await corrupt('truncated-ca.pem', pki.ca.cert.slice(0, pki.ca.cert.length / 2))
    const error = await failure(serverFiles({ caFile: path }))
    expect(error).toBeInstanceOf(TlsPemError)
    expect(error.message).toContain(path)
  })

  it('names a CA bundle with a broken second block', async () => {
    const path = await corrupt('bundle.pem', pki.ca.cert + '-----BEGIN CERTIFICATE-----\nAAAA\n')
    const error = await failure(serverFiles({ caFile: path }))
    expect(error).toBeInstanceOf(TlsPemError)
    expect(error.message).toContain(path)
  })

  it('names an empty or non-PEM file', async () => {
    const empty = await corrupt('empty.pem', '')
    expect(await failure(serverFiles({ caFile: empty }))).toBeInstanceOf(TlsPemError)
    const text = await corrupt('text.pem', 'hello')
    const error = await failure(serverFiles({ keyFile: text }))
    expect(error).toBeInstanceOf(TlsPemError)
    expect(error.message).toContain(text)
  })

  it('names a corrupt key', async () => {
    const key = pki.pairs['global-server'].key
    const path = await corrupt('corrupt-key.pem', key.replace(/\n[A-Za-z0-9+/]{20}/, '\n' + '*'.repeat(20)))
    const error = await failure(serverFiles({ keyFile: path }))
    expect(error).toBeInstanceOf(TlsPemError)
    expect(error.message).toContain(path)
  })

  it('refuses a key that is not the certificate\'s', async () => {
    const error = await failure(serverFiles({ keyFile: pki.files.key('global-cli') }))
    expect(error).toBeInstanceOf(TlsKeyMismatchError)
    expect(error.message).toContain(pki.files.key('global-cli'))
    expect(error.message).toContain(pki.files.cert('global-server'))
  })

  it('refuses a certificate without a key, and an unknown minimum version', async () => {
    const error = await failure(serverFiles({ keyFile: undefined }))
    expect(error).toBeInstanceOf(TlsConfigError)
    expect((error as TlsConfigError).option).toBe('keyFile')
    const version = await failure(serverFiles({ minVersion: 'tls9' as never }))
    expect(version).toBeInstanceOf(TlsConfigError)
    expect(version.message).toContain('minVersion')
  })
})

describe('node:tls options', () => {
  it('incoming options require and verify client certificates against the CA', () => {
    const options = pki.config('global-server').incomingOptions()
    expect(options.requestCert).toBe(true)
    expect(options.rejectUnauthorized).toBe(true)
    expect(options.ca).toBe(pki.ca.cert)
    expect(options.minVersion).toBe('TLSv1.2')
  })

  it('HTTPS asks for client certificates only with verifyHttpsClient', () => {
    expect(pki.config('global-server').httpsOptions().requestCert).toBe(false)
    const strict = pki.config('global-server', { verifyHttpsClient: true }).httpsOptions()
    expect(strict.requestCert).toBe(true)
    expect(strict.rejectUnauthorized).toBe(true)
  })

  it('outgoing options name server.<region>.nomad', () => {
    const options = pki.config('global-client', { minVersion: 'tls13' }).outgoingOptions('east')
    expect(options.servername).toBe('server.east.nomad')
    expect(options.rejectUnauthorized).toBe(true)
    expect(options.minVersion).toBe('TLSv1.3')
  })

  it('names the missing option when the CA or certificate is absent', () => {
    expect(() => new TlsConfig({}).incomingOptions()).toThrow(/caFile/)
    expect(() => new TlsConfig({ ca: pki.ca.cert }).incomingOptions()).toThrow(/certFile/)
    expect(() => new TlsConfig({}).outgoingOptions('global')).toThrow(/caFile/)
    expect(new TlsConfig({ ca: pki.ca.cert }).outgoingOptions('global').cert).toBeUndefined()
    expect(() => new TlsAcceptor(new TlsConfig({ ca: pki.ca.cert }), { region: 'global' })).toThrow(TlsConfigError)
  })
})
