/** Nomad's status predicates (nomad/structs) that the schema and the mutations need. */
import type { Allocation, Deployment, Evaluation, Job } from '@nomadic/structs'

/** The client is done with the allocation: complete, failed or lost. */
export function allocClientTerminal(a: Pick<Allocation, 'ClientStatus'>): boolean {
  return a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost'
}

/** The allocation is stopped or evicted, or the client is done with it (Allocation.TerminalStatus). */
export function allocTerminal(a: Pick<Allocation, 'ClientStatus' | 'DesiredStatus'>): boolean {
  return a.DesiredStatus === 'stop' || a.DesiredStatus === 'evict' || allocClientTerminal(a)
}

/** The evaluation will not run again: complete, failed or canceled. */
export function evalTerminal(e: Pick<Evaluation, 'Status'>): boolean {
  return e.Status === 'complete' || e.Status === 'failed' || e.Status === 'canceled'
}

/** The job has a periodic block (Job.IsPeriodic). */
export function isPeriodic(j: Job): boolean {
  return j.Periodic != null
}

/** The job is a template for dispatched children (Job.IsParameterized). */
export function isParameterized(j: Job): boolean {
  return j.ParameterizedJob != null && !j.Dispatched
}

/** The job may be garbage collected (schema.go jobIsGCable). */
export function jobIsGCable(j: Job): boolean {
  if ((j.Periodic != null && j.Periodic.Enabled) || isParameterized(j)) return j.Stop
  if (j.Status !== 'dead') return false
  if (j.Stop) return true
  return j.Type === 'batch'
}

/** The deployment can still change (Deployment.Active). */
export function deploymentActive(d: Deployment): boolean {
  return d.Status === 'running' || d.Status === 'paused' || d.Status === 'blocked' || d.Status === 'unblocking'
}
