// Several scheduler workers racing on stale snapshots, their plans serialized by the real plan
// queue and applier: the schedulers must cope with partial commits (refresh and retry) and the
// committed state must never over-subscribe a node.
import { SeededRandom, SimClock, shuffle } from '@nomadic/runtime'
import type { Evaluation, Plan } from '@nomadic/structs'
import { allocsFit, allocTerminal, computeNodeClass, mockEval, mockJob, mockNode } from '@nomadic/structs'
import { PlanApplier, PlanQueue } from '@nomadic/planner'
import { newBatchScheduler, newServiceScheduler, type Planner, type State } from '../src/index.js'
import { InmemState } from '../src/testing/index.js'

export interface WorkersReport {
  seed: number
  placed: number
  wanted: number
  blocked: number
  failed: number
  evals: number
  violations: string[]
}

export async function simulateWorkers(seed: number): Promise<WorkersReport> {
  const random = new SeededRandom(seed)
  const clock = new SimClock(1_700_000_000_000)
  const state = new InmemState()
  const nodeCount = 4 + random.int(6)
  for (let i = 0; i < nodeCount; i++) {
    const node = mockNode()
    node.ComputedClass = computeNodeClass(node)
    state.upsertNode(node)
  }
  const queue = new PlanQueue({ clock })
  queue.setEnabled(true)
  const report: WorkersReport = { seed, placed: 0, wanted: 0, blocked: 0, failed: 0, evals: 0, violations: [] }
  const applier = new PlanApplier({
    queue,
    clock,
    snapshot: async () => {
      const snap = state.clone()
      return { latestIndex: () => snap.index, nodeByID: (id) => snap.nodeByID(id), allocsByNode: (id) => snap.allocsByNode(id), allocByID: (id) => snap.allocByID(id) }
    },
    apply: async (plan, result) => {
      await clock.sleep(1 + random.int(20))
      const index = state.nextIndex()
      state.applyPlanResult(index, plan, result)
      for (const node of state.nodes()) {
        const live = state.allocsByNode(node.ID).filter((a) => !allocTerminal(a))
        if (!allocsFit(node, live, undefined, false).fits) report.violations.push(`node ${node.ID} over-subscribed at index ${index}`)
      }
      return index
    },
  })
  applier.start()

  // The worker side of the Planner: plans go through the queue; a partial commit hands back a
  // fresh snapshot at least as new as the refresh index.
  const planner = (evals: Evaluation[]): Planner => ({
    async submitPlan(plan: Plan) {
      const result = await queue.enqueue(plan)
      return result.RefreshIndex !== 0 ? { result, newState: state.clone() } : { result }
    },
    async updateEval(ev) { evals.push(ev) },
    async createEval(ev) { if (ev.Status === 'blocked') report.blocked++ },
    async reblockEval() {},
  })

  const evals: Evaluation[] = []
  const jobs = 3 + random.int(5)
  const work: Array<() => Promise<void>> = []
  for (let j = 0; j < jobs; j++) {
    const job = mockJob()
    const isBatch = random.next() < 0.4
    job.Type = isBatch ? 'batch' : 'service'
    const tg = job.TaskGroups![0]!
    tg.Count = 1 + random.int(12)
    tg.Tasks![0]!.Resources!.CPU = 300 + random.int(1500)
    tg.Tasks![0]!.Resources!.MemoryMB = 128 + random.int(2048)
    const stored = state.upsertJob(job)
    report.wanted += tg.Count
    const ev: Evaluation = { ...mockEval(), JobID: stored.ID, Type: stored.Type, TriggeredBy: 'job-register' }
    work.push(async () => {
      // Every worker schedules against the state as it was when it dequeued the eval.
      await clock.sleep(random.int(15))
      const snapshot: State = state.clone()
      const make = isBatch ? newBatchScheduler : newServiceScheduler
      await make(snapshot, planner(evals), { random: random.fork(), clock }).process(ev)
    })
  }
  let done = false
  void Promise.all(shuffle(random, work).map((w) => w())).then(() => { done = true })
  for (let step = 0; step < 50_000 && !done; step++) {
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (!(await clock.stepAsync())) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await applier.stop()
  queue.setEnabled(false)
  if (!done) report.violations.push('workers did not finish')
  report.placed = [...state.allocs()].filter((a) => !allocTerminal(a)).length
  report.failed = evals.filter((e) => e.Status === 'failed').length
  report.evals = evals.length
  const unfinished = evals.filter((e) => e.Status !== 'complete' && e.Status !== 'failed')
  if (unfinished.length > 0) report.violations.push(`${unfinished.length} evals ended ${unfinished[0]!.Status}`)
  if (evals.length !== jobs) report.violations.push(`${jobs} evals, ${evals.length} finished`)
  // What was not placed must be accounted for: queued in an eval (and blocked) or failed.
  const queued = evals.reduce((n, e) => n + Object.values(e.QueuedAllocations ?? {}).reduce((a, b) => a + b, 0), 0)
  if (report.placed + queued < report.wanted && report.failed === 0) {
    report.violations.push(`placed ${report.placed} + queued ${queued} < wanted ${report.wanted}`)
  }
  return report
}
