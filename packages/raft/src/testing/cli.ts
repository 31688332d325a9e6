/**
 * The simulation runner: `npm run sim -w @nomadic/raft -- --seeds N --from S [--scenario NAME] [--jobs J]`.
 * Prints one line per failing seed with the command that replays it, then `N passed, M failed`.
 * With `--jobs`, seeds are split over that many child processes (the results are the same).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { formatFailure, runSeed } from './run.js'

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? args[at + 1] : undefined
}

/** Runs seeds in this process; prints failures; returns the counts. */
async function runHere(from: number, seeds: number, scenario: string | undefined, duration: number | undefined): Promise<[number, number]> {
  let passed = 0
  let failed = 0
  for (let seed = from; seed < from + seeds; seed++) {
    const result = await runSeed(seed, { scenario, duration })
    if (result.ok) passed++
    else {
      failed++
      process.stdout.write(`${formatFailure(result, scenario)}\n`)
    }
  }
  return [passed, failed]
}

/** Runs a share of the seeds in a child process and relays its failure lines. */
function runChild(from: number, seeds: number, rest: string[]): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--seeds', String(seeds), '--from', String(from), ...rest], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => { out += chunk })
    child.on('error', reject)
    child.on('close', () => {
      const lines = out.trim().split('\n').filter((l) => l !== '')
      const summary = /^(\d+) passed, (\d+) failed$/.exec(lines.at(-1) ?? '')
      for (const line of lines.slice(0, summary === null ? lines.length : -1)) process.stdout.write(`${line}\n`)
      if (summary === null) resolve([0, seeds])
      else resolve([Number(summary[1]), Number(summary[2])])
    })
  })
}

async function main(args: string[]): Promise<number> {
  const seeds = Number(flag(args, 'seeds') ?? '100')
  const from = Number(flag(args, 'from') ?? '1')
  const jobs = Number(flag(args, 'jobs') ?? '1')
  const scenario = flag(args, 'scenario')
  const durationFlag = flag(args, 'duration')
  const duration = durationFlag === undefined ? undefined : Number(durationFlag)
  if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || from < 0 || !Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write('usage: sim --seeds N --from S [--scenario NAME] [--duration MS] [--jobs J]\n')
    return 2
  }
  const started = Date.now()
  let passed = 0
  let failed = 0
  if (jobs === 1) [passed, failed] = await runHere(from, seeds, scenario, duration)
  else {
    const rest = [...(scenario !== undefined ? ['--scenario', scenario] : []), ...(durationFlag !== undefined ? ['--duration', durationFlag] : [])]
    const share = Math.ceil(seeds / jobs)
    const parts: Promise<[number, number]>[] = []
    for (let start = from; start < from + seeds; start += share) parts.push(runChild(start, Math.min(share, from + seeds - start), rest))
    for (const [p, f] of await Promise.all(parts)) {
      passed += p
      failed += f
    }
  }
  const secs = (Date.now() - started) / 1000
  process.stderr.write(`${seeds} seeds in ${secs.toFixed(1)} s (${Math.round((seeds / secs) * 60)} seeds/minute)\n`)
  process.stdout.write(`${passed} passed, ${failed} failed\n`)
  return failed > 0 ? 1 : 0
}

process.on('unhandledRejection', (reason) => {
  process.stdout.write(`unhandled rejection: ${String(reason)}\n`)
  process.exitCode = 1
})

main(process.argv.slice(2)).then((code) => {
  process.exitCode = process.exitCode === 1 ? 1 : code
}, (err: unknown) => {
  process.stdout.write(`runner crashed: ${String(err)}\n`)
  process.exitCode = 1
})
