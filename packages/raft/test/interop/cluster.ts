/**
 * Runs clusters of nomadic-raftnode (TypeScript) and raftnode-go (hashicorp/raft 1.1.2) processes
 * on 127.0.0.1 for the interop, crash and benchmark runs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { buildGo, packageDir } from './go.js'

export type Kind = 'ts' | 'go'

export const tsNode = join(packageDir, 'dist', 'bin', 'raftnode.js')

/** Builds dist (for the TypeScript node) when it is missing. */
export function ensureBuilt(): void {
  if (!existsSync(tsNode)) execFileSync('npx', ['tsc', '-b', packageDir], { stdio: 'pipe' })
}

/** A free port on 127.0.0.1, found by listening on port 0 and reading it back. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export interface NodeState {
  id: string
  state: string
  leader: string
  lastIndex: number
  appliedIndex: number
  count: number
  hash: string
}

export interface LoadResult {
  ops: number
  errors: number
  secs: number
  opsPerSec: number
  p50us: number
  p99us: number
}

/** An HTTP call to a node; resolves with the status and the body. */
export function http(port: number, method: string, path: string, body?: Buffer, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`http ${path} timed out`)))
    req.on('error', reject)
    req.end(body)
  })
}

export interface NodeSpec {
  id: string
  kind: Kind
  raftPort: number
  httpPort: number
  dir: string
}

export class RaftNodeProcess {
  child: ChildProcess | undefined
  stderr = ''
  /** Environment added at every start. */
  env: Record<string, string> = {}
  private exited: Promise<void> = Promise.resolve()

  constructor(
    readonly spec: NodeSpec,
    private readonly cluster: Cluster,
  ) {}

  get id(): string {
    return this.spec.id
  }

  get raftAddr(): string {
    return `127.0.0.1:${this.spec.raftPort}`
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Starts (or restarts) the process with the same ports and data directory. */
  start(options: { bootstrap?: boolean; env?: Record<string, string> } = {}): void {
    const { spec } = this
    const args = [
      '-id', spec.id, '-bind', this.raftAddr, '-http', `127.0.0.1:${spec.httpPort}`,
      '-peers', this.cluster.peersFlag(), '-store', this.cluster.store, '-dir', spec.dir,
    ]
    if (options.bootstrap) args.push('-bootstrap')
    const [cmd, pre] = spec.kind === 'go' ? [buildGo('raftnode-go'), []] : [process.execPath, [tsNode]]
    const child = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.cluster.env, ...this.env, ...options.env } })
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-20_000)
    })
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    this.child = child
  }

  /** kill -9. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL')
    await this.exited
  }

  async state(): Promise<NodeState | undefined> {
    try {
      const r = await http(this.spec.httpPort, 'GET', '/state', undefined, 2000)
      return r.status === 200 ? (JSON.parse(r.body) as NodeState) : undefined
    } catch {
      return undefined
    }
  }

  /** POST /apply; true when acknowledged (committed and applied). */
  async apply(data: Buffer): Promise<boolean> {
    try {
      const r = await http(this.spec.httpPort, 'POST', '/apply', data, 15_000)
      return r.status === 200 && r.body === 'ok'
    } catch {
      return false
    }
  }

  async load(n: number, size: number, conc: number): Promise<LoadResult> {
    const r = await http(this.spec.httpPort, 'POST', `/load?n=${n}&size=${size}&conc=${conc}`, undefined, 120_000)
    if (r.status !== 200) throw new Error(`load on ${this.id} failed: ${r.status} ${r.body}`)
    return JSON.parse(r.body) as LoadResult
  }
}

/** A set of nodes that know each other's addresses. */
export class Cluster {
  readonly nodes: RaftNodeProcess[] = []
  readonly base: string

  private constructor(
    readonly store: 'mem' | 'disk',
    readonly env: Record<string, string>,
  ) {
    this.base = mkdtempSync(join(tmpdir(), 'nomadic-raft-cluster-'))
  }

  /** Creates the nodes (not started): one per kind in `kinds`, ids n1, n2, … */
  static async create(kinds: Kind[], store: 'mem' | 'disk', env: Record<string, string> = {}): Promise<Cluster> {
    const c = new Cluster(store, env)
    for (let i = 0; i < kinds.length; i++) {
      const id = `n${i + 1}`
      c.nodes.push(new RaftNodeProcess({ id, kind: kinds[i]!, raftPort: await freePort(), httpPort: await freePort(), dir: join(c.base, id) }, c))
    }
    return c
  }

  peersFlag(): string {
    return this.nodes.map((n) => `${n.id}=${n.raftAddr}`).join(',')
  }

  node(id: string): RaftNodeProcess {
    return this.nodes.find((n) => n.id === id)!
  }

  /** Starts every node; all bootstrap with the same configuration unless `bootstrap` names some. */
  start(bootstrap: string[] = this.nodes.map((n) => n.id)): void {
    for (const n of this.nodes) n.start({ bootstrap: bootstrap.includes(n.id) })
  }

  /** Waits until the running nodes agree on one leader; returns it. */
  async waitLeader(timeoutMs = 20_000, among: RaftNodeProcess[] = this.nodes): Promise<RaftNodeProcess> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const running = among.filter((n) => n.running)
      const states = await Promise.all(running.map((n) => n.state()))
      const leaders = states.filter((s) => s?.state === 'Leader')
      if (leaders.length === 1) {
        const leader = running.find((n) => n.id === leaders[0]!.id)!
        const agreed = states.every((s) => s !== undefined && s.leader === leader.raftAddr)
        if (agreed) return leader
      }
      if (Date.now() > deadline) {
        throw new Error(`no leader within ${timeoutMs} ms: ${JSON.stringify(states)}\n${this.stderrs()}`)
      }
      await sleep(100)
    }
  }

  /** Waits until every running node applied the same count and hash, at least `minCount`. */
  async waitConverged(minCount: number, timeoutMs = 30_000): Promise<NodeState[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.state()))
      const ok = states.every((s) => s !== undefined && s.count >= minCount && s.count === states[0]!.count && s.hash === states[0]!.hash)
      if (ok) return states as NodeState[]
      if (Date.now() > deadline) throw new Error(`not converged: ${JSON.stringify(states)}\n${this.stderrs()}`)
      await sleep(100)
    }
  }

  stderrs(): string {
    return this.nodes.map((n) => `--- ${n.id} (${n.spec.kind}) stderr:\n${n.stderr.slice(-3000)}`).join('\n')
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()))
    rmSync(this.base, { recursive: true, force: true })
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
