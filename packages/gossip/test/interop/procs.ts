import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const binDir = join(here, 'bin')
const pkgDir = join(here, '..', '..')

/**
 * True when `go` and Debian's memberlist and serf sources are present (`.ci/run` installs them);
 * without them the interop suites are skipped, as in the other packages.
 */
export function haveGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
  } catch {
    return false
  }
  return existsSync('/usr/share/gocode/src/github.com/hashicorp/memberlist') && existsSync('/usr/share/gocode/src/github.com/hashicorp/serf')
}

/**
 * Builds a Go twin (gonode or gobench) from Debian's memberlist in GOPATH mode. Several test files
 * build gonode at once, in parallel workers, while others already run it: each build writes its
 * own file and renames it into place, so nobody runs a half-written binary.
 */
export function buildGo(name: 'gonode' | 'gobench'): string {
  mkdirSync(binDir, { recursive: true })
  const out = join(binDir, name)
  const partial = `${out}.${process.pid}.partial`
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: join(here, name),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'nomadic-gocache'), GOFLAGS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  renameSync(partial, out)
  return out
}

/** The built TypeScript node program. */
export function tsNodeProgram(): string {
  const p = join(pkgDir, 'dist', 'bin', 'gossipnode.js')
  if (!existsSync(p)) throw new Error(`${p} is missing: run npx tsc -b packages/gossip`)
  return p
}

export interface RunningNode {
  name: string
  impl: 'go' | 'ts'
  gossip: string
  http: string
  proc: ChildProcess
  stderr: string[]
}

const running = new Set<ChildProcess>()

/** Starts a node program and waits for its address line. */
export async function startNode(impl: 'go' | 'ts', args: { name: string; join?: string[]; key?: string; tags?: Record<string, string>; profile?: string; layer?: 'memberlist' | 'serf'; snapshot?: string; bind?: string; env?: Record<string, string> }): Promise<RunningNode> {
  const argv = ['-layer', args.layer ?? 'memberlist', '-name', args.name, '-bind', args.bind ?? '127.0.0.1:0', '-http', '127.0.0.1:0', '-profile', args.profile ?? 'lan']
  if (args.join !== undefined && args.join.length > 0) argv.push('-join', args.join.join(','))
  if (args.key !== undefined) argv.push('-key', args.key)
  for (const [k, v] of Object.entries(args.tags ?? {})) argv.push('-tag', `${k}=${v}`)
  if (args.snapshot !== undefined) argv.push('-snapshot', args.snapshot)
  const env = { ...process.env, ...args.env }
  const proc = impl === 'go'
    ? spawn(join(binDir, 'gonode'), argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(process.execPath, [tsNodeProgram(), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env })
  running.add(proc)
  proc.on('exit', () => running.delete(proc))
  const stderr: string[] = []
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`${args.name} did not start: ${stderr.join('')}`)), 20_000)
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(buf.slice(0, nl))
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${args.name} exited with ${code}: ${stderr.join('')}`))
    })
  })
  const { gossip, http } = JSON.parse(line) as { gossip: string; http: string }
  return { name: args.name, impl, gossip, http, proc, stderr }
}

export function kill(node: RunningNode): void {
  node.proc.kill('SIGKILL')
}

export function killAll(): void {
  for (const p of running) p.kill('SIGKILL')
  running.clear()
}

export async function get<T>(node: RunningNode, path: string): Promise<T> {
  const res = await fetch(`http://${node.http}${path}`)
  return (await res.json()) as T
}

export async function post(node: RunningNode, path: string, body?: string): Promise<number> {
  const res = await fetch(`http://${node.http}${path}`, { method: 'POST', body })
  await res.text()
  return res.status
}

export async function postJson<T>(node: RunningNode, path: string, body?: string): Promise<T> {
  const res = await fetch(`http://${node.http}${path}`, { method: 'POST', body })
  return (await res.json()) as T
}

export interface MemberJson { name: string; addr: string; port: number; status: string; tags: Record<string, string> }
export interface EventJson { type: string; name: string; payload: string; members: string[] }

/**
 * Polls `check` every 200 ms until it returns true or `timeoutMs` passes. On a timeout the error
 * carries what `explain` reports (each node's view, say), so a failure in CI can be diagnosed.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, explain?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      lastError = err
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  const detail = explain === undefined ? '' : `\n${await explain().catch((err: unknown) => `(no detail: ${String(err)})`)}`
  throw new Error(`timed out waiting for ${what}${lastError !== undefined ? `: ${String(lastError)}` : ''}${detail}`)
}

/** Each node's live members, events and stderr, one block per node, for failure messages. */
export async function views(nodes: RunningNode[]): Promise<string> {
  const lines: string[] = []
  for (const n of nodes) {
    const members = await get<MemberJson[]>(n, '/members').then((ms) => ms.map((m) => `${m.name}/${m.status}`).sort(), (err: unknown) => [`(unreachable: ${String(err)})`])
    const events = await get<EventJson[]>(n, '/events').catch(() => [])
    lines.push(`${n.name} (${n.impl}, ${n.gossip}) sees [${members.join(', ')}]; events ${events.map((e) => `${e.type}:${e.name}`).join(' ')}; log: ${n.stderr.join('').split('\n').filter((l) => !l.includes('DEBUG')).join('\n').trim().slice(-3000)}`)
  }
  return lines.join('\n')
}

export async function memberNames(node: RunningNode): Promise<string[]> {
  return (await get<MemberJson[]>(node, '/members')).map((m) => m.name).sort()
}

export async function sawEvent(node: RunningNode, type: string, name: string): Promise<boolean> {
  return (await get<EventJson[]>(node, '/events')).some((e) => e.type === type && e.name === name)
}
