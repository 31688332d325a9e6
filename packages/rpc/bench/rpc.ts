// npm run bench -w @nomadic/rpc
// Go client → nomadic server and → Go server, nomadic client → Go server; yamux2, 16 callers.
// Prints one JSON line with each run's figures and the ratios (nomadic / Go).
import { execFileSync, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'

const here = dirname(fileURLToPath(import.meta.url))
const packageDir = join(here, '..')
const goPeer = join(here, 'bin', 'rpcpeer-go')
const tsPeer = join(packageDir, 'dist', 'bin', 'rpcpeer.js')
const calls = Number(process.env['BENCH_CALLS'] ?? 20_000)
const conc = Number(process.env['BENCH_CONC'] ?? 16)
const size = Number(process.env['BENCH_SIZE'] ?? 256)
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3)

interface Line {
  callsPerSec: number
  p50us: number
  p99us: number
  errors: number
}

function build(): void {
  execFileSync('go', ['build', '-o', goPeer, '.'], {
    cwd: join(packageDir, 'test', 'interop', 'rpcpeer-go'),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: process.env['GOCACHE'] ?? join(tmpdir(), 'nomadic-gocache') },
    stdio: 'inherit',
  })
  execFileSync('npx', ['tsc', '-b', packageDir], { stdio: 'inherit' })
}

function command(kind: 'ts' | 'go'): [string, string[]] {
  return kind === 'go' ? [goPeer, []] : [process.execPath, [tsPeer]]
}

async function startServer(kind: 'ts' | 'go'): Promise<{ addr: string; stop: () => void }> {
  const [cmd, pre] = command(kind)
  const child = spawn(cmd, [...pre, '-mode', 'server', '-bind', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const addr = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { addr: string }).addr)
    })
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)))
  })
  return { addr, stop: () => child.kill('SIGTERM') }
}

function runClient(kind: 'ts' | 'go', addr: string): Line {
  const [cmd, pre] = command(kind)
  const out = execFileSync(cmd, [...pre, '-mode', 'client', '-addr', addr, '-proto', 'yamux2', '-n', String(calls), '-conc', String(conc), '-size', String(size)], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  return JSON.parse(out.trim().split('\n')[0]!) as Line
}

// The best of several rounds: the machine is shared, and the best run is the least disturbed.
function best(kind: 'ts' | 'go', addr: string): Line {
  let top: Line | undefined
  for (let i = 0; i < rounds; i++) {
    const line = runClient(kind, addr)
    if (line.errors !== 0) throw new Error(`${kind} client saw ${line.errors} errors`)
    if (top === undefined || line.callsPerSec > top.callsPerSec) top = line
  }
  return top!
}

build()
const goServer = await startServer('go')
const tsServer = await startServer('ts')
try {
  runClient('go', tsServer.addr) // warm-up of the JIT
  const goToGo = best('go', goServer.addr)
  const goToTs = best('go', tsServer.addr)
  const tsToGo = best('ts', goServer.addr)
  const pick = ({ callsPerSec, p50us, p99us }: Line) => ({ callsPerSec, p50us, p99us })
  const line = {
    bench: 'rpc-yamux2',
    calls,
    callers: conc,
    dataBytes: size,
    goClientGoServer: pick(goToGo),
    goClientNomadicServer: pick(goToTs),
    nomadicClientGoServer: pick(tsToGo),
    serverRatio: Number((goToTs.callsPerSec / goToGo.callsPerSec).toFixed(2)),
    clientRatio: Number((tsToGo.callsPerSec / goToGo.callsPerSec).toFixed(2)),
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
} finally {
  goServer.stop()
  tsServer.stop()
}
