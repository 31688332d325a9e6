import type { Allocation, ApplyPlanResultsRequest, Plan, PlanResult } from '@nomadic/structs'

/** What the leader's plan applier writes to Raft for a result (plan_apply.go applyPlan). */
export function applyRequest(plan: Plan, result: PlanResult): ApplyPlanResultsRequest {
  const flat = (m: Record<string, Allocation[]> | null | undefined): Allocation[] => Object.values(m ?? {}).flat()
  return {
    EvalID: plan.EvalID,
    Job: plan.Job ?? null,
    AllocsUpdated: flat(result.NodeAllocation),
    AllocsStopped: flat(result.NodeUpdate).map((a) => ({ ID: a.ID, DesiredDescription: a.DesiredDescription, ClientStatus: a.ClientStatus, ModifyTime: a.ModifyTime })),
    AllocsPreempted: flat(result.NodePreemptions).map((a) => ({ ID: a.ID, PreemptedByAllocation: a.PreemptedByAllocation, ModifyTime: a.ModifyTime })),
    Deployment: result.Deployment ?? null,
    DeploymentUpdates: result.DeploymentUpdates ?? null,
  }
}

