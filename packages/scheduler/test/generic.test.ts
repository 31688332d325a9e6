import { describe, expect, it } from 'vitest'
import type { Allocation, Job } from '@nomadic/structs'
import { allocTerminal } from '@nomadic/structs'
import { allocLost, allocNotNeeded, allocUpdating, blockedEvalFailedPlacements } from '../src/index.js'
import { Harness } from '../src/testing/index.js'
import { batch, evalFor, harnessWithNodes, placed, registerJob, service, stoppedIn } from './helpers.js'

function liveAllocs(h: Harness, job: Job): Allocation[] {
  return h.state.allocsByJob(job.Namespace, job.ID, true).filter((a) => !allocTerminal(a))
}

function updateStrategy(maxParallel: number, canary = 0) {
  return { Stagger: 30e9, MaxParallel: maxParallel, HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9, ProgressDeadline: 600e9, AutoRevert: false, AutoPromote: false, Canary: canary }
}

describe('service scheduler: register', () => {
  it('places every allocation with its own name and completes the eval', async () => {
    const { h } = harnessWithNodes(10)
    const job = registerJob(h)
    await h.process(service, evalFor(job))
    expect(h.plans).toHaveLength(1)
    const allocs = placed(h)
    expect(allocs).toHaveLength(10)
    expect(allocs.map((a) => a.Name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${job.ID}.web[${i}]`).sort())
    for (const a of allocs) {
      expect(a.AllocatedResources!.Tasks!.web!.Cpu.CpuShares).toBe(500)
      const ports = a.AllocatedResources!.Tasks!.web!.Networks![0]!.DynamicPorts!
      expect(ports.map((p) => p.Label)).toEqual(['http', 'admin'])
      for (const p of ports) expect(p.Value).toBeGreaterThanOrEqual(20000)
    }
    expect(h.evals).toHaveLength(1)
    expect(h.evals[0]!.Status).toBe('complete')
    expect(h.evals[0]!.QueuedAllocations).toEqual({})
    expect(h.createEvals).toHaveLength(0)
  })

  it('blocks what does not fit, with class eligibility and the failure metrics', async () => {
    const { h } = harnessWithNodes(2)
    const job = registerJob(h, (j) => {
      j.TaskGroups![0]!.Count = 20
      j.TaskGroups![0]!.Tasks![0]!.Resources!.CPU = 1500 // two fit on a 3900 MHz node
    })
    await h.process(service, evalFor(job))
    expect(placed(h)).toHaveLength(4)
    expect(h.createEvals).toHaveLength(1)
    const blocked = h.createEvals[0]!
    expect(blocked.Status).toBe('blocked')
    expect(blocked.TriggeredBy).toBe('queued-allocs')
    expect(blocked.StatusDescription).toBe(blockedEvalFailedPlacements)
    const cls = h.state.nodeByID(placed(h)[0]!.NodeID)!.ComputedClass
    expect(blocked.ClassEligibility).toEqual({ [cls]: true })
    const ev = h.evals[0]!
    expect(ev.Status).toBe('complete')
    expect(ev.BlockedEval).toBe(blocked.ID)
    expect(ev.QueuedAllocations).toEqual({ web: 16 })
    expect(ev.FailedTGAllocs!.web!.NodesExhausted).toBeGreaterThan(0)
    expect(ev.FailedTGAllocs!.web!.DimensionExhausted!.cpu).toBeGreaterThan(0)
    expect(ev.FailedTGAllocs!.web!.CoalescedFailures).toBe(15)
  })

  it('filters nodes by constraint and counts why', async () => {
    const { h, nodes } = harnessWithNodes(6, (n, i) => { if (i < 3) n.Attributes!['kernel.name'] = 'windows' })
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 3 })
    await h.process(service, evalFor(job))
    const used = new Set(placed(h).map((a) => a.NodeID))
    for (const id of used) expect(nodes.slice(3).map((n) => n.ID)).toContain(id)
  })

  it('reports constraint failures when nothing is feasible', async () => {
    const { h } = harnessWithNodes(3, (n) => { n.Attributes!['kernel.name'] = 'windows' })
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 2 })
    await h.process(service, evalFor(job))
    const metric = h.evals[0]!.FailedTGAllocs!.web!
    expect(metric.NodesEvaluated).toBe(3)
    expect(metric.NodesFiltered).toBe(3)
    expect(metric.ConstraintFiltered!['${attr.kernel.name} = linux']).toBeGreaterThanOrEqual(1)
    expect(h.createEvals[0]!.ClassEligibility).toEqual({ [h.state.nodeByID([...h.state.nodes()][0]!.ID)!.ComputedClass]: false })
  })

  it('honours distinct_hosts', async () => {
    const { h } = harnessWithNodes(5)
    const job = registerJob(h, (j) => {
      j.TaskGroups![0]!.Count = 6
      j.Constraints!.push({ LTarget: '', RTarget: '', Operand: 'distinct_hosts' })
    })
    await h.process(service, evalFor(job))
    const allocs = placed(h)
    expect(allocs).toHaveLength(5)
    expect(new Set(allocs.map((a) => a.NodeID)).size).toBe(5)
    expect(h.evals[0]!.QueuedAllocations).toEqual({ web: 1 })
  })

  it('honours distinct_property with a limit', async () => {
    const { h } = harnessWithNodes(6, (n, i) => { n.Meta!.rack = `r${i % 3}` })
    const job = registerJob(h, (j) => {
      j.TaskGroups![0]!.Count = 8
      j.TaskGroups![0]!.Constraints = [{ LTarget: '${meta.rack}', RTarget: '2', Operand: 'distinct_property' }]
    })
    await h.process(service, evalFor(job))
    const perRack = new Map<string, number>()
    for (const a of placed(h)) {
      const rack = h.state.nodeByID(a.NodeID)!.Meta!.rack!
      perRack.set(rack, (perRack.get(rack) ?? 0) + 1)
    }
    expect([...perRack.values()].sort()).toEqual([2, 2, 2])
  })

  it('rejects an unknown trigger by failing the eval', async () => {
    const { h } = harnessWithNodes(1)
    const job = registerJob(h)
    await h.process(service, evalFor(job, 'because'))
    expect(h.plans).toHaveLength(0)
    expect(h.evals[0]!.Status).toBe('failed')
    expect(h.evals[0]!.StatusDescription).toContain("cannot handle 'because'")
  })
})

describe('service scheduler: changes to a running job', () => {
  async function running(count = 10, change: (j: Job) => void = () => {}): Promise<{ h: Harness; job: Job }> {
    const { h } = harnessWithNodes(10)
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = count; change(j) })
    await h.process(service, evalFor(job))
    return { h, job }
  }

  it('stops the highest indexes when the count drops', async () => {
    const { h, job } = await running(10)
    const smaller = h.state.upsertJob({ ...job, TaskGroups: [{ ...job.TaskGroups![0]!, Count: 7 }] })
    await h.process(service, evalFor(smaller))
    const stops = stoppedIn(h)
    expect(stops.map((a) => a.Name).sort()).toEqual([8, 9, 7].map((i) => `${job.ID}.web[${i}]`).sort())
    for (const s of stops) expect(s.DesiredDescription).toBe(allocNotNeeded)
    expect(liveAllocs(h, job)).toHaveLength(7)
  })

  it('stops everything when the job is stopped', async () => {
    const { h, job } = await running(4)
    const stopped = h.state.upsertJob({ ...job, Stop: true })
    await h.process(service, evalFor(stopped, 'job-deregister'))
    expect(stoppedIn(h)).toHaveLength(4)
    expect(liveAllocs(h, job)).toHaveLength(0)
  })

  it('updates in place when only non-destructive fields change', async () => {
    const { h, job } = await running(3)
    const tg = job.TaskGroups![0]!
    const next = h.state.upsertJob({ ...job, TaskGroups: [{ ...tg, Services: [{ Name: 'web', PortLabel: 'http', AddressMode: 'auto', EnableTagOverride: false, Tags: ['v2'] }] }] })
    await h.process(service, evalFor(next))
    const allocs = placed(h)
    expect(allocs).toHaveLength(3)
    expect(stoppedIn(h)).toHaveLength(0)
    for (const a of allocs) expect(a.Job?.Version ?? h.plans.at(-1)!.Job!.Version).toBe(next.Version)
  })

  it('rolls a destructive update max_parallel at a time under a new deployment', async () => {
    const { h, job } = await running(6, (j) => { j.TaskGroups![0]!.Update = updateStrategy(2) })
    const tg = job.TaskGroups![0]!
    const next = h.state.upsertJob({ ...job, TaskGroups: [{ ...tg, Tasks: [{ ...tg.Tasks![0]!, Config: { command: '/bin/other' } }] }] })
    await h.process(service, evalFor(next))
    const plan = h.plans.at(-1)!
    expect(stoppedIn(h)).toHaveLength(2)
    for (const s of stoppedIn(h)) expect(s.DesiredDescription).toBe(allocUpdating)
    const replacements = placed(h)
    expect(replacements).toHaveLength(2)
    expect(new Set(replacements.map((a) => a.PreviousAllocation))).toEqual(new Set(stoppedIn(h).map((a) => a.ID)))
    expect(plan.Deployment).toBeTruthy()
    expect(plan.Deployment!.JobVersion).toBe(next.Version)
    for (const a of replacements) expect(a.DeploymentID).toBe(plan.Deployment!.ID)
  })

  it('places canaries first and holds the destructive update until promotion', async () => {
    const { h, job } = await running(4, (j) => { j.TaskGroups![0]!.Update = updateStrategy(2, 1) })
    const tg = job.TaskGroups![0]!
    const next = h.state.upsertJob({ ...job, TaskGroups: [{ ...tg, Tasks: [{ ...tg.Tasks![0]!, Config: { command: '/bin/v2' } }] }] })
    await h.process(service, evalFor(next))
    const allocs = placed(h)
    expect(allocs).toHaveLength(1)
    expect(allocs[0]!.DeploymentStatus?.Canary).toBe(true)
    expect(stoppedIn(h)).toHaveLength(0)
    expect(h.plans.at(-1)!.Deployment!.TaskGroups!.web!.PlacedCanaries).toEqual([allocs[0]!.ID])
    expect(h.plans.at(-1)!.Deployment!.TaskGroups!.web!.DesiredCanaries).toBe(1)
  })

  it('replaces allocations on a node that went down, marking them lost', async () => {
    const { h, job } = await running(10)
    const victim = liveAllocs(h, job)[0]!
    const node = h.state.nodeByID(victim.NodeID)!
    h.state.upsertNode({ ...node, Status: 'down' })
    await h.process(service, evalFor(job, 'node-update'))
    const lost = stoppedIn(h)
    expect(lost.length).toBeGreaterThanOrEqual(1)
    for (const a of lost) {
      expect(a.NodeID).toBe(node.ID)
      expect(a.DesiredDescription).toBe(allocLost)
      expect(a.ClientStatus).toBe('lost')
    }
    const replacements = placed(h)
    expect(replacements).toHaveLength(lost.length)
    for (const a of replacements) expect(a.NodeID).not.toBe(node.ID)
    expect(new Set(replacements.map((a) => a.Name))).toEqual(new Set(lost.map((a) => a.Name)))
  })

  it('migrates allocations off a draining node one at a time', async () => {
    const { h, job } = await running(4, (j) => { j.TaskGroups![0]!.Count = 4 })
    const allocs = liveAllocs(h, job)
    const nodeID = allocs[0]!.NodeID
    const onNode = allocs.filter((a) => a.NodeID === nodeID)
    h.state.upsertNode({ ...h.state.nodeByID(nodeID)!, Drain: true, SchedulingEligibility: 'ineligible' })
    h.state.upsertAllocs(onNode.map((a) => ({ ...a, DesiredTransition: { Migrate: true } })))
    await h.process(service, evalFor(job, 'node-drain'))
    expect(stoppedIn(h)).toHaveLength(1)
    expect(placed(h)).toHaveLength(1)
    expect(placed(h)[0]!.NodeID).not.toBe(nodeID)
  })

  it('reschedules a failed allocation now, away from its node, and a later one by a follow-up eval', async () => {
    const { h, job } = await running(2)
    const [first, second] = liveAllocs(h, job)
    const now = Date.now() * 1e6
    const finished = new Date(Date.now() - 60_000)
    const state = { State: 'dead', Failed: true, Restarts: 0, LastRestart: new Date(0), StartedAt: new Date(0), FinishedAt: finished }
    h.state.upsertAllocs([{ ...first!, ClientStatus: 'failed', TaskStates: { web: state } }])
    await h.process(service, evalFor(job, 'alloc-failure'))
    const replacement = placed(h)
    expect(replacement).toHaveLength(1)
    expect(replacement[0]!.PreviousAllocation).toBe(first!.ID)
    expect(replacement[0]!.NodeID).not.toBe(first!.NodeID) // the rescheduling penalty
    expect(replacement[0]!.RescheduleTracker!.Events).toHaveLength(1)
    expect(h.state.allocByID(first!.ID)!.NextAllocation).toBe(replacement[0]!.ID)

    // Failing just now with a 5 s delay: not yet; a follow-up eval waits for it.
    const justNow = new Date(Date.now())
    h.state.upsertAllocs([{ ...second!, ClientStatus: 'failed', TaskStates: { web: { ...state, FinishedAt: justNow } } }])
    const plansBefore = h.plans.length
    await h.process(service, evalFor(job, 'alloc-failure'))
    const followups = h.createEvals.filter((e) => e.TriggeredBy === 'failed-follow-up')
    expect(followups).toHaveLength(1)
    expect(followups[0]!.WaitUntil.getTime()).toBeGreaterThan(Date.now())
    expect(h.plans.length).toBe(plansBefore + 1)
    expect(placed(h)).toHaveLength(1) // the attribute update carrying FollowupEvalID
    expect(placed(h)[0]!.FollowupEvalID).toBe(followups[0]!.ID)
    void now
  })
})

describe('retries', () => {
  it('gives up after 5 attempts without progress, leaving a blocked eval for plan conflicts', async () => {
    const { h: base } = harnessWithNodes(3)
    // A planner whose every plan is refused, as if other schedulers always won the race.
    const h = new Harness({ store: base.state, evaluate: () => ({ NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {}, Deployment: null, DeploymentUpdates: null, RefreshIndex: 1, AllocIndex: 0 }) })
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 2 })
    await h.process(service, evalFor(job))
    expect(h.plans).toHaveLength(5)
    expect(h.evals.at(-1)!.Status).toBe('failed')
    expect(h.evals.at(-1)!.StatusDescription).toContain('maximum attempts')
    expect(h.createEvals.some((e) => e.TriggeredBy === 'max-plan-attempts' || e.Status === 'blocked')).toBe(true)
  })

  it('gives a batch job 2 attempts', async () => {
    const { h: base } = harnessWithNodes(3)
    const h = new Harness({ store: base.state, evaluate: () => ({ NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {}, Deployment: null, DeploymentUpdates: null, RefreshIndex: 1, AllocIndex: 0 }) })
    const job = registerJob(h, (j) => { j.Type = 'batch'; j.TaskGroups![0]!.Count = 2 })
    await h.process(batch, evalFor(job))
    expect(h.plans).toHaveLength(2)
    expect(h.evals.at(-1)!.Status).toBe('failed')
  })
})

describe('batch scheduler', () => {
  it('does not replace allocations that completed', async () => {
    const { h } = harnessWithNodes(4)
    const job = registerJob(h, (j) => { j.Type = 'batch'; j.TaskGroups![0]!.Count = 4 })
    await h.process(batch, evalFor(job))
    const allocs = liveAllocs(h, job)
    h.state.upsertAllocs(allocs.slice(0, 2).map((a) => ({ ...a, ClientStatus: 'complete' })))
    const before = h.plans.length
    await h.process(batch, evalFor(job, 'node-update'))
    expect(h.plans.length).toBe(before) // nothing to do
    expect(h.evals.at(-1)!.Status).toBe('complete')
  })

  it('looks at ⌈log2 n⌉ nodes per service placement and at every node with an affinity', async () => {
    const { h } = harnessWithNodes(64)
    const job = registerJob(h, (j) => { j.TaskGroups![0]!.Count = 1 })
    await h.process(service, evalFor(job))
    expect(placed(h)[0]!.Metrics!.NodesEvaluated).toBe(6)
  })

  it('evaluates at most two feasible nodes per placement (the batch limit)', async () => {
    const { h } = harnessWithNodes(50)
    const job = registerJob(h, (j) => { j.Type = 'batch'; j.TaskGroups![0]!.Count = 1 })
    await h.process(batch, evalFor(job))
    expect(placed(h)[0]!.Metrics!.NodesEvaluated).toBe(2)
  })
})
