// A deterministic simulation of many schedulers racing plans through one applier: schedulers
// plan against stale snapshots on purpose, so their plans conflict; the applier must never let
// the committed state over-subscribe a node.
import { SeededRandom, SimClock, pick } from '@nomadic/runtime'
import type { Allocation, Node, Plan, PlanResult } from '@nomadic/structs'
import { allocTerminal, mockNode } from '@nomadic/structs'
import { PlanApplier, PlanQueue, type PlanSnapshot } from '../src/index.js'
import { allocOn } from './fixtures.js'

export interface SimulationReport {
  seed: number
  plans: number
  answered: number
  committedPlacements: number
  refreshes: number
  violations: string[]
}

class CommittedState {
  index = 1
  allocsIndex = 1
  nodesIndex = 1
  readonly nodes = new Map<string, Node>()
  readonly allocs = new Map<string, Allocation>()

  snapshot(): PlanSnapshot {
    const nodes = new Map([...this.nodes].map(([id, n]) => [id, { ...n }]))
    const allocs = [...this.allocs.values()].map((a) => ({ ...a }))
    const byNode = new Map<string, Allocation[]>()
    for (const a of allocs) {
      let list = byNode.get(a.NodeID)
      if (list === undefined) byNode.set(a.NodeID, (list = []))
      list.push(a)
    }
    const byID = new Map(allocs.map((a) => [a.ID, a]))
    const allocsIndex = this.allocsIndex
    const nodesIndex = this.nodesIndex
    return {
      latestIndex: (t) => (t === 'allocs' ? allocsIndex : nodesIndex),
      nodeByID: (id) => nodes.get(id),
      allocsByNode: (id) => byNode.get(id) ?? [],
      allocByID: (id) => byID.get(id),
    }
  }

  commit(result: PlanResult): number {
    const index = ++this.index
    for (const allocs of Object.values(result.NodeUpdate ?? {})) {
      for (const a of allocs) this.change(a.ID, { DesiredStatus: 'stop' })
    }
    for (const allocs of Object.values(result.NodePreemptions ?? {})) {
      for (const a of allocs) this.change(a.ID, { DesiredStatus: 'evict' })
    }
    for (const allocs of Object.values(result.NodeAllocation ?? {})) {
      for (const a of allocs) this.allocs.set(a.ID, { ...a, CreateIndex: index, ModifyIndex: index })
    }
    this.allocsIndex = index
    return index
  }

  change(id: string, fields: Partial<Allocation>): void {
    const stored = this.allocs.get(id)
    if (stored !== undefined) this.allocs.set(id, { ...stored, ...fields })
  }

  /** Independent of allocsFit: plain sums of cpu and memory per node. */
  oversubscribed(): string[] {
    const out: string[] = []
    for (const node of this.nodes.values()) {
      let cpu = 0
      let mem = 0
      for (const a of this.allocs.values()) {
        if (a.NodeID !== node.ID || allocTerminal(a)) continue
        const task = a.AllocatedResources!.Tasks!.web!
        cpu += task.Cpu.CpuShares
        mem += task.Memory.MemoryMB
      }
      const cpuCap = node.NodeResources!.Cpu!.CpuShares - node.ReservedResources!.Cpu!.CpuShares
      const memCap = node.NodeResources!.Memory!.MemoryMB - node.ReservedResources!.Memory!.MemoryMB
      if (cpu > cpuCap || mem > memCap) out.push(`node ${node.ID} uses cpu ${cpu}/${cpuCap} mem ${mem}/${memCap}`)
    }
    return out
  }
}

/** Runs one seed; deterministic for a given seed. */
export async function simulate(seed: number, options: { schedulers?: number; plans?: number; nodes?: number } = {}): Promise<SimulationReport> {
  const random = new SeededRandom(seed)
  const clock = new SimClock()
  const state = new CommittedState()
  for (let i = 0; i < (options.nodes ?? 6); i++) {
    const node = mockNode()
    state.nodes.set(node.ID, node)
  }
  const nodeIDs = [...state.nodes.keys()]
  const queue = new PlanQueue({ clock })
  queue.setEnabled(true)
  const report: SimulationReport = { seed, plans: 0, answered: 0, committedPlacements: 0, refreshes: 0, violations: [] }

  const applier = new PlanApplier({
    queue,
    clock,
    concurrency: 1 + random.int(3),
    snapshot: async () => state.snapshot(),
    apply: async (_plan, result) => {
      await clock.sleep(1 + random.int(30))
      if (random.next() < 0.03) throw new Error('simulated raft apply failure')
      const index = state.commit(result)
      report.committedPlacements += Object.values(result.NodeAllocation ?? {}).reduce((n, l) => n + l.length, 0)
      for (const v of state.oversubscribed()) report.violations.push(`after commit ${index}: ${v}`)
      return index
    },
  })
  applier.start()

  const totalPlans = options.plans ?? 60
  let submitted = 0
  const scheduler = async (): Promise<void> => {
    while (submitted < totalPlans) {
      submitted++
      // Plan against a snapshot that may be stale by the time the plan is evaluated.
      const snap = state.snapshot()
      await clock.sleep(random.int(40))
      const plan: Plan = {
        EvalID: `eval-${submitted}`, EvalToken: '', Priority: 1 + random.int(100), AllAtOnce: random.next() < 0.2,
        SnapshotIndex: snap.latestIndex('allocs'), NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {},
      }
      for (let k = 1 + random.int(3); k > 0; k--) {
        const nodeID = pick(random, nodeIDs)!
        const node = state.nodes.get(nodeID)!
        const placements = plan.NodeAllocation![nodeID] ?? (plan.NodeAllocation![nodeID] = [])
        for (let j = 1 + random.int(3); j > 0; j--) placements.push(allocOn(node, 200 + random.int(1200), 128 + random.int(2048)))
        const live = snap.allocsByNode(nodeID).filter((a) => !allocTerminal(a))
        if (live.length > 0 && random.next() < 0.4) {
          const victim = pick(random, live)!
          const list = random.next() < 0.5 ? plan.NodeUpdate! : plan.NodePreemptions!
          ;(list[nodeID] ??= []).push({ ID: victim.ID } as Allocation)
        }
      }
      report.plans++
      try {
        const result = await queue.enqueue(plan)
        report.answered++
        if (result.RefreshIndex !== 0) report.refreshes++
      } catch {
        report.answered++
      }
      // Clients finish some work now and then, freeing capacity; nodes change status.
      if (random.next() < 0.3) {
        const done = pick(random, [...state.allocs.values()].filter((a) => !allocTerminal(a)))
        if (done !== undefined) state.change(done.ID, { ClientStatus: 'complete' })
        state.allocsIndex = ++state.index
      }
      if (random.next() < 0.1) {
        const node = state.nodes.get(pick(random, nodeIDs)!)!
        node.Status = random.next() < 0.5 ? 'down' : 'ready'
        state.nodesIndex = ++state.index
      }
    }
  }

  const schedulers = Array.from({ length: options.schedulers ?? 4 }, () => scheduler())
  let finished = false
  void Promise.all(schedulers).then(() => { finished = true })
  for (let step = 0; step < 100_000 && !finished; step++) {
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (!(await clock.stepAsync())) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await applier.stop()
  queue.setEnabled(false)
  if (!finished) report.violations.push('schedulers did not finish: a plan was never answered')
  if (report.answered !== report.plans) report.violations.push(`${report.plans} plans submitted, ${report.answered} answered`)
  return report
}
