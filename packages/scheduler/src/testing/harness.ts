import type { Evaluation, Plan, PlanResult } from '@nomadic/structs'
import type { Planner, Scheduler, State, SubmitResult } from '../interfaces.js'
import { InmemState } from './inmem-state.js'

/** A store the harness applies plans to: the in-memory one by default, the real state store too. */
export interface HarnessStore {
  /** The state schedulers read now. */
  snapshot(): State
  /** The index of the next write. */
  nextIndex(): number
  /** Commits what the plan applier let through. */
  applyPlanResult(index: number, plan: Plan, result: PlanResult): void
}

/** Options of a {@link Harness}. */
export interface HarnessOptions {
  store?: HarnessStore
  /**
   * Decides what of a plan commits (the real plan applier's evaluation, or a test's rejection);
   * by default everything does, as in Nomad's harness.
   */
  evaluate?(state: State, plan: Plan): Promise<PlanResult> | PlanResult
}

/**
 * Nomad's scheduler testing harness: a {@link Planner} that records every plan and eval the
 * scheduler produces and applies plans to a store, so a test can run a scheduler and look at
 * what it did.
 */
export class Harness implements Planner {
  readonly store: HarnessStore
  readonly plans: Plan[] = []
  readonly results: PlanResult[] = []
  readonly evals: Evaluation[] = []
  readonly createEvals: Evaluation[] = []
  readonly reblockEvals: Evaluation[] = []
  private readonly evaluate: HarnessOptions['evaluate']

  constructor(options: HarnessOptions = {}) {
    this.store = options.store ?? new InmemState()
    this.evaluate = options.evaluate
  }

  /** The in-memory store (when the harness uses it). */
  get state(): InmemState {
    if (!(this.store instanceof InmemState)) throw new Error('this harness runs on another store')
    return this.store
  }

  async submitPlan(plan: Plan): Promise<SubmitResult> {
    this.plans.push(plan)
    const snapshot = this.store.snapshot()
    const result: PlanResult = this.evaluate !== undefined
      ? await this.evaluate(snapshot, plan)
      : {
          NodeUpdate: plan.NodeUpdate ?? {},
          NodeAllocation: plan.NodeAllocation ?? {},
          NodePreemptions: plan.NodePreemptions ?? {},
          Deployment: plan.Deployment ?? null,
          DeploymentUpdates: plan.DeploymentUpdates ?? null,
          RefreshIndex: 0,
          AllocIndex: 0,
        }
    const index = this.store.nextIndex()
    this.store.applyPlanResult(index, plan, result)
    result.AllocIndex = index
    this.results.push(result)
    if (result.RefreshIndex !== 0) {
      result.RefreshIndex = Math.max(result.RefreshIndex, index)
      return { result, newState: this.store.snapshot() }
    }
    return { result }
  }

  async updateEval(ev: Evaluation): Promise<void> {
    this.evals.push(ev)
  }

  async createEval(ev: Evaluation): Promise<void> {
    this.createEvals.push(ev)
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    this.reblockEvals.push(ev)
  }

  /** Runs a scheduler made by `factory` on the current state for one eval. */
  async process(factory: (state: State, planner: Planner) => Scheduler, ev: Evaluation): Promise<void> {
    await factory(this.store.snapshot(), this).process(ev)
  }
}
