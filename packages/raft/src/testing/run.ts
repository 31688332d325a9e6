/** Runs one seed of the simulation: a scenario chosen by the seed, faults, clients, and checks. */
import { SeededRandom } from '@nomadic/runtime'
import type { RaftOptions } from '../options.js'
import { InvariantViolation, SimCluster } from './cluster.js'
import { scenarios } from './scenarios.js'

/** The outcome of one seed. */
export interface SeedResult {
  seed: number
  scenario: string
  ok: boolean
  /** The broken invariant's name and message. */
  invariant?: string
  message?: string
  /** Simulation events run. */
  steps: number
  /** Client operations recorded. */
  operations: number
}

/** Options of {@link runSeed}. */
export interface RunSeedOptions {
  /** Simulated ms of faults under client load (default 10 000). */
  duration?: number
  /** Run this scenario instead of the one the seed picks. */
  scenario?: string
}

/** The scenario a seed runs. */
export function scenarioFor(seed: number, name?: string): (typeof scenarios)[number] {
  if (name !== undefined) {
    const found = scenarios.find((s) => s.name === name)
    if (found === undefined) throw new Error(`unknown scenario ${name}; known: ${scenarios.map((s) => s.name).join(', ')}`)
    return found
  }
  return scenarios[seed % scenarios.length]!
}

/** Runs one seed; the same seed always runs the same way. */
export async function runSeed(seed: number, options: RunSeedOptions = {}): Promise<SeedResult> {
  const scenario = scenarioFor(seed, options.scenario)
  const random = new SeededRandom(seed ^ 0x5eed)
  const raftOptions: Partial<RaftOptions> = {
    snapshotInterval: 2000,
    snapshotThreshold: 64,
    trailingLogs: 32,
    preVote: random.next() < 0.3,
    maxAppendEntries: random.next() < 0.3 ? 4 : 64,
    ...scenario.options,
  }
  const cluster = new SimCluster(seed, raftOptions)
  // Most seeds write to a disk that takes time (sometimes longer than a network round trip),
  // so crashes tear writes in flight.
  const disk = random.next()
  cluster.diskLatency = disk < 0.3 ? 0 : disk < 0.65 ? 1 + random.int(10) : 20 + random.int(80)
  const result: SeedResult = { seed, scenario: scenario.name, ok: true, steps: 0, operations: 0 }
  try {
    const count = scenario.nodes(random)
    await cluster.bootstrap(Array.from({ length: count }, (_, i) => `n${i + 1}`))
    if (!(await cluster.runUntil(() => cluster.leader() !== undefined, 10_000))) {
      throw new InvariantViolation('liveness', `no leader within 10 s of start (${cluster.describe()})`)
    }
    const duration = options.duration ?? 10_000
    cluster.startClients(2 + random.int(3), ['a', 'b', 'c'], cluster.clock.now() + duration)
    await scenario.faults(cluster, random, duration)
    await cluster.settle()
  } catch (err) {
    result.ok = false
    if (err instanceof InvariantViolation) {
      result.invariant = err.invariant
      result.message = err.message
    } else {
      result.invariant = 'no unexpected exception'
      result.message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    }
  } finally {
    result.steps = cluster.steps
    result.operations = cluster.history.length
    await cluster.stop().catch(() => {})
  }
  return result
}

/** The command that replays one seed. */
export function replayCommand(seed: number, scenario?: string): string {
  return `npm run sim -w @nomadic/raft -- --seeds 1 --from ${seed}${scenario !== undefined ? ` --scenario ${scenario}` : ''}`
}

/** The runner's line for a failing seed. */
export function formatFailure(result: SeedResult, scenarioFlag?: string): string {
  return `FAIL seed ${result.seed} [${result.scenario}] ${result.message ?? result.invariant ?? 'failed'} — replay: ${replayCommand(result.seed, scenarioFlag)}`
}
