import { SeededRandom } from '@nomadic/runtime'
import type { Allocation, Job, Plan } from '@nomadic/structs'
import { allocsFit, allocTerminal, computeNodeClass, mockEval, mockJob, mockNode } from '@nomadic/structs'
import { evaluatePlan, NodeFitCache } from '@nomadic/planner'
import { describe, expect, it } from 'vitest'
import { newBatchScheduler, newServiceScheduler, NodeUsageCache, type Planner } from '../src/index.js'
import { InmemState } from '../src/testing/index.js'

// Jobs registered, scaled up and down, one after another against one state, every plan decided
// by the real plan evaluation. Returns where every live allocation ended up, with its ports.
async function run(seed: number, cache: NodeUsageCache | undefined): Promise<{ live: string[]; oversubscribed: number }> {
  const random = new SeededRandom(seed)
  const state = new InmemState()
  for (let i = 0; i < 40; i++) {
    const node = mockNode()
    node.ID = `node-${String(i).padStart(3, '0')}`
    node.Name = node.ID
    // Small nodes fill up, so placements exhaust them and fail.
    node.NodeResources!.Cpu.CpuShares = 1000 + 500 * (i % 4)
    node.ComputedClass = computeNodeClass(node)
    state.upsertNode(node)
  }
  // The plan applier's cache goes with the scheduler's: both are compared with neither.
  const fitCache = cache === undefined ? undefined : new NodeFitCache()
  const planner: Planner = {
    async submitPlan(plan: Plan) {
      const result = await evaluatePlan({ latestIndex: () => state.index, nodeByID: (id) => state.nodeByID(id), allocsByNode: (id) => state.allocsByNode(id), allocByID: (id) => state.allocByID(id) }, plan, { fitCache })
      const index = state.nextIndex()
      state.applyPlanResult(index, plan, result)
      result.AllocIndex = index
      return result.RefreshIndex !== 0 ? { result, newState: state } : { result }
    },
    async updateEval() {},
    async createEval() {},
    async reblockEval() {},
  }
  const schedule = async (job: Job): Promise<void> => {
    const stored = state.upsertJob(job)
    const options = { random, usageCache: cache }
    const scheduler = job.Type === 'batch' ? newBatchScheduler(state, planner, options) : newServiceScheduler(state, planner, options)
    await scheduler.process({ ...mockEval(), JobID: stored.ID, Type: stored.Type, TriggeredBy: 'job-register' })
  }
  const jobs: Job[] = []
  for (let j = 0; j < 8; j++) {
    const job = mockJob()
    job.ID = `job-${j}`
    job.Type = j % 3 === 2 ? 'batch' : 'service'
    const tg = job.TaskGroups![0]!
    tg.Count = 10 + 5 * j
    tg.Tasks![0]!.Resources = { CPU: 150, MemoryMB: 64, DiskMB: 0, IOPS: 0, Networks: [{ Mode: '', Device: '', CIDR: '', IP: '', MBits: 10, DynamicPorts: [{ Label: 'http', Value: 0, To: 0 }] }] }
    jobs.push(job)
    await schedule(job)
  }
  // Scale some down (stops free capacity on nodes the cache has seen) and others up.
  for (const job of jobs) {
    job.TaskGroups![0]!.Count = job.ID.endsWith('1') || job.ID.endsWith('4') ? 3 : job.TaskGroups![0]!.Count + 6
    await schedule(job)
  }
  const live: string[] = []
  let oversubscribed = 0
  for (const node of state.nodes()) {
    const allocs = state.allocsByNode(node.ID).filter((a) => !allocTerminal(a))
    if (!allocsFit(node, allocs, undefined, false).fits) oversubscribed++
    for (const a of allocs) live.push(`${a.Name}@${node.ID}:${ports(a)}`)
  }
  return { live: live.sort(), oversubscribed }
}

const ports = (a: Allocation): string =>
  Object.values(a.AllocatedResources?.Tasks ?? {}).flatMap((t) => (t.Networks ?? []).flatMap((n) => (n.DynamicPorts ?? []).map((p) => p.Value))).join(',')

describe('NodeUsageCache (with the planner\'s NodeFitCache)', () => {
  it('places exactly as scheduling without it does, evaluation after evaluation', async () => {
    for (const seed of [1, 2, 3]) {
      const without = await run(seed, undefined)
      const withCache = await run(seed, new NodeUsageCache())
      expect(without.live.length).toBeGreaterThan(100)
      expect(withCache).toEqual(without)
      expect(without.oversubscribed).toBe(0)
    }
  })
})
