/**
 * Three nomadic-raftnode processes against three hashicorp/raft 1.1.2 processes (raftnode-go),
 * same workload: 128-byte entries, 64 applies in flight on the leader, in memory and on disk.
 * Each cluster warms up with one run, then the median of three runs is reported. Prints one
 * JSON line with both figures and the ratios (nomadic / hashicorp).
 *
 *   npm run bench -w @nomadic/raft            # BENCH_OPS=20000 by default
 */
import { Cluster, ensureBuilt, type Kind, type LoadResult } from '../test/interop/cluster.js'
import { buildGo, haveGo } from '../test/interop/go.js'

const OPS = Number(process.env['BENCH_OPS'] ?? 20_000)
const SIZE = 128
const CONC = 64
const RUNS = 3

/** Warm-up (the first seconds of a Node process run unoptimised code), then the median of three runs. */
async function run(kind: Kind, store: 'mem' | 'disk'): Promise<LoadResult> {
  const cluster = await Cluster.create([kind, kind, kind], store)
  try {
    cluster.start()
    const leader = await cluster.waitLeader()
    await leader.load(OPS, SIZE, CONC)
    const runs: LoadResult[] = []
    for (let i = 0; i < RUNS; i++) runs.push(await leader.load(OPS, SIZE, CONC))
    await cluster.waitConverged(OPS * (RUNS + 1))
    runs.sort((a, b) => a.opsPerSec - b.opsPerSec)
    return runs[Math.floor(RUNS / 2)]!
  } finally {
    await cluster.stop()
  }
}

function summary(r: LoadResult): Record<string, number> {
  return { opsPerSec: Math.round(r.opsPerSec), p50us: r.p50us, p99us: r.p99us, errors: r.errors }
}

async function main(): Promise<void> {
  ensureBuilt()
  if (!haveGo()) throw new Error('the benchmark needs go and Debian golang-github-hashicorp-raft-dev')
  buildGo('raftnode-go')
  const out: Record<string, unknown> = { bench: 'raft-cluster', nodes: 3, entryBytes: SIZE, inFlight: CONC, ops: OPS, runs: RUNS }
  for (const store of ['mem', 'disk'] as const) {
    const nomadic = await run('ts', store)
    const hashicorp = await run('go', store)
    out[store] = {
      nomadic: summary(nomadic),
      hashicorp: summary(hashicorp),
      ratio: Number((nomadic.opsPerSec / hashicorp.opsPerSec).toFixed(2)),
      p99Ratio: Number((nomadic.p99us / hashicorp.p99us).toFixed(2)),
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
