#!/usr/bin/env node
// nomadic-gossipbench: N member lists in one process on 127.0.0.1; prints one JSON line.
//   -n N -config lan|wan|local -window 10s [-settle 0s]
// convergeMs: first start until every node sees N alive; after -settle, bytesPerNodePerSec over
// the window; joinBytesPerNode: everything sent before the window; detectAllMs: the last node
// stopped without leaving until every other node has declared it dead.
import { Memberlist } from '../memberlist.js'
import { NetTransport } from '../transport/net.js'
import type { Profile } from '../config.js'
import { parseFlags } from './args.js'

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s)
  if (m === null) throw new Error(`bad duration ${s}`)
  const v = Number(m[1])
  return m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : v * 1000
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2))
  const n = Number(flags.get('n')?.[0] ?? 16)
  const profile = (flags.get('config')?.[0] ?? 'lan') as Profile
  const windowMs = parseDuration(flags.get('window')?.[0] ?? '10s')
  const settleMs = parseDuration(flags.get('settle')?.[0] ?? '0s')
  if (!Number.isInteger(n) || n < 2) throw new Error('-n must be an integer >= 2')

  const start = Date.now()
  const nodes: Memberlist[] = []
  for (let i = 0; i < n; i++) {
    const ml = await Memberlist.create({ name: `ts-${i}`, transport: new NetTransport({ bindAddr: '127.0.0.1', bindPort: 0 }), profile })
    nodes.push(ml)
    if (i > 0) {
      const first = nodes[0]!.localNode()
      await ml.join([`${first.addr}:${first.port}`])
    }
  }
  const joinedMs = Date.now() - start
  const verbose = process.env.BENCH_VERBOSE !== undefined
  if (verbose) process.stderr.write(`joined at ${joinedMs} ms\n`)
  let lastReport = Date.now()
  while (!nodes.every((ml) => ml.numMembers() === n)) {
    if (verbose && Date.now() - lastReport > 2000) {
      const fewest = Math.min(...nodes.map((ml) => ml.numMembers()))
      process.stderr.write(`joined at ${joinedMs} ms; now ${Date.now() - start} ms, fewest members seen ${fewest}\n`)
      lastReport = Date.now()
    }
    await sleep(10)
  }
  const convergeMs = Date.now() - start

  const sent = (): number => nodes.reduce((sum, ml) => sum + ml.stats.udpBytesSent + ml.stats.tcpBytesSent, 0)
  // Every node retransmits every join's alive message for a few seconds after convergence;
  // `-settle` lets that tail drain so that the window measures the steady state.
  const slices: number[] = []
  const measure = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 1000) {
      const before = sent()
      const d = Math.min(1000, ms - t)
      await sleep(d)
      slices.push(Math.round((sent() - before) / n / (d / 1000)))
    }
  }
  await measure(settleMs)
  const before = sent()
  const joinBytesPerNode = before / n
  const windowStart = Date.now()
  await measure(windowMs)
  const bytesPerNodePerSec = (sent() - before) / n / ((Date.now() - windowStart) / 1000)
  if (verbose) process.stderr.write(`bytes per node per second, 1 s slices from convergence: ${slices.join(' ')}\n`)

  const last = nodes[n - 1]!
  await last.shutdown()
  const killed = Date.now()
  const others = nodes.slice(0, n - 1)
  // Verbose runs split the figure: the first probe to fail, then Lifeguard's suspicion timeout,
  // then the dead message's spread.
  let firstSuspect: number | undefined
  let firstDead: number | undefined
  const note = (): void => {
    const t = Date.now() - killed
    const views = others.map((ml) => ml.member(last.name))
    if (firstSuspect === undefined && views.some((m) => m?.state === 'suspect')) firstSuspect = t
    if (firstDead === undefined && views.includes(undefined)) firstDead = t
  }
  while (others.some((ml) => ml.member(last.name) !== undefined)) {
    if (verbose) note()
    await sleep(10)
  }
  const detectAllMs = Date.now() - killed
  if (verbose) process.stderr.write(`detection: first suspect seen at ${firstSuspect} ms, first dead at ${firstDead} ms, all at ${detectAllMs} ms\n`)
  for (const ml of others) await ml.shutdown()
  process.stdout.write(JSON.stringify({ impl: 'nomadic', config: profile, nodes: n, convergeMs, bytesPerNodePerSec, detectAllMs, joinBytesPerNode }) + '\n')
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
