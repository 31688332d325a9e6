import type { Allocation, Deployment, Evaluation, Job, Node, Plan, PlanResult } from '@nomadic/structs'

/** The cluster-wide scheduler settings (Nomad's `SchedulerConfiguration`). */
export interface SchedulerConfiguration {
  /** `binpack` (default) or `spread`. */
  SchedulerAlgorithm?: string
  PreemptionConfig?: {
    SystemSchedulerEnabled?: boolean
    BatchSchedulerEnabled?: boolean
    ServiceSchedulerEnabled?: boolean
  } | null
}

/**
 * What a scheduler reads: an immutable snapshot of the state (Nomad's `scheduler.State`). The
 * state store's snapshots implement it; so does the test {@link Harness}'s store.
 * Returned objects must not be mutated.
 */
export interface State {
  /** Every node, in a stable order. */
  nodes(): Iterable<Node>
  nodeByID(id: string): Node | undefined
  /** Allocations of a job; with `anyCreateIndex` false only those of the job's current incarnation. */
  allocsByJob(namespace: string, jobID: string, anyCreateIndex: boolean): Allocation[]
  allocsByNode(nodeID: string): Allocation[]
  /** Allocations on a node that are (or are not) terminal. */
  allocsByNodeTerminal(nodeID: string, terminal: boolean): Allocation[]
  allocByID(id: string): Allocation | undefined
  jobByID(namespace: string, id: string): Job | undefined
  jobByIDAndVersion(namespace: string, id: string, version: number): Job | undefined
  deploymentsByJobID(namespace: string, jobID: string, all: boolean): Deployment[]
  latestDeploymentByJobID(namespace: string, jobID: string): Deployment | undefined
  schedulerConfig(): SchedulerConfiguration | undefined
  /**
   * Optional: a number that changes whenever the allocations on the node change (the highest
   * index that wrote one, say). With it, schedulers reuse per-node work across evaluations.
   */
  nodeAllocsVersion?(nodeID: string): number
}

/** What the planner answers a submitted plan with. */
export interface SubmitResult {
  result: PlanResult
  /** A newer state to schedule against when the plan did not fully commit (RefreshIndex). */
  newState?: State
}

/**
 * What a scheduler writes through (Nomad's `scheduler.Planner`): the worker in a server, the
 * {@link Harness} in tests.
 */
export interface Planner {
  submitPlan(plan: Plan): Promise<SubmitResult>
  updateEval(ev: Evaluation): Promise<void>
  createEval(ev: Evaluation): Promise<void>
  reblockEval(ev: Evaluation): Promise<void>
}

/** A scheduler processes one evaluation at a time. */
export interface Scheduler {
  process(ev: Evaluation): Promise<void>
}
