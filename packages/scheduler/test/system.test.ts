import { describe, expect, it } from 'vitest'
import { allocTerminal } from '@nomadic/structs'
import { mockNode, computeNodeClass } from '@nomadic/structs'
import { allocLost } from '../src/index.js'
import { evalFor, harnessWithNodes, placed, registerJob, stoppedIn, system } from './helpers.js'

describe('system scheduler', () => {
  it('places one allocation on every feasible node and skips the infeasible ones', async () => {
    const { h, nodes } = harnessWithNodes(6, (n, i) => { if (i === 5) n.Attributes!['kernel.name'] = 'darwin' })
    const job = registerJob(h, (j) => { j.Type = 'system' })
    await h.process(system, evalFor(job))
    const allocs = placed(h)
    expect(allocs).toHaveLength(5)
    expect(new Set(allocs.map((a) => a.NodeID))).toEqual(new Set(nodes.slice(0, 5).map((n) => n.ID)))
    for (const a of allocs) expect(a.Name).toBe(`${job.ID}.web[0]`)
    expect(h.evals.at(-1)!.Status).toBe('complete')
    expect(h.evals.at(-1)!.FailedTGAllocs).toBeNull()
  })

  it('follows new nodes, stops on nodes that go down, and stops everything with the job', async () => {
    const { h } = harnessWithNodes(3)
    const job = registerJob(h, (j) => { j.Type = 'system' })
    await h.process(system, evalFor(job))
    const fresh = mockNode()
    fresh.ComputedClass = computeNodeClass(fresh)
    h.state.upsertNode(fresh)
    await h.process(system, evalFor(job, 'node-update'))
    expect(placed(h).map((a) => a.NodeID)).toEqual([fresh.ID])

    const down = h.state.nodeByID([...h.state.nodes()][0]!.ID)!
    h.state.upsertNode({ ...down, Status: 'down' })
    await h.process(system, evalFor(job, 'node-update'))
    expect(stoppedIn(h).map((a) => [a.NodeID, a.DesiredDescription, a.ClientStatus])).toEqual([[down.ID, allocLost, 'lost']])
    expect(placed(h)).toHaveLength(0)

    h.state.upsertJob({ ...h.state.jobByID(job.Namespace, job.ID)!, Stop: true })
    await h.process(system, evalFor(job, 'job-deregister'))
    const live = h.state.allocsByJob(job.Namespace, job.ID, true).filter((a) => !allocTerminal(a))
    expect(live).toHaveLength(0)
  })

  it('counts nodes short of resources as failed placements', async () => {
    const { h } = harnessWithNodes(2)
    const job = registerJob(h, (j) => {
      j.Type = 'system'
      j.TaskGroups![0]!.Tasks![0]!.Resources!.CPU = 10_000
    })
    await h.process(system, evalFor(job))
    expect(h.plans).toHaveLength(0)
    const ev = h.evals.at(-1)!
    expect(ev.QueuedAllocations).toEqual({ web: 2 })
    expect(ev.FailedTGAllocs!.web!.DimensionExhausted!.cpu).toBe(1)
    expect(ev.FailedTGAllocs!.web!.CoalescedFailures).toBe(1)
  })

  it('updates destructively at most max_parallel nodes at a time', async () => {
    const { h } = harnessWithNodes(5)
    const job = registerJob(h, (j) => { j.Type = 'system'; j.Update = { ...j.Update, MaxParallel: 2 } })
    await h.process(system, evalFor(job))
    const tg = job.TaskGroups![0]!
    const next = h.state.upsertJob({ ...h.state.jobByID(job.Namespace, job.ID)!, TaskGroups: [{ ...tg, Tasks: [{ ...tg.Tasks![0]!, Env: { FOO: 'baz' } }] }] })
    await h.process(system, evalFor(next))
    expect(stoppedIn(h)).toHaveLength(2)
    expect(placed(h)).toHaveLength(2)
    for (const a of placed(h)) expect(stoppedIn(h).map((s) => s.NodeID)).toContain(a.NodeID)
  })
})
