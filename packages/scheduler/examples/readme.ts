import { SeededRandom } from '@nomadic/runtime'
import { computeNodeClass, mockEval, mockJob, mockNode } from '@nomadic/structs'
import { newServiceScheduler } from '@nomadic/scheduler'
import { Harness } from '@nomadic/scheduler/testing'

// A harness is a Planner that records plans and applies them to an in-memory state.
const h = new Harness()
for (let i = 0; i < 3; i++) {
  const node = mockNode() // 4000 MHz, 8 GiB, linux, exec driver
  node.Name = `client-${i}`
  node.ComputedClass = computeNodeClass(node)
  h.state.upsertNode(node)
}

// A service job: group "web" of 3 × (500 MHz, 256 MB, two dynamic ports).
const job = mockJob()
job.TaskGroups![0]!.Count = 3
const stored = h.state.upsertJob(job)

const random = new SeededRandom(42) // seeded: the same placements every run
await h.process((state, planner) => newServiceScheduler(state, planner, { random }), {
  ...mockEval(), JobID: stored.ID, Type: 'service', TriggeredBy: 'job-register',
})

const placed = Object.values(h.plans[0]!.NodeAllocation ?? {}).flat()
export const result = {
  status: h.evals[0]!.Status, // 'complete'
  names: placed.map((a) => a.Name).sort(), // [`${job.ID}.web[0]`, … [2]]
  nodes: new Set(placed.map((a) => a.NodeID)).size, // 3: job anti-affinity spreads them
}
