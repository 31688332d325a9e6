import type { Allocation } from './types/allocation.js'
import type { Deployment } from './types/deployment.js'
import type { Evaluation } from './types/evaluation.js'
import type { Job } from './types/job.js'
import type { Node } from './types/node.js'
import {
  AllocClientStatusComplete,
  AllocClientStatusFailed,
  AllocClientStatusLost,
  AllocDesiredStatusEvict,
  AllocDesiredStatusStop,
  DeploymentStatusBlocked,
  DeploymentStatusPaused,
  DeploymentStatusPending,
  DeploymentStatusRunning,
  DeploymentStatusUnblocking,
  EvalStatusBlocked,
  EvalStatusCancelled,
  EvalStatusComplete,
  EvalStatusFailed,
  EvalStatusPending,
  NodeSchedulingEligible,
  NodeStatusDown,
  NodeStatusReady,
} from './types/constants.js'

/** The server wants the allocation stopped (desired status `stop` or `evict`). */
export function allocServerTerminal(alloc: Pick<Allocation, 'DesiredStatus'>): boolean {
  return alloc.DesiredStatus === AllocDesiredStatusStop || alloc.DesiredStatus === AllocDesiredStatusEvict
}

/** The client reports the allocation finished (`complete`, `failed` or `lost`). */
export function allocClientTerminal(alloc: Pick<Allocation, 'ClientStatus'>): boolean {
  return (
    alloc.ClientStatus === AllocClientStatusComplete ||
    alloc.ClientStatus === AllocClientStatusFailed ||
    alloc.ClientStatus === AllocClientStatusLost
  )
}

/** Nomad's `Allocation.TerminalStatus`: terminal on the server's side or on the client's. */
export function allocTerminal(alloc: Pick<Allocation, 'DesiredStatus' | 'ClientStatus'>): boolean {
  return allocServerTerminal(alloc) || allocClientTerminal(alloc)
}

/** Nomad's `Evaluation.TerminalStatus`: `complete`, `failed` or `canceled`. */
export function evalTerminal(ev: Pick<Evaluation, 'Status'>): boolean {
  return ev.Status === EvalStatusComplete || ev.Status === EvalStatusFailed || ev.Status === EvalStatusCancelled
}

/** The broker takes the eval (`pending`). */
export function evalShouldEnqueue(ev: Pick<Evaluation, 'Status'>): boolean {
  return ev.Status === EvalStatusPending
}

/** Blocked-evals tracking takes the eval (`blocked`). */
export function evalShouldBlock(ev: Pick<Evaluation, 'Status'>): boolean {
  return ev.Status === EvalStatusBlocked
}

/** Nomad's `Node.TerminalStatus`: the node is `down`. */
export function nodeTerminal(node: Pick<Node, 'Status'>): boolean {
  return node.Status === NodeStatusDown
}

/** Nomad's `Node.Ready`: status ready, not draining, eligible for placements. */
export function nodeReady(node: Pick<Node, 'Status' | 'Drain' | 'SchedulingEligibility'>): boolean {
  return node.Status === NodeStatusReady && !node.Drain && node.SchedulingEligibility === NodeSchedulingEligible
}

/** Nomad's `Deployment.Active`: running, paused, blocked, unblocking or pending. */
export function deploymentActive(d: Pick<Deployment, 'Status'>): boolean {
  switch (d.Status) {
    case DeploymentStatusRunning:
    case DeploymentStatusPaused:
    case DeploymentStatusBlocked:
    case DeploymentStatusUnblocking:
    case DeploymentStatusPending:
      return true
    default:
      return false
  }
}

/** Nomad's `Job.Stopped`: no job, or the user stopped it. */
export function jobStopped(job: Pick<Job, 'Stop'> | null | undefined): boolean {
  return job == null || job.Stop
}

/** Nomad's `Job.IsPeriodic`. */
export function jobIsPeriodic(job: Pick<Job, 'Periodic'>): boolean {
  return job.Periodic != null
}

/** Nomad's `Job.IsParameterized`: a parameterized template (not a dispatched child). */
export function jobIsParameterized(job: Pick<Job, 'ParameterizedJob' | 'Dispatched'>): boolean {
  return job.ParameterizedJob != null && !job.Dispatched
}

/** Nomad's `Job.IsPeriodicActive`: a periodic job that will launch children. */
export function jobIsPeriodicActive(job: Pick<Job, 'Periodic' | 'Stop' | 'ParameterizedJob' | 'Dispatched'>): boolean {
  return job.Periodic != null && job.Periodic.Enabled && !job.Stop && !jobIsParameterized(job)
}

/** Nomad's `Job.IsMultiregion`. */
export function jobIsMultiregion(job: Pick<Job, 'Multiregion'>): boolean {
  return (job.Multiregion?.Regions?.length ?? 0) > 0
}
