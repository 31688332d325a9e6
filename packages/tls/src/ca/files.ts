import { lstat, readFile, unlink, writeFile } from 'node:fs/promises'
import { TlsFileError, TlsFileExistsError } from '../errors.js'
import type { CertificateAndKey, CertificateRole } from './authority.js'

/** The CA's file names, as `nomad tls ca create`: `<domain>-agent-ca.pem` and `…-key.pem`. */
export function caFileNames(domain: string): { cert: string; key: string } {
  return { cert: `${domain}-agent-ca.pem`, key: `${domain}-agent-ca-key.pem` }
}

/** An agent certificate's file names, as `nomad tls cert create`: `<region>-<role>-<domain>.pem` and `…-key.pem`. */
export function agentFileNames(role: CertificateRole, region: string, domain: string): { cert: string; key: string } {
  const base = `${region}-${role}-${domain}`
  return { cert: `${base}.pem`, key: `${base}-key.pem` }
}

/**
 * Reads a CA certificate and key from files. A file that cannot be read gives
 * {@link TlsFileError} naming it; the returned `sources` make later PEM errors name it too.
 */
export async function readCa(certFile: string, keyFile: string): Promise<CertificateAndKey> {
  const read = async (what: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8')
    } catch (cause) {
      throw new TlsFileError(what, path, cause)
    }
  }
  const cert = await read('CA certificate', certFile)
  const key = await read('CA key', keyFile)
  return { cert, key, sources: { cert: certFile, key: keyFile } }
}

/** A file to write: certificates world-readable, keys private to the owner. */
export interface NewFile {
  /** Where to write. */
  path: string
  /** What to write (PEM). */
  content: string
  /** File mode, e.g. 0o600 for keys. */
  mode: number
}

/**
 * Writes files that must not exist yet. Checks all of them first, so nothing is written when
 * any exists ({@link TlsFileExistsError}); a file that appears meanwhile is still not overwritten,
 * and what this call wrote is removed again.
 */
export async function writeNewFiles(files: readonly NewFile[]): Promise<void> {
  await refuseExisting(files.map((file) => file.path))
  const written: string[] = []
  try {
    for (const file of files) {
      await writeFile(file.path, file.content, { flag: 'wx', mode: file.mode })
      written.push(file.path)
    }
  } catch (error) {
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)))
    const code = (error as NodeJS.ErrnoException).code
    const failed = files[written.length]!.path
    if (code === 'EEXIST') throw new TlsFileExistsError(failed)
    throw new TlsFileError('output', failed, error)
  }
}

/** Throws {@link TlsFileExistsError} for the first of `paths` that exists. */
export async function refuseExisting(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (await exists(path)) throw new TlsFileExistsError(path)
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new TlsFileError('output', path, error)
  }
}
