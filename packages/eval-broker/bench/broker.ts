// Broker throughput and memory, printed as one JSON line.
//
// cyclesPerSec: enqueue → dequeue → ack over 10,000 jobs spread across 4 scheduler types, on the
// real clock, with every delivery's nack timer armed (each round enqueues all 10,000, dequeues
// all 10,000 — so 10,000 are outstanding at once — then acks them). cyclesPerCpuSec divides by
// this process's CPU time instead of wall time: the figure an unshared machine gives.
// bytesPerPendingEval: heap growth per eval with 1,000,000 evals pending (10,000 jobs, so most
// wait in their job's queue), counting the Evaluation objects themselves, with IDs as flat
// 36-character strings as decoded off the wire (Node's randomUUID strings each pin a larger
// buffer); brokerBytesPerPendingEval counts only what the broker adds. Needs --expose-gc.
//
// Nomad's broker is not available on this machine (no Debian package), so there is no Go ratio.
import { cpus, loadavg } from 'node:os'
import { systemRandom } from '@nomadic/runtime'
import { mockEval, type Evaluation } from '@nomadic/structs'
import { EvalBroker } from '../src/index.js'
import { randomToken } from '../src/token.js'

const JOBS = 10_000
const TYPES = ['service', 'batch', 'system', '_core']

function makeEval(i: number, jobIds: string[]): Evaluation {
  // Assigning over mock.Eval's literal keeps its compact object shape (a spread copy would not).
  return Object.assign(mockEval(), {
    ID: randomToken(systemRandom),
    Priority: 50 + (i % 3) * 10,
    Type: TYPES[i % TYPES.length]!,
    TriggeredBy: 'job-register',
    JobID: jobIds[i % jobIds.length]!,
    CreateIndex: i + 1,
    ModifyIndex: i + 1,
  })
}

const jobIds = Array.from({ length: JOBS }, (_, i) => `job-${i}`)

async function cyclesPerSec(minMs: number): Promise<{ wall: number; cpu: number }> {
  const broker = new EvalBroker()
  broker.setEnabled(true)
  const evals = Array.from({ length: JOBS }, (_, i) => makeEval(i, jobIds))
  const tokens: string[] = new Array(JOBS)
  const ids: string[] = new Array(JOBS)
  const round = async (): Promise<void> => {
    for (const e of evals) broker.enqueue(e)
    for (let i = 0; i < JOBS; i++) {
      const d = (await broker.dequeue(TYPES))!
      ids[i] = d.eval.ID
      tokens[i] = d.token
    }
    for (let i = 0; i < JOBS; i++) broker.ack(ids[i]!, tokens[i]!)
  }
  for (let i = 0; i < 5; i++) await round() // warm-up
  let cycles = 0
  const start = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  let elapsed = 0
  while (elapsed < minMs) {
    await round()
    cycles += JOBS
    elapsed = Number(process.hrtime.bigint() - start) / 1e6
  }
  const cpu = process.cpuUsage(cpuStart)
  broker.stop()
  return {
    wall: Math.round(cycles / (elapsed / 1000)),
    cpu: Math.round(cycles / ((cpu.user + cpu.system) / 1e6)),
  }
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

function bytesPerPending(count: number): { total: number; broker: number } {
  const before = heapUsed()
  const evals = Array.from({ length: count }, (_, i) => makeEval(i, jobIds))
  const withEvals = heapUsed()
  const broker = new EvalBroker()
  broker.setEnabled(true)
  for (const e of evals) broker.enqueue(e)
  const after = heapUsed()
  const stats = broker.stats()
  if (stats.totalReady + stats.totalBlocked !== count) throw new Error('not all evals pending')
  const result = { total: (after - before) / count, broker: (after - withEvals) / count }
  broker.stop()
  return result
}

// BENCH_ONLY=cycles or BENCH_ONLY=memory runs one half (for profiling).
const only = process.env.BENCH_ONLY
const figures: Record<string, unknown> = { bench: 'eval-broker' }
if (only !== 'memory') {
  const c = await cyclesPerSec(3000)
  figures.cyclesPerSec = c.wall
  // Per second of this process's CPU time: what an idle machine gives; the two differ when the
  // machine is shared (see loadAverage).
  figures.cyclesPerCpuSec = c.cpu
}
if (only !== 'cycles') {
  const m = bytesPerPending(1_000_000)
  figures.bytesPerPendingEval = Math.round(m.total)
  figures.brokerBytesPerPendingEval = Math.round(m.broker)
}
Object.assign(figures, { loadAverage: +loadavg()[0]!.toFixed(2), cpus: cpus().length, jobs: JOBS, schedulerTypes: TYPES.length, pendingEvals: 1_000_000, node: process.version })
process.stdout.write(JSON.stringify(figures) + '\n')
