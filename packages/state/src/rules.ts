/** Nomad's status predicates: those of @nomadic/structs, plus the schema's garbage-collection rule. */
import { jobIsParameterized, type Job } from '@nomadic/structs'

export {
  allocClientTerminal,
  allocTerminal,
  deploymentActive,
  evalTerminal,
  jobIsParameterized as isParameterized,
  jobIsPeriodic as isPeriodic,
} from '@nomadic/structs'

/** The job may be garbage collected (schema.go jobIsGCable). */
export function jobIsGCable(j: Job): boolean {
  if ((j.Periodic != null && j.Periodic.Enabled) || jobIsParameterized(j)) return j.Stop
  if (j.Status !== 'dead') return false
  if (j.Stop) return true
  return j.Type === 'batch'
}
