import type { Allocation, Deployment, Job, Node, Plan, PlanResult } from '@nomadic/structs'
import { allocTerminal, AllocDesiredStatusEvict } from '@nomadic/structs'
import type { SchedulerConfiguration, State } from '../interfaces.js'

const key = (namespace: string, id: string): string => `${namespace}\u0000${id}`

/**
 * A plain in-memory store that implements the scheduler's {@link State} and applies plans the way
 * the state store does, indexed for the lookups schedulers make (by node, by job).
 */
export class InmemState implements State {
  private readonly nodeMap = new Map<string, Node>()
  private readonly jobMap = new Map<string, Job>()
  private readonly jobVersions = new Map<string, Map<number, Job>>()
  private readonly allocMap = new Map<string, Allocation>()
  private readonly byNode = new Map<string, Map<string, Allocation>>()
  private readonly byJob = new Map<string, Map<string, Allocation>>()
  private readonly deploymentMap = new Map<string, Deployment>()
  private readonly nodeVersions = new Map<string, number>()
  private writes = 0
  config: SchedulerConfiguration | undefined
  index = 0

  nodes(): Iterable<Node> {
    return this.nodeMap.values()
  }

  nodeByID(id: string): Node | undefined {
    return this.nodeMap.get(id)
  }

  allocsByJob(namespace: string, jobID: string, anyCreateIndex: boolean): Allocation[] {
    const all = [...(this.byJob.get(key(namespace, jobID))?.values() ?? [])]
    if (anyCreateIndex) return all
    const job = this.jobMap.get(key(namespace, jobID))
    return job === undefined ? all : all.filter((a) => a.Job == null || a.Job.CreateIndex === job.CreateIndex)
  }

  allocsByNode(nodeID: string): Allocation[] {
    return [...(this.byNode.get(nodeID)?.values() ?? [])]
  }

  allocsByNodeTerminal(nodeID: string, terminal: boolean): Allocation[] {
    const out: Allocation[] = []
    for (const a of this.byNode.get(nodeID)?.values() ?? []) if (allocTerminal(a) === terminal) out.push(a)
    return out
  }

  nodeAllocsVersion(nodeID: string): number {
    return this.nodeVersions.get(nodeID) ?? 0
  }

  allocByID(id: string): Allocation | undefined {
    return this.allocMap.get(id)
  }

  allocs(): Iterable<Allocation> {
    return this.allocMap.values()
  }

  jobByID(namespace: string, id: string): Job | undefined {
    return this.jobMap.get(key(namespace, id))
  }

  jobByIDAndVersion(namespace: string, id: string, version: number): Job | undefined {
    return this.jobVersions.get(key(namespace, id))?.get(version)
  }

  deploymentsByJobID(namespace: string, jobID: string, _all: boolean): Deployment[] {
    return [...this.deploymentMap.values()].filter((d) => d.Namespace === namespace && d.JobID === jobID)
  }

  latestDeploymentByJobID(namespace: string, jobID: string): Deployment | undefined {
    let latest: Deployment | undefined
    for (const d of this.deploymentsByJobID(namespace, jobID, true)) if (latest === undefined || d.CreateIndex > latest.CreateIndex) latest = d
    return latest
  }

  deploymentByID(id: string): Deployment | undefined {
    return this.deploymentMap.get(id)
  }

  schedulerConfig(): SchedulerConfiguration | undefined {
    return this.config
  }

  /** A copy that later writes to this store do not change (objects are shared, never mutated). */
  clone(): InmemState {
    const c = new InmemState()
    const copyNested = <V>(from: Map<string, Map<string, V>>, to: Map<string, Map<string, V>>): void => {
      for (const [k, m] of from) to.set(k, new Map(m))
    }
    for (const [k, v] of this.nodeMap) c.nodeMap.set(k, v)
    for (const [k, v] of this.jobMap) c.jobMap.set(k, v)
    for (const [k, m] of this.jobVersions) c.jobVersions.set(k, new Map(m))
    for (const [k, v] of this.allocMap) c.allocMap.set(k, v)
    copyNested(this.byNode, c.byNode)
    copyNested(this.byJob, c.byJob)
    for (const [k, v] of this.deploymentMap) c.deploymentMap.set(k, v)
    for (const [k, v] of this.nodeVersions) c.nodeVersions.set(k, v)
    c.writes = this.writes
    c.config = this.config
    c.index = this.index
    return c
  }

  /** This store as the scheduler's state (it is not copied: do not write while one runs). */
  snapshot(): State {
    return this
  }

  // ---- writes ----

  nextIndex(): number {
    return ++this.index
  }

  upsertNode(node: Node): void {
    const index = this.nextIndex()
    const stored = this.nodeMap.get(node.ID)
    this.nodeMap.set(node.ID, { ...node, CreateIndex: stored?.CreateIndex ?? index, ModifyIndex: index })
  }

  upsertJob(job: Job): Job {
    const index = this.nextIndex()
    const k = key(job.Namespace, job.ID)
    const stored = this.jobMap.get(k)
    const version = stored === undefined ? 0 : stored.Version + 1
    const next: Job = { ...job, Version: version, CreateIndex: stored?.CreateIndex ?? index, ModifyIndex: index, JobModifyIndex: index }
    this.jobMap.set(k, next)
    let versions = this.jobVersions.get(k)
    if (versions === undefined) this.jobVersions.set(k, (versions = new Map()))
    versions.set(version, next)
    return next
  }

  upsertAllocs(allocs: readonly Allocation[]): void {
    const index = this.nextIndex()
    for (const a of allocs) this.putAlloc({ ...a, CreateIndex: this.allocMap.get(a.ID)?.CreateIndex ?? index, ModifyIndex: index })
  }

  upsertDeployment(d: Deployment): void {
    const index = this.nextIndex()
    this.deploymentMap.set(d.ID, { ...d, CreateIndex: this.deploymentMap.get(d.ID)?.CreateIndex ?? index, ModifyIndex: index })
  }

  /** Applies a plan result as the state store's `UpsertPlanResults` does. */
  applyPlanResult(index: number, plan: Plan, result: PlanResult): void {
    this.index = Math.max(this.index, index)
    const merge = (diff: Allocation, fields: Partial<Allocation>): void => {
      const stored = this.allocMap.get(diff.ID)
      if (stored === undefined) return
      this.putAlloc({ ...stored, ...diff, ...fields, Job: stored.Job, AllocatedResources: stored.AllocatedResources, ModifyIndex: index })
    }
    for (const list of Object.values(result.NodeUpdate ?? {})) for (const a of list) merge(a, {})
    for (const list of Object.values(result.NodePreemptions ?? {})) for (const a of list) merge(a, { DesiredStatus: AllocDesiredStatusEvict })
    for (const list of Object.values(result.NodeAllocation ?? {})) {
      for (const a of list) {
        const stored = this.allocMap.get(a.ID)
        this.putAlloc({ ...a, Job: a.Job ?? plan.Job ?? null, CreateIndex: stored?.CreateIndex ?? index, ModifyIndex: index, AllocModifyIndex: index })
        if (a.PreviousAllocation !== '') {
          const prev = this.allocMap.get(a.PreviousAllocation)
          if (prev !== undefined && prev.NextAllocation !== a.ID) this.putAlloc({ ...prev, NextAllocation: a.ID, ModifyIndex: index })
        }
      }
    }
    if (result.Deployment != null) this.deploymentMap.set(result.Deployment.ID, { ...result.Deployment, CreateIndex: this.deploymentMap.get(result.Deployment.ID)?.CreateIndex ?? index, ModifyIndex: index })
    for (const u of result.DeploymentUpdates ?? []) {
      const d = this.deploymentMap.get(u.DeploymentID)
      if (d !== undefined) this.deploymentMap.set(d.ID, { ...d, Status: u.Status, StatusDescription: u.StatusDescription, ModifyIndex: index })
    }
  }

  private putAlloc(a: Allocation): void {
    const before = this.allocMap.get(a.ID)
    if (before !== undefined && before.NodeID !== a.NodeID) {
      this.byNode.get(before.NodeID)?.delete(a.ID)
      this.nodeVersions.set(before.NodeID, ++this.writes)
    }
    this.nodeVersions.set(a.NodeID, ++this.writes)
    this.allocMap.set(a.ID, a)
    let node = this.byNode.get(a.NodeID)
    if (node === undefined) this.byNode.set(a.NodeID, (node = new Map()))
    node.set(a.ID, a)
    const k = key(a.Namespace, a.JobID)
    let job = this.byJob.get(k)
    if (job === undefined) this.byJob.set(k, (job = new Map()))
    job.set(a.ID, a)
  }
}
