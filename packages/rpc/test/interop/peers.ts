import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createAgentCertificate, createCa, createCertificate, type CertificateAndKey } from '@nomadic/tls'

const here = dirname(fileURLToPath(import.meta.url))
export const packageDir = join(here, '..', '..')
export const goPeer = join(here, 'bin', 'rpcpeer-go')
export const tsPeer = join(packageDir, 'dist', 'bin', 'rpcpeer.js')

/** True when `go` is on the PATH (CI installs it; without it the interop suite skips). */
export function haveGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Builds the Go twin from Debian's hashicorp sources into test/interop/bin/. */
export function buildGoPeer(): void {
  execFileSync('go', ['build', '-o', goPeer, '.'], {
    cwd: join(here, 'rpcpeer-go'),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env['GOCACHE'] ?? join(tmpdir(), 'nomadic-gocache'), GOFLAGS: '' },
    stdio: 'pipe',
    timeout: 170_000,
  })
}

/** Builds the TypeScript peer when dist is missing (npm test builds first anyway). */
export function ensureTsPeer(): void {
  if (!existsSync(tsPeer)) execFileSync('npx', ['tsc', '-b', packageDir], { stdio: 'pipe' })
}

export interface CertFiles {
  ca: string
  [name: string]: string
}

/** A CA and agent certificates written to a temporary folder: `<name>.pem` and `<name>-key.pem`. */
export function makeCerts(): { dir: string; ca: CertificateAndKey; file: (name: string) => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nomadic-rpc-certs-'))
  const ca = createCa()
  writeFileSync(join(dir, 'ca.pem'), ca.cert)
  const write = (name: string, pair: CertificateAndKey): void => {
    writeFileSync(join(dir, `${name}.pem`), pair.cert)
    writeFileSync(join(dir, `${name}-key.pem`), pair.key)
  }
  write('server', createAgentCertificate({ ca, role: 'server', region: 'global' }))
  write('client', createAgentCertificate({ ca, role: 'client', region: 'global' }))
  write('client-east', createAgentCertificate({ ca, role: 'client', region: 'east' }))
  write('other-role', createCertificate({ ca, dnsNames: ['agent.global.nomad', 'localhost'] }))
  const file = (name: string): string[] => ['-tls-ca', join(dir, 'ca.pem'), '-tls-cert', join(dir, `${name}.pem`), '-tls-key', join(dir, `${name}-key.pem`)]
  return { dir, ca, file }
}

/** A running peer server and its address. */
export interface RunningServer {
  addr: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts a peer server (`node dist/bin/rpcpeer.js` or the Go twin) on 127.0.0.1:0. */
export function startServer(kind: 'ts' | 'go', extra: string[] = []): Promise<RunningServer> {
  const [cmd, args] = kind === 'go' ? [goPeer, [] as string[]] : [process.execPath, [tsPeer]]
  const child = spawn(cmd, [...args, '-mode', 'server', '-bind', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const nl = out.indexOf('\n')
      if (nl < 0) return
      child.stdout!.off('data', onData)
      const { addr } = JSON.parse(out.slice(0, nl)) as { addr: string }
      resolve({
        addr,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    }
    child.stdout!.on('data', onData)
    child.stderr!.resume()
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}: ${out}`)))
  })
}

/** Result line of a peer client. */
export interface ClientResult {
  code: number
  line?: { proto: string; tls: boolean; calls: number; errors: number; secs: number; callsPerSec: number; p50us: number; p99us: number }
  stderr: string
}

/** Runs a peer client to completion. */
export function runClient(kind: 'ts' | 'go', args: string[], timeoutMs = 60_000): Promise<ClientResult> {
  const [cmd, pre] = kind === 'go' ? [goPeer, [] as string[]] : [process.execPath, [tsPeer]]
  const child = spawn(cmd, [...pre, '-mode', 'client', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer)
      const first = stdout.split('\n').find((l) => l.startsWith('{'))
      resolve({ code: code ?? -1, line: first === undefined ? undefined : JSON.parse(first), stderr })
    })
  })
}
