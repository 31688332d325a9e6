// Runs nomadic-gossipbench and its Go twin (memberlist 0.2.2) one after the other on the same
// workload and prints one JSON line with both results and the ratios nomadic / Go.
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGo } from '../test/interop/procs.js'

const here = dirname(fileURLToPath(import.meta.url))
const n = process.env.BENCH_N ?? '128'
const config = process.env.BENCH_CONFIG ?? 'lan'
const window = process.env.BENCH_WINDOW ?? '10s'
// Each side gets this long (ms) to converge, measure and detect before it is reported as failed.
const limit = Number(process.env.BENCH_TIMEOUT ?? 600_000)
const args = ['-n', n, '-config', config, '-window', window]

type Result = Record<string, number | string>
function run(cmd: string, argv: string[]): Result {
  try {
    const out = execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: limit })
    return JSON.parse(out.trim()) as Result
  } catch (err) {
    return { error: (err as { code?: string }).code === 'ETIMEDOUT' ? `did not finish within ${limit} ms` : (err as Error).message }
  }
}

const load = (): number => Math.round(loadavg()[0]! * 10) / 10
const goBin = buildGo('gobench')
const loadBefore = load()
const ours = run(process.execPath, [join(here, '..', 'dist', 'bin', 'gossipbench.js'), ...args])
const go = run(goBin, args)
const ratio = (k: string): number | null =>
  typeof ours[k] === 'number' && typeof go[k] === 'number' ? Math.round((ours[k] / go[k]) * 100) / 100 : null
process.stdout.write(JSON.stringify({
  benchmark: 'memberlist', nodes: Number(n), config, window, loadAverage: [loadBefore, load()], nomadic: ours, go,
  ratios: { convergeMs: ratio('convergeMs'), bytesPerNodePerSec: ratio('bytesPerNodePerSec'), detectAllMs: ratio('detectAllMs') },
}) + '\n')
