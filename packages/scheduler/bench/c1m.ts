// A C1M-shaped run in one process: 5,000 nodes, 100 jobs of count 1,000 (batch and service),
// through the real schedulers and the real plan evaluation, results applied to an in-memory
// state. Prints one JSON line.
import { SeededRandom } from '@nomadic/runtime'
import type { Evaluation, Job, Plan } from '@nomadic/structs'
import { allocsFit, allocTerminal, computeNodeClass, mockEval, mockJob, mockNode } from '@nomadic/structs'
import { evaluatePlan, NodeFitCache } from '@nomadic/planner'
import { newBatchScheduler, newServiceScheduler, NodeUsageCache, type Planner, type SubmitResult } from '../src/index.js'
import { InmemState } from '../src/testing/index.js'

const nodes = Number(process.env.C1M_NODES ?? 5000)
const jobs = Number(process.env.C1M_JOBS ?? 100)
const count = Number(process.env.C1M_COUNT ?? 1000)

const random = new SeededRandom(1)
// A worker keeps one usage cache for its lifetime.
const usageCache = new NodeUsageCache()
// The plan applier keeps one for its lifetime.
const fitCache = new NodeFitCache()
const state = new InmemState()
for (let i = 0; i < nodes; i++) {
  const node = mockNode()
  node.Name = `client-${i}`
  node.NodeClass = `class-${i % 5}`
  node.Attributes!['unique.hostname'] = node.Name
  node.ComputedClass = computeNodeClass(node)
  state.upsertNode(node)
}

// The real plan applier's evaluation decides what commits; the result is applied at once.
const planner: Planner & { evals: number } = {
  evals: 0,
  async submitPlan(plan: Plan): Promise<SubmitResult> {
    const snapshot = {
      latestIndex: () => state.index,
      nodeByID: (id: string) => state.nodeByID(id),
      allocsByNode: (id: string) => state.allocsByNode(id),
      allocByID: (id: string) => state.allocByID(id),
    }
    const result = await evaluatePlan(snapshot, plan, { fitCache })
    const index = state.nextIndex()
    state.applyPlanResult(index, plan, result)
    result.AllocIndex = index
    return result.RefreshIndex !== 0 ? { result, newState: state } : { result }
  },
  async updateEval() { this.evals++ },
  async createEval() {},
  async reblockEval() {},
}

const evalTimes: number[] = []
const started = performance.now()
const cpuStart = process.cpuUsage()
for (let j = 0; j < jobs; j++) {
  const isBatch = j % 2 === 1
  const job = mockJob()
  job.ID = `c1m-${j}`
  job.Type = isBatch ? 'batch' : 'service'
  job.Constraints = [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }]
  const tg = job.TaskGroups![0]!
  tg.Count = count
  tg.Tasks![0]!.Resources = { CPU: 100, MemoryMB: 128, DiskMB: 0, IOPS: 0, Networks: [{ Mode: '', Device: '', CIDR: '', IP: '', MBits: 1, DynamicPorts: [{ Label: 'http', Value: 0, To: 0 }] }] }
  tg.EphemeralDisk = { Sticky: false, SizeMB: 10, Migrate: false }
  const stored: Job = state.upsertJob(job)
  const ev: Evaluation = { ...mockEval(), JobID: stored.ID, Type: stored.Type, TriggeredBy: 'job-register', Priority: 50 }
  const scheduler = isBatch ? newBatchScheduler(state, planner, { random, usageCache }) : newServiceScheduler(state, planner, { random, usageCache })
  const t0 = performance.now()
  await scheduler.process(ev)
  evalTimes.push(performance.now() - t0)
}
const secs = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuStart)
const cpuSecs = (cpu.user + cpu.system) / 1e6

let placements = 0
let oversubscribed = 0
for (const node of state.nodes()) {
  const live = state.allocsByNode(node.ID).filter((a) => !allocTerminal(a))
  placements += live.length
  if (!allocsFit(node, live, undefined, false).fits) oversubscribed++
}
evalTimes.sort((a, b) => a - b)
const p99 = evalTimes[Math.min(evalTimes.length - 1, Math.floor(evalTimes.length * 0.99))]!
process.stdout.write(JSON.stringify({
  bench: 'scheduler-c1m', nodes, jobs, count, placements, secs: +secs.toFixed(2),
  placementsPerSec: Math.round(placements / secs), cpuSecs: +cpuSecs.toFixed(2), placementsPerCpuSec: Math.round(placements / cpuSecs), p99EvalMs: +p99.toFixed(1), oversubscribedNodes: oversubscribed,
}) + '\n')
