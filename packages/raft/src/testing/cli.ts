/**
 * The simulation runner: `npm run sim -w @nomadic/raft -- --seeds N --from S [--scenario NAME]`.
 * Prints one line per failing seed with the command that replays it, then `N passed, M failed`.
 */
import { formatFailure, runSeed } from './run.js'

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? args[at + 1] : undefined
}

async function main(args: string[]): Promise<number> {
  const seeds = Number(flag(args, 'seeds') ?? '100')
  const from = Number(flag(args, 'from') ?? '1')
  const scenario = flag(args, 'scenario')
  const duration = flag(args, 'duration')
  if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || from < 0) {
    process.stderr.write('usage: sim --seeds N --from S [--scenario NAME] [--duration MS]\n')
    return 2
  }
  let passed = 0
  let failed = 0
  const started = Date.now()
  for (let seed = from; seed < from + seeds; seed++) {
    const result = await runSeed(seed, { scenario, duration: duration === undefined ? undefined : Number(duration) })
    if (result.ok) passed++
    else {
      failed++
      process.stdout.write(`${formatFailure(result, scenario)}\n`)
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
