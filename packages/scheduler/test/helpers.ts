import { SeededRandom } from '@nomadic/runtime'
import type { Evaluation, Job, Node } from '@nomadic/structs'
import { computeNodeClass, mockEval, mockJob, mockNode } from '@nomadic/structs'
import { newBatchScheduler, newServiceScheduler, newSystemScheduler, type Planner, type State } from '../src/index.js'
import { Harness } from '../src/testing/index.js'


// One generator for the whole file, as a server has one: a fresh one per eval would hand out the
// same allocation IDs again.
const shared = new SeededRandom(7)
export const service = (state: State, planner: Planner) => newServiceScheduler(state, planner, { random: shared })
export const batch = (state: State, planner: Planner) => newBatchScheduler(state, planner, { random: shared })
export const system = (state: State, planner: Planner) => newSystemScheduler(state, planner, { random: shared })

/** A harness with `n` ready mock nodes. */
export function harnessWithNodes(n: number, change: (node: Node, i: number) => void = () => {}): { h: Harness; nodes: Node[] } {
  const h = new Harness()
  const nodes: Node[] = []
  for (let i = 0; i < n; i++) {
    const node = mockNode()
    node.Name = `node-${i}`
    change(node, i)
    node.ComputedClass = computeNodeClass(node) // as node registration does
    h.state.upsertNode(node)
    nodes.push(h.state.nodeByID(node.ID)!)
  }
  return { h, nodes }
}

/** Registers a job (a mock service job, changed by `change`) and returns it as stored. */
export function registerJob(h: Harness, change: (job: Job) => void = () => {}): Job {
  const job = mockJob()
  change(job)
  return h.state.upsertJob(job)
}

/** A pending eval for the job with the given trigger. */
export function evalFor(job: Job, triggeredBy = 'job-register', change: Partial<Evaluation> = {}): Evaluation {
  return { ...mockEval(), Namespace: job.Namespace, JobID: job.ID, Type: job.Type, Priority: job.Priority, TriggeredBy: triggeredBy, ...change }
}

/** Every allocation placed by the harness's plans, flattened. */
export function placed(h: Harness, planIndex = h.plans.length - 1): import('@nomadic/structs').Allocation[] {
  return Object.values(h.plans[planIndex]?.NodeAllocation ?? {}).flat()
}

export function stoppedIn(h: Harness, planIndex = h.plans.length - 1): import('@nomadic/structs').Allocation[] {
  return Object.values(h.plans[planIndex]?.NodeUpdate ?? {}).flat()
}
