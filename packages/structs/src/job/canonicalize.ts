import { clone } from '../clone.js'
import {
  DefaultDatacenter,
  DefaultKillTimeout,
  DefaultNamespace,
  DispatchPayloadOptional,
  GlobalRegion,
  JobDefaultPriority,
  JobTypeService,
  JobTypeSystem,
} from '../types/constants.js'
import type { Job, Task, TaskGroup, UpdateStrategy } from '../types/job.js'
import type { NetworkResource, Resources } from '../types/resources.js'
import {
  defaultEphemeralDisk,
  defaultLogConfig,
  defaultMigrateStrategy,
  defaultReschedulePolicy,
  defaultResources,
  defaultRestartPolicy,
  defaultUpdateStrategy,
  emptyUpdateStrategy,
} from './defaults.js'

/** Defaults the caller (usually the agent) supplies. */
export interface CanonicalizeOptions {
  /** Region for a job without one (default `global`). */
  region?: string
  /** Datacenters for a job without any (default `['dc1']`). */
  datacenters?: readonly string[]
}

/**
 * Returns a copy of `job` with Nomad's defaults filled in, as the agent's API layer and
 * `Job.Canonicalize` do together: region `global`, namespace `default`, type `service`,
 * priority 50, name = ID, datacenters `dc1`; per group the restart, reschedule and migrate
 * policies of the job type and a 300 MB ephemeral disk; per task 100 MHz / 300 MB resources, a
 * 5 s kill timeout and 10 × 10 MB logs. Empty maps and slices become null, as Go compares them
 * with reflect.DeepEqual. The input is not modified.
 */
export function canonicalizeJob(input: Job, options: CanonicalizeOptions = {}): Job {
  const job = clone(input)
  job.Region ||= options.region ?? GlobalRegion
  job.Namespace ||= DefaultNamespace
  job.Type ||= JobTypeService
  if (!job.Priority) job.Priority = JobDefaultPriority
  job.Name ||= job.ID
  if (job.Datacenters == null || job.Datacenters.length === 0) job.Datacenters = [...(options.datacenters ?? [DefaultDatacenter])]
  job.Update ??= emptyUpdateStrategy()
  if (isEmptyMap(job.Meta)) job.Meta = null
  if (job.ParameterizedJob != null && job.ParameterizedJob.Payload === '') job.ParameterizedJob.Payload = DispatchPayloadOptional
  if (job.Multiregion != null) {
    job.Multiregion.Strategy ??= { MaxParallel: 0, OnFailure: '' }
    job.Multiregion.Regions ??= []
  }
  for (const tg of job.TaskGroups ?? []) canonicalizeGroup(job, tg)
  return job
}

function canonicalizeGroup(job: Job, tg: TaskGroup): void {
  if (isEmptyMap(tg.Meta)) tg.Meta = null
  tg.Update = groupUpdate(job, tg.Update ?? null)
  tg.RestartPolicy ??= defaultRestartPolicy(job.Type)
  tg.ReschedulePolicy ??= defaultReschedulePolicy(job.Type)
  if (job.Type === JobTypeService) tg.Migrate ??= defaultMigrateStrategy()
  tg.EphemeralDisk ??= defaultEphemeralDisk()
  for (const net of tg.Networks ?? []) canonicalizeNetwork(net)
  for (const task of tg.Tasks ?? []) canonicalizeTask(tg, task)
}

/**
 * The group's update strategy as the API layer builds it: the job-level block is inherited (or
 * the group's non-zero fields override it), then unset timings get Nomad's defaults (stagger
 * 30 s, health check `checks`, min healthy 10 s, healthy deadline 5 min). Zero MaxParallel,
 * Canary and ProgressDeadline are kept: they mean something.
 */
function groupUpdate(job: Job, own: UpdateStrategy | null): UpdateStrategy | null {
  const jobLevel = job.Update
  // Only service and system jobs deploy; a batch job's own update block is left for validation to reject.
  const deploys = job.Type === JobTypeService || job.Type === JobTypeSystem
  const jobHasUpdate = deploys && jobLevel != null && (jobLevel.MaxParallel !== 0 || jobLevel.Stagger !== 0 || jobLevel.HealthCheck !== '')
  let merged: UpdateStrategy | null = own
  if (jobHasUpdate) {
    merged = { ...jobLevel }
    if (own != null) {
      for (const key of Object.keys(own) as (keyof UpdateStrategy)[]) {
        const v = own[key]
        if (v !== 0 && v !== '' && v !== false) (merged as unknown as Record<string, unknown>)[key] = v
      }
    }
  }
  if (merged == null) return null
  const defaults = defaultUpdateStrategy()
  return {
    ...merged,
    Stagger: merged.Stagger || defaults.Stagger,
    HealthCheck: merged.HealthCheck || defaults.HealthCheck,
    MinHealthyTime: merged.MinHealthyTime || defaults.MinHealthyTime,
    HealthyDeadline: merged.HealthyDeadline || defaults.HealthyDeadline,
  }
}

function canonicalizeTask(tg: TaskGroup, task: Task): void {
  if (isEmptyMap(task.Meta)) task.Meta = null
  if (isEmptyMap(task.Config)) task.Config = null
  if (isEmptyMap(task.Env)) task.Env = null
  if (task.Resources == null) task.Resources = defaultResources()
  else canonicalizeResources(task.Resources)
  task.RestartPolicy ??= tg.RestartPolicy == null ? null : { ...tg.RestartPolicy }
  if (!task.KillTimeout) task.KillTimeout = DefaultKillTimeout
  task.LogConfig ??= defaultLogConfig()
}

/** Nomad's `Resources.Canonicalize`: empty network and device lists become null. */
export function canonicalizeResources(r: Resources): void {
  if (r.Networks != null && r.Networks.length === 0) r.Networks = null
  if (r.Devices != null && r.Devices.length === 0) r.Devices = null
  for (const net of r.Networks ?? []) canonicalizeNetwork(net)
}

/** Nomad's `NetworkResource.Canonicalize`: empty port lists become null, ports get host network `default`. */
export function canonicalizeNetwork(n: NetworkResource): void {
  if (n.ReservedPorts != null && n.ReservedPorts.length === 0) n.ReservedPorts = null
  if (n.DynamicPorts != null && n.DynamicPorts.length === 0) n.DynamicPorts = null
  for (const p of n.DynamicPorts ?? []) p.HostNetwork ||= 'default'
  for (const p of n.ReservedPorts ?? []) p.HostNetwork ||= 'default'
}

function isEmptyMap(m: Record<string, unknown> | null | undefined): boolean {
  return m != null && Object.keys(m).length === 0
}
