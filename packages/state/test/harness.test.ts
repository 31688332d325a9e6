/**
 * The schedulers' test harness (@nomadic/scheduler/testing) running on the real state store:
 * the schedulers read store snapshots, plans go through the planner's real evaluation and come
 * back as Nomad's ApplyPlanResults, and the tests look at what the store then holds.
 */
import { describe, expect, it } from 'vitest'
import { SeededRandom } from '@nomadic/runtime'
import { evaluatePlan } from '@nomadic/planner'
import { newServiceScheduler, newSystemScheduler, type Planner, type State } from '@nomadic/scheduler'
import { Harness, type HarnessStore } from '@nomadic/scheduler/testing'
import { allocsFit, allocTerminal, computeNodeClass, mockEval, mockJob, mockNode, type Evaluation, type Job, type Plan, type PlanResult } from '@nomadic/structs'
import { StateStore, type StateSnapshot } from '../src/index.js'
import { applyRequest } from './plan-request.js'

/** The harness's store: writes go to the state store as the FSM would apply them. */
class StateHarnessStore implements HarnessStore {
  constructor(readonly store: StateStore) {}

  snapshot(): State {
    return this.store.snapshot()
  }

  nextIndex(): number {
    return this.store.latestIndex() + 1
  }

  applyPlanResult(index: number, plan: Plan, result: PlanResult): void {
    this.store.upsertPlanResults(index, applyRequest(plan, result))
  }
}

const random = new SeededRandom(11)
const service = (state: State, planner: Planner) => newServiceScheduler(state, planner, { random })
const system = (state: State, planner: Planner) => newSystemScheduler(state, planner, { random })

function setup(nodes: number): { store: StateStore; h: Harness } {
  const store = new StateStore()
  for (let i = 0; i < nodes; i++) {
    const node = mockNode()
    node.Name = `node-${i}`
    node.ComputedClass = computeNodeClass(node)
    store.upsertNode(store.latestIndex() + 1, node)
  }
  // The real plan evaluation decides what commits, as the leader's plan applier does.
  const h = new Harness({ store: new StateHarnessStore(store), evaluate: (state, plan) => evaluatePlan(state as StateSnapshot, plan) })
  return { store, h }
}

function register(store: StateStore, change: (job: Job) => void = () => {}): { job: Job; ev: Evaluation } {
  const submitted = mockJob()
  change(submitted)
  store.upsertJob(store.latestIndex() + 1, submitted)
  const job = store.snapshot().jobByID(submitted.Namespace, submitted.ID)!
  const ev: Evaluation = { ...mockEval(), Namespace: job.Namespace, JobID: job.ID, Type: job.Type, Priority: job.Priority, TriggeredBy: 'job-register' }
  store.upsertEvals(store.latestIndex() + 1, [ev])
  return { job, ev }
}

/** The worker's part: the evals the scheduler updated or created go to the store. */
function writeEvals(store: StateStore, h: Harness): void {
  store.upsertEvals(store.latestIndex() + 1, [...h.createEvals, ...h.evals])
}

describe('the schedulers on the real state store', () => {
  it('the service scheduler places a job; the store keeps allocations, summary, job status and eval', async () => {
    const { store, h } = setup(10)
    const { job, ev } = register(store)
    await h.process(service, ev)
    writeEvals(store, h)
    const snap = store.snapshot()
    const allocs = snap.allocsByJob(job.Namespace, job.ID, false)
    expect(allocs).toHaveLength(10)
    expect(allocs.every((a) => a.Job?.ID === job.ID && a.EvalID === ev.ID && a.ClientStatus === 'pending')).toBe(true)
    expect(new Set(allocs.map((a) => a.Name)).size).toBe(10)
    expect(snap.jobSummaryByID(job.Namespace, job.ID)!.Summary.web).toMatchObject({ Starting: 10, Queued: 0 })
    expect(snap.jobByID(job.Namespace, job.ID)!.Status).toBe('running')
    expect(snap.evalByID(ev.ID)!.Status).toBe('complete')
  })

  it('scales down through stopped-allocation diffs denormalized by the store', async () => {
    const { store, h } = setup(5)
    const { job, ev } = register(store)
    await h.process(service, ev)
    store.upsertJob(store.latestIndex() + 1, { ...job, TaskGroups: [{ ...job.TaskGroups![0]!, Count: 4 }] })
    const next: Evaluation = { ...mockEval(), Namespace: job.Namespace, JobID: job.ID, Type: job.Type, Priority: job.Priority, TriggeredBy: 'job-register' }
    store.upsertEvals(store.latestIndex() + 1, [next])
    await h.process(service, next)
    const snap = store.snapshot()
    const all = snap.allocsByJob(job.Namespace, job.ID, false)
    expect(all).toHaveLength(10)
    expect(all.filter((a) => a.DesiredStatus === 'stop')).toHaveLength(6)
    expect(all.filter((a) => !allocTerminal(a))).toHaveLength(4)
    for (const node of snap.nodes()) {
      const terminal = snap.allocsByNodeTerminal(node.ID, true).length
      const live = snap.allocsByNodeTerminal(node.ID, false).length
      expect(terminal + live).toBe(snap.allocsByNode(node.ID).length)
    }
  })

  it('what does not fit is blocked and no node is over-subscribed in the store', async () => {
    const { store, h } = setup(2)
    const { job, ev } = register(store, (j) => {
      j.TaskGroups![0]!.Count = 20
      j.TaskGroups![0]!.Tasks![0]!.Resources!.CPU = 1500 // two fit on a 3,900 MHz node
    })
    await h.process(service, ev)
    writeEvals(store, h)
    const snap = store.snapshot()
    expect(snap.allocsByJob(job.Namespace, job.ID, false)).toHaveLength(4)
    for (const node of snap.nodes()) expect(allocsFit(node, snap.allocsByNodeTerminal(node.ID, false)).fits).toBe(true)
    const blocked = snap.evalsByJobStatus(job.Namespace, job.ID, 'blocked')
    expect(blocked).toHaveLength(1)
    expect(snap.jobSummaryByID(job.Namespace, job.ID)!.Summary.web).toMatchObject({ Starting: 4, Queued: 16 })
  })

  it('the system scheduler places one allocation per node', async () => {
    const { store, h } = setup(6)
    const { job, ev } = register(store, (j) => {
      j.Type = 'system'
      j.TaskGroups![0]!.Count = 1
    })
    await h.process(system, ev)
    const snap = store.snapshot()
    for (const node of snap.nodes()) expect(snap.allocsByNode(node.ID).map((a) => a.JobID)).toEqual([job.ID])
    expect(snap.jobByID(job.Namespace, job.ID)!.Status).toBe('running')
  })
})
