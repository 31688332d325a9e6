// Runs nomadic-gossipbench and its Go twin (memberlist 0.2.2) one after the other on the same
// workload and prints one JSON line with both results and the ratios nomadic / Go.
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGo } from '../test/interop/procs.js'

const here = dirname(fileURLToPath(import.meta.url))
const n = process.env.BENCH_N ?? '128'
const config = process.env.BENCH_CONFIG ?? 'lan'
const window = process.env.BENCH_WINDOW ?? '10s'
const args = ['-n', n, '-config', config, '-window', window]

const run = (cmd: string, argv: string[]): Record<string, number | string> =>
  JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_500_000 }).trim()) as Record<string, number | string>

const goBin = buildGo('gobench')
const ours = run(process.execPath, [join(here, '..', 'dist', 'bin', 'gossipbench.js'), ...args])
const go = run(goBin, args)
const ratio = (k: string): number => Math.round((Number(ours[k]) / Number(go[k])) * 100) / 100
process.stdout.write(JSON.stringify({
  benchmark: 'memberlist', nodes: Number(n), config, window, nomadic: ours, go,
  ratios: { convergeMs: ratio('convergeMs'), bytesPerNodePerSec: ratio('bytesPerNodePerSec'), detectAllMs: ratio('detectAllMs') },
}) + '\n')
