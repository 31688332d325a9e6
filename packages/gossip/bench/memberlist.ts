// Runs nomadic-gossipbench and its Go twin (memberlist 0.2.2) on the same workload, alternating
// for BENCH_ROUNDS rounds, and prints one JSON line: each side's medians, the ratios of the
// medians (nomadic / Go) and every run. One run's figures swing by ±10–20 % with where the
// victim sits in 127 shuffled probe orders, so one pair of runs does not compare the code.
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGo } from '../test/interop/procs.js'

const here = dirname(fileURLToPath(import.meta.url))
const n = process.env.BENCH_N ?? '128'
const config = process.env.BENCH_CONFIG ?? 'lan'
const window = process.env.BENCH_WINDOW ?? '10s'
const settle = process.env.BENCH_SETTLE ?? '10s'
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
// Each side gets this long (ms) to converge, measure and detect before it is reported as failed.
const limit = Number(process.env.BENCH_TIMEOUT ?? 600_000)
const args = ['-n', n, '-config', config, '-window', window, '-settle', settle]
// A larger young generation for the Node side (as the scheduler's bench runs): joins allocate
// quickly and each scavenge stalls all 128 nodes' event loop; with it the join phase takes about
// a quarter less time. An operator sets the same with NODE_OPTIONS.
const NODE_FLAGS = ['--max-semi-space-size=64']
const FIGURES = ['convergeMs', 'bytesPerNodePerSec', 'detectAllMs', 'joinBytesPerNode'] as const

type Result = Record<string, number | string>
function run(cmd: string, argv: string[]): Result {
  try {
    const out = execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: limit })
    return JSON.parse(out.trim()) as Result
  } catch (err) {
    return { error: (err as { code?: string }).code === 'ETIMEDOUT' ? `did not finish within ${limit} ms` : (err as Error).message }
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Each figure's median over the runs that finished. */
function medians(runs: Result[]): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const k of FIGURES) out[k] = median(runs.map((r) => r[k]).filter((v): v is number => typeof v === 'number'))
  return out
}

const load = (): number => Math.round(loadavg()[0]! * 10) / 10
const goBin = buildGo('gobench')
const loadBefore = load()
const ours: Result[] = []
const go: Result[] = []
for (let i = 0; i < rounds; i++) {
  ours.push(run(process.execPath, [...NODE_FLAGS, join(here, '..', 'dist', 'bin', 'gossipbench.js'), ...args]))
  go.push(run(goBin, args))
}
const nomadicMedians = medians(ours)
const goMedians = medians(go)
const ratios: Record<string, number | null> = {}
for (const k of FIGURES) {
  const a = nomadicMedians[k]
  const b = goMedians[k]
  ratios[k] = a != null && b != null && b !== 0 ? Math.round((a / b) * 100) / 100 : null
}
process.stdout.write(JSON.stringify({
  benchmark: 'memberlist', nodes: Number(n), config, window, settle, rounds, nodeFlags: NODE_FLAGS, loadAverage: [loadBefore, load()],
  nomadic: nomadicMedians, go: goMedians, ratios, runs: { nomadic: ours, go },
}) + '\n')
