#!/usr/bin/env node
/**
 * nomadic-raftnode: one Raft server with a counting FSM and a small HTTP API, for the interop
 * tests and the benchmark. Its Go twin (test/interop/raftnode-go) takes the same flags.
 *
 * ```
 * nomadic-raftnode -id ID -bind HOST:PORT -http HOST:PORT -peers id=host:port,... [-bootstrap] [-store mem|disk] [-dir DIR]
 * GET  /state -> {"id","state","leader","lastIndex","appliedIndex","count","hash"}
 * POST /apply (body = entry) -> 200 "ok" once committed and applied; 503 with the error otherwise
 * POST /load?n=N&size=S&conc=C -> {"ops","errors","secs","opsPerSec","p50us","p99us"}
 * ```
 *
 * Test tuning through the environment (same names for the Go twin): RAFTNODE_SNAPSHOT_INTERVAL_MS,
 * RAFTNODE_SNAPSHOT_THRESHOLD, RAFTNODE_TRAILING_LOGS; RAFTNODE_APPLY_LOG=<file> records every
 * applied entry (TypeScript node only).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Raft, bootstrapCluster, hasExistingState } from '../raft.js'
import { InmemStore } from '../store/inmem.js'
import { InmemSnapshotStore } from '../snapshot/inmem.js'
import { FileSnapshotStore } from '../snapshot/file.js'
import { WriteAheadLog } from '../store/wal.js'
import { LogCache } from '../store/log-cache.js'
import { createTcpTransport, splitHostPort } from '../transport/tcp.js'
import { ServerSuffrage, type LogStore, type Server, type SnapshotStore, type StableStore } from '../types.js'
import { CountingFSM } from './raftnode-fsm.js'

const USAGE = 'usage: nomadic-raftnode -id ID -bind HOST:PORT -http HOST:PORT -peers id=host:port,... [-bootstrap] [-store mem|disk] [-dir DIR]'

interface Args {
  id: string
  bind: string
  http: string
  peers: Server[]
  bootstrap: boolean
  store: 'mem' | 'disk'
  dir: string
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

function parseArgs(argv: string[]): Args {
  const args: Args = { id: '', bind: '', http: '', peers: [], bootstrap: false, store: 'mem', dir: '' }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--?/, '')
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) fail(`flag -${flag} needs a value`)
      return v
    }
    switch (flag) {
      case 'id': args.id = value(); break
      case 'bind': args.bind = value(); break
      case 'http': args.http = value(); break
      case 'bootstrap': args.bootstrap = true; break
      case 'dir': args.dir = value(); break
      case 'store': {
        const s = value()
        if (s !== 'mem' && s !== 'disk') fail('-store must be mem or disk')
        args.store = s
        break
      }
      case 'peers':
        for (const p of value().split(',').filter((x) => x !== '')) {
          const eq = p.indexOf('=')
          if (eq <= 0) fail(`bad -peers entry ${p}`)
          args.peers.push({ Suffrage: ServerSuffrage.Voter, ID: p.slice(0, eq), Address: p.slice(eq + 1) })
        }
        break
      default:
        fail(`unknown flag ${argv[i]}`)
    }
  }
  if (args.id === '' || args.bind === '' || args.http === '') fail('-id, -bind and -http are required')
  if (args.store === 'disk' && args.dir === '') fail('-store disk needs -dir')
  if (!args.peers.some((p) => p.ID === args.id)) args.peers.push({ Suffrage: ServerSuffrage.Voter, ID: args.id, Address: args.bind })
  return args
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name]
  const n = v === undefined ? NaN : Number(v)
  return Number.isInteger(n) ? n : fallback
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  let logStore: LogStore
  let stableStore: StableStore
  let snapshotStore: SnapshotStore
  let wal: WriteAheadLog | undefined
  if (args.store === 'disk') {
    wal = await WriteAheadLog.open(join(args.dir, 'wal'))
    logStore = new LogCache(wal, 512)
    stableStore = wal
    snapshotStore = await FileSnapshotStore.open(args.dir, 2)
  } else {
    const mem = new InmemStore()
    logStore = mem
    stableStore = mem
    snapshotStore = new InmemSnapshotStore()
  }
  const transport = await createTcpTransport(args.bind)
  const options = {
    localID: args.id,
    snapshotInterval: envInt('RAFTNODE_SNAPSHOT_INTERVAL_MS', 120_000),
    snapshotThreshold: envInt('RAFTNODE_SNAPSHOT_THRESHOLD', 8192),
    trailingLogs: envInt('RAFTNODE_TRAILING_LOGS', 10240),
  }
  if (args.bootstrap && !(await hasExistingState(logStore, stableStore, snapshotStore))) {
    await bootstrapCluster(options, logStore, stableStore, snapshotStore, transport, { Servers: args.peers })
  }
  const fsm = new CountingFSM()
  const applyLog = process.env['RAFTNODE_APPLY_LOG']
  if (applyLog !== undefined && applyLog !== '') recordApplies(fsm, applyLog)
  const raft = await Raft.create({ fsm, logStore, stableStore, snapshotStore, transport }, options)

  const server = createServer((req, res) => {
    handle(raft, fsm, args.id, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(err))
    })
  })
  const { host, port } = splitHostPort(args.http)
  server.listen(port, host)

  const stop = (): void => {
    server.close()
    void raft.shutdown().then(async () => {
      await transport.close()
      await wal?.close()
      process.exit(0)
    })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

/**
 * Test aid: writes every applied entry to `path`, one line of `<index> <data as hex>`, starting
 * afresh at each start (a restarted node replays its log) and marking snapshot restores.
 */
function recordApplies(fsm: CountingFSM, path: string): void {
  writeFileSync(path, '')
  fsm.onApply = (log) => appendFileSync(path, `${log.Index} ${log.Data.toString('hex')}\n`)
  fsm.onRestore = () => appendFileSync(path, 'restore\n')
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value) + '\n')
}

async function handle(raft: Raft, fsm: CountingFSM, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/state' && req.method === 'GET') {
    json(res, {
      id,
      state: raft.state,
      leader: raft.leader().address,
      lastIndex: raft.lastIndex(),
      appliedIndex: raft.appliedIndex(),
      count: fsm.count,
      hash: fsm.hashHex(),
    })
    return
  }
  if (url.pathname === '/apply' && req.method === 'POST') {
    const body = await readBody(req)
    try {
      await raft.apply(body, { timeout: 10_000 })
    } catch (err) {
      res.writeHead(503)
      res.end((err as Error).message)
      return
    }
    res.end('ok')
    return
  }
  if (url.pathname === '/load' && req.method === 'POST') {
    const n = Number(url.searchParams.get('n'))
    const size = Number(url.searchParams.get('size'))
    const conc = Number(url.searchParams.get('conc'))
    if (!(n > 0) || !(size >= 0) || !(conc > 0)) {
      res.writeHead(400)
      res.end('n, size and conc must be positive')
      return
    }
    if (raft.state !== 'Leader') {
      res.writeHead(503)
      res.end('node is not the leader')
      return
    }
    json(res, await load(raft, n, size, conc))
    return
  }
  res.writeHead(404)
  res.end('not found')
}

/** N applies of `size`-byte entries with `conc` in flight; throughput and latency percentiles. */
async function load(raft: Raft, n: number, size: number, conc: number): Promise<Record<string, number>> {
  const latencies: number[] = []
  let errors = 0
  let next = 0
  const start = process.hrtime.bigint()
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= n) return
      const data = Buffer.allocUnsafe(size)
      for (let j = 0; j < size; j++) data[j] = (i + j) & 0xff
      const t = process.hrtime.bigint()
      try {
        await raft.apply(data, { timeout: 10_000 })
        latencies.push(Number(process.hrtime.bigint() - t) / 1000)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: conc }, worker))
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  latencies.sort((a, b) => a - b)
  const pct = (p: number): number => (latencies.length === 0 ? 0 : Math.round(latencies[Math.floor(p * (latencies.length - 1))]!))
  return { ops: latencies.length, errors, secs, opsPerSec: latencies.length / secs, p50us: pct(0.5), p99us: pct(0.99) }
}

main().catch((err: unknown) => {
  process.stderr.write(`nomadic-raftnode: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
