import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const packageDir = join(here, '..', '..')
export const binDir = join(here, 'bin')

/** True when `go` and Debian's hashicorp/raft sources are present (CI installs both). */
export function haveGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
    execFileSync('test', ['-d', '/usr/share/gocode/src/github.com/hashicorp/raft'])
    return true
  } catch {
    return false
  }
}

const built = new Set<string>()

/**
 * Builds test/interop/<name>/ (Go, GOPATH mode against /usr/share/gocode) into test/interop/bin/<name>.
 * Test files in parallel workers may build the same program while another runs it, so the build
 * writes its own file and renames it into place.
 */
export function buildGo(name: string): string {
  const out = join(binDir, name)
  if (built.has(name)) return out
  const partial = `${out}.${process.pid}.partial`
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: join(here, name),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env['GOCACHE'] ?? join(tmpdir(), 'nomadic-gocache'), GOFLAGS: '' },
    stdio: 'pipe',
    timeout: 170_000,
  })
  renameSync(partial, out)
  built.add(name)
  return out
}

/** A child process whose stdout is collected as JSON lines. */
export interface JsonLinesProcess {
  child: ChildProcess
  lines: unknown[]
  stderr: () => string
  /** Resolves with the first line that satisfies `pred`. */
  waitFor(pred: (line: unknown) => boolean, timeoutMs?: number): Promise<unknown>
  /** Resolves when the process has exited. */
  exited: Promise<number | null>
  kill(): Promise<void>
}

export function spawnJsonLines(cmd: string, args: string[]): JsonLinesProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: unknown[] = []
  const waiters: Array<{ pred: (l: unknown) => boolean; resolve: (l: unknown) => void }> = []
  let buf = ''
  let err = ''
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString()
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (text.trim() === '') continue
      const line = JSON.parse(text) as unknown
      lines.push(line)
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  })
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(pred, timeoutMs = 15_000) {
      const found = lines.find(pred)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for output; stderr: ${err}`)), timeoutMs)
        waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l) } })
      })
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
