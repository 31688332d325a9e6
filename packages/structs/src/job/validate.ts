import { formatGoDuration as d } from '../duration.js'
import { JobValidationError, formatMultiError } from '../errors.js'
import { jobIsMultiregion, jobIsParameterized } from '../status.js'
import { Second } from '../types/common.js'
import {
  ConstraintAttributeIsNotSet,
  ConstraintAttributeIsSet,
  ConstraintDistinctHosts,
  ConstraintDistinctProperty,
  ConstraintRegex,
  ConstraintSemver,
  ConstraintSetContains,
  ConstraintSetContainsAll,
  ConstraintSetContainsAny,
  ConstraintVersion,
  DispatchPayloadForbidden,
  DispatchPayloadOptional,
  DispatchPayloadRequired,
  JobMaxPriority,
  JobMinPriority,
  JobTypeBatch,
  JobTypeCore,
  JobTypeService,
  JobTypeSystem,
  PeriodicSpecCron,
  RestartPolicyModeDelay,
  RestartPolicyModeFail,
  TaskLifecycleHookPoststart,
  TaskLifecycleHookPrestart,
  UpdateStrategyHealthCheckChecks,
  UpdateStrategyHealthCheckManual,
  UpdateStrategyHealthCheckTaskStates,
} from '../types/constants.js'
import type {
  EphemeralDisk,
  Job,
  LogConfig,
  MigrateStrategy,
  ParameterizedJobConfig,
  PeriodicConfig,
  ReschedulePolicy,
  RestartPolicy,
  Task,
  TaskGroup,
  UpdateStrategy,
} from '../types/job.js'
import type { Affinity, Constraint, NetworkResource, Port, Resources, Spread } from '../types/resources.js'
import { MinResourcesCPU, MinResourcesMemoryMB } from './defaults.js'

/**
 * Nomad's `Job.Validate`: every problem of the job, its groups and its tasks, in Nomad's order
 * and words (nested lists formatted as go-multierror nests them). Empty when the job is valid.
 * Run it on a canonicalized job (see `canonicalizeJob`), as Nomad does.
 *
 * Not checked (they need libraries Nomad links in): `version`/`semver` constraint syntax, cron
 * expression syntax beyond its field count, time-zone names, Consul service and Vault blocks.
 */
export function jobProblems(job: Job): string[] {
  const errs: string[] = []
  if (job.Region === '' && job.Multiregion == null) errs.push('Missing job region')
  if (job.ID === '') errs.push('Missing job ID')
  else if (job.ID.includes(' ')) errs.push('Job ID contains a space')
  else if (job.ID.includes('\0')) errs.push('Job ID contains a null chararacter')
  if (job.Name === '') errs.push('Missing job name')
  else if (job.Name.includes('\0')) errs.push('Job Name contains a null chararacter')
  if (job.Namespace === '') errs.push('Job must be in a namespace')
  switch (job.Type) {
    case JobTypeCore:
    case JobTypeService:
    case JobTypeBatch:
    case JobTypeSystem:
      break
    case '':
      errs.push('Missing job type')
      break
    default:
      errs.push(`Invalid job type: ${q(job.Type)}`)
  }
  if (job.Priority < JobMinPriority || job.Priority > JobMaxPriority) {
    errs.push(`Job priority must be between [${JobMinPriority}, ${JobMaxPriority}]`)
  }
  const dcs = job.Datacenters ?? []
  if (dcs.length === 0 && !jobIsMultiregion(job)) errs.push('Missing job datacenters')
  else for (const dc of dcs) if (dc === '') errs.push('Job datacenter must be non-empty string')
  const groups = job.TaskGroups ?? []
  if (groups.length === 0) errs.push('Missing job task groups')
  eachNested(errs, job.Constraints, 'Constraint', constraintProblems)
  placementPreferences(errs, job.Type, job.Affinities, job.Spreads)

  const seen = new Map<string, number>()
  groups.forEach((tg, idx) => {
    if (tg.Name === '') errs.push(`Job task group ${idx + 1} missing name`)
    else if (seen.has(tg.Name)) errs.push(`Job task group ${idx + 1} redefines '${tg.Name}' from group ${seen.get(tg.Name)! + 1}`)
    else seen.set(tg.Name, idx)
    if (tg.ShutdownDelay != null && tg.ShutdownDelay < 0) errs.push('ShutdownDelay must be a positive value')
    const stop = tg.StopAfterClientDisconnect
    if (stop != null && stop !== 0) {
      if (stop > 0 && !(job.Type === JobTypeBatch || job.Type === JobTypeService)) {
        errs.push('stop_after_client_disconnect can only be set in batch and service jobs')
      } else if (stop < 0) errs.push('stop_after_client_disconnect must be a positive value')
    }
    if (job.Type === JobTypeSystem && tg.Count > 1) {
      errs.push(`Job task group ${tg.Name} has count ${tg.Count}. Count cannot exceed 1 with system scheduler`)
    }
  })
  for (const tg of groups) {
    const sub = groupProblems(job, tg)
    if (sub.length > 0) errs.push(`Task group ${tg.Name} validation failed: ${formatMultiError(sub)}`)
  }
  if (job.Periodic != null && job.Periodic.Enabled) {
    if (job.Type !== JobTypeBatch) errs.push(`Periodic can only be used with ${q(JobTypeBatch)} scheduler`)
    nest(errs, periodicProblems(job.Periodic))
  }
  if (jobIsParameterized(job)) {
    if (job.Type !== JobTypeBatch) errs.push(`Parameterized job can only be used with ${q(JobTypeBatch)} scheduler`)
    nest(errs, parameterizedProblems(job.ParameterizedJob!))
  }
  return errs
}

/** Throws a {@link JobValidationError} listing every problem when the job is invalid. */
export function validateJob(job: Job): void {
  const problems = jobProblems(job)
  if (problems.length > 0) throw new JobValidationError(problems)
}

function groupProblems(job: Job, tg: TaskGroup): string[] {
  const errs: string[] = []
  if (tg.Name === '') errs.push('Missing task group name')
  else if (tg.Name.includes('\0')) errs.push('Task group name contains null character')
  if (tg.Count < 0) errs.push("Task group count can't be negative")
  const tasks = tg.Tasks ?? []
  if (tasks.length === 0) errs.push('Missing tasks for task group')
  eachNested(errs, tg.Constraints, 'Constraint', constraintProblems)
  if (job.Type === JobTypeSystem) {
    if (tg.Affinities != null) errs.push('System jobs may not have an affinity stanza')
  } else eachNested(errs, tg.Affinities, 'Affinity', affinityProblems)
  if (tg.RestartPolicy != null) nest(errs, restartProblems(tg.RestartPolicy))
  else errs.push(`Task Group ${tg.Name} should have a restart policy`)
  if (job.Type === JobTypeSystem) {
    if (tg.Spreads != null) errs.push('System jobs may not have a spread stanza')
  } else eachNested(errs, tg.Spreads, 'Spread', spreadProblems)
  if (job.Type === JobTypeSystem) {
    if (tg.ReschedulePolicy != null) errs.push('System jobs should not have a reschedule policy')
  } else if (tg.ReschedulePolicy != null) nest(errs, rescheduleProblems(tg.ReschedulePolicy))
  else errs.push(`Task Group ${tg.Name} should have a reschedule policy`)
  if (tg.EphemeralDisk != null) {
    const e = ephemeralDiskProblem(tg.EphemeralDisk)
    if (e) errs.push(e)
  } else errs.push(`Task Group ${tg.Name} should have an ephemeral disk object`)
  if (tg.Update != null) {
    if (job.Type !== JobTypeService && job.Type !== JobTypeSystem) errs.push(`Job type ${q(job.Type)} does not allow update block`)
    nest(errs, updateProblems(tg.Update))
  }
  if (job.Type === JobTypeService) {
    if (tg.Migrate != null) nest(errs, migrateProblems(tg.Migrate))
  } else if (tg.Migrate != null) errs.push(`Job type ${q(job.Type)} does not allow migrate block`)

  const names = new Map<string, number>()
  let leaders = 0
  tasks.forEach((task, idx) => {
    if (task.Name === '') errs.push(`Task ${idx + 1} missing name`)
    else if (names.has(task.Name)) errs.push(`Task ${idx + 1} redefines '${task.Name}' from task ${names.get(task.Name)! + 1}`)
    else names.set(task.Name, idx)
    if (task.Leader) leaders++
  })
  if (leaders > 1) errs.push('Only one task may be marked as leader')
  for (const [name, decl] of Object.entries(tg.Volumes ?? {})) {
    if (decl.Type !== 'host' && decl.Type !== 'csi') {
      errs.push(`Volume ${name} has unrecognised type ${decl.Type}`)
      continue
    }
    if (decl.Source === '') errs.push(`Volume ${name} has an empty source`)
  }
  const net = networkProblems(tg)
  if (net.length > 0) errs.push(`Task group network validation failed: ${formatMultiError(net)}`)
  for (const task of tasks) {
    const sub = taskProblems(task, tg.EphemeralDisk ?? null, job.Type)
    if (sub.length > 0) errs.push(`Task ${task.Name} validation failed: ${formatMultiError(sub)}`)
  }
  return errs
}

/** Port labels unique per group, static ports unique and ≤ 65535, `To` in [−1, 65535]. */
function networkProblems(tg: TaskGroup): string[] {
  const errs: string[] = []
  const labels = new Map<string, string>()
  const statics = new Map<number, string>()
  const check = (port: Port, owner: string, staticOwner: string, recordLabel: boolean): void => {
    const other = labels.get(port.Label)
    if (other !== undefined) errs.push(`Port label ${port.Label} already in use by ${other}`)
    else if (recordLabel) labels.set(port.Label, owner)
    if (port.Value !== 0) {
      const otherStatic = statics.get(port.Value)
      if (otherStatic !== undefined) errs.push(`Static port ${port.Value} already reserved by ${otherStatic}`)
      else if (port.Value > 65535) errs.push(`Port ${port.Label} (${port.Value}) cannot be greater than 65535`)
      else statics.set(port.Value, staticOwner)
    }
  }
  for (const n of tg.Networks ?? []) {
    for (const port of allPorts(n)) {
      check(port, 'taskgroup network', `taskgroup network:${port.Label}`, true)
      if (port.To < -1) errs.push(`Port ${q(port.Label)} cannot be mapped to negative value ${port.To}`)
      else if (port.To > 65535) errs.push(`Port ${q(port.Label)} cannot be mapped to a port (${port.To}) greater than 65535`)
    }
  }
  for (const task of tg.Tasks ?? []) {
    for (const n of task.Resources?.Networks ?? []) {
      for (const port of allPorts(n)) check(port, task.Name, `${task.Name}:${port.Label}`, false)
    }
  }
  return errs
}

function allPorts(n: NetworkResource): Port[] {
  return [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])]
}

function taskProblems(task: Task, disk: EphemeralDisk | null, jobType: string): string[] {
  const errs: string[] = []
  if (task.Name === '') errs.push('Missing task name')
  if (/[/\\]/.test(task.Name)) errs.push('Task name cannot include slashes')
  else if (task.Name.includes('\0')) errs.push('Task name cannot include null characters')
  if (task.Driver === '') errs.push('Missing task driver')
  if (task.KillTimeout < 0) errs.push('KillTimeout must be a positive value')
  if (task.ShutdownDelay < 0) errs.push('ShutdownDelay must be a positive value')
  if (task.Resources == null) errs.push('Missing task resources')
  else nest(errs, resourcesProblems(task.Resources))
  if (task.LogConfig == null) errs.push('Missing Log Config')
  else nest(errs, logConfigProblems(task.LogConfig))
  ;(task.Constraints ?? []).forEach((c, idx) => {
    const sub = constraintProblems(c)
    if (sub.length > 0) errs.push(`Constraint ${idx + 1} validation failed: ${formatMultiError(sub)}`)
    if (c.Operand === ConstraintDistinctHosts || c.Operand === ConstraintDistinctProperty) {
      errs.push(`Constraint ${idx + 1} has disallowed Operand at task level: ${c.Operand}`)
    }
  })
  if (jobType === JobTypeSystem) {
    if (task.Affinities != null) errs.push('System jobs may not have an affinity stanza')
  } else eachNested(errs, task.Affinities, 'Affinity', affinityProblems)
  if (task.LogConfig != null && disk != null) {
    const logUsage = task.LogConfig.MaxFiles * task.LogConfig.MaxFileSizeMB
    if (disk.SizeMB <= logUsage) {
      errs.push(`log storage (${logUsage} MB) must be less than requested disk capacity (${disk.SizeMB} MB)`)
    }
  }
  if (task.Lifecycle != null) {
    if (task.Lifecycle.Hook === '') errs.push('Lifecycle validation failed: no lifecycle hook provided')
    else if (task.Lifecycle.Hook !== TaskLifecycleHookPrestart && task.Lifecycle.Hook !== TaskLifecycleHookPoststart) {
      errs.push(`Lifecycle validation failed: invalid hook: ${task.Lifecycle.Hook}`)
    }
  }
  return errs
}

function resourcesProblems(r: Resources): string[] {
  const errs: string[] = []
  const min: string[] = []
  if (r.CPU < MinResourcesCPU) min.push(`minimum CPU value is ${MinResourcesCPU}; got ${r.CPU}`)
  if (r.MemoryMB < MinResourcesMemoryMB) min.push(`minimum MemoryMB value is ${MinResourcesMemoryMB}; got ${r.MemoryMB}`)
  nest(errs, min)
  if (r.DiskMB > 0) errs.push("Task can't ask for disk resources, they have to be specified at the task group level.")
  ;(r.Devices ?? []).forEach((dev, i) => {
    if (dev.Name === '') {
      errs.push(`device ${i + 1} failed validation: ${formatMultiError(['device name must be given as one of the following: type, vendor/type, or vendor/type/name'])}`)
    }
  })
  return errs
}

function logConfigProblems(l: LogConfig): string[] {
  const errs: string[] = []
  if (l.MaxFiles < 1) errs.push(`minimum number of files is 1; got ${l.MaxFiles}`)
  if (l.MaxFileSizeMB < 1) errs.push(`minimum file size is 1MB; got ${l.MaxFileSizeMB}`)
  return errs
}

const comparisonOperands = new Set(['=', '==', 'is', '!=', 'not', '<', '<=', '>', '>='])
const setOperands = new Set([ConstraintSetContains, ConstraintSetContainsAll, ConstraintSetContainsAny])

/** Nomad's `Constraint.Validate`. */
export function constraintProblems(c: Constraint): string[] {
  const errs: string[] = []
  if (c.Operand === '') errs.push('Missing constraint operand')
  let requireLTarget = true
  if (c.Operand === ConstraintDistinctHosts) requireLTarget = false
  else if (setOperands.has(c.Operand)) {
    if (c.RTarget === '') errs.push('Set contains constraint requires an RTarget')
  } else if (c.Operand === ConstraintRegex) {
    const e = regexError(c.RTarget)
    if (e) errs.push(`Regular expression failed to compile: ${e}`)
  } else if (c.Operand === ConstraintVersion || c.Operand === ConstraintSemver) {
    // Syntax checked by the scheduler's version parser, not here.
  } else if (c.Operand === ConstraintDistinctProperty) {
    if (c.RTarget !== '') {
      if (!/^\d+$/.test(c.RTarget)) errs.push(`Failed to convert RTarget ${q(c.RTarget)} to uint64: strconv.ParseUint: parsing ${q(c.RTarget)}: invalid syntax`)
      else if (Number(c.RTarget) < 1) errs.push(`Distinct Property must have an allowed count of 1 or greater: ${Number(c.RTarget)} < 1`)
    }
  } else if (c.Operand === ConstraintAttributeIsSet || c.Operand === ConstraintAttributeIsNotSet) {
    if (c.RTarget !== '') errs.push(`Operator ${q(c.Operand)} does not support an RTarget`)
  } else if (comparisonOperands.has(c.Operand)) {
    if (c.RTarget === '') errs.push(`Operator ${q(c.Operand)} requires an RTarget`)
  } else errs.push(`Unknown constraint type ${q(c.Operand)}`)
  if (requireLTarget && c.LTarget === '') errs.push('No LTarget provided but is required by constraint')
  return errs
}

/** Nomad's `Affinity.Validate`. */
export function affinityProblems(a: Affinity): string[] {
  const errs: string[] = []
  if (a.Operand === '') errs.push('Missing affinity operand')
  if (setOperands.has(a.Operand)) {
    if (a.RTarget === '') errs.push('Set contains operators require an RTarget')
  } else if (a.Operand === ConstraintRegex) {
    const e = regexError(a.RTarget)
    if (e) errs.push(`Regular expression failed to compile: ${e}`)
  } else if (a.Operand === ConstraintVersion || a.Operand === ConstraintSemver) {
    // Syntax checked by the scheduler's version parser, not here.
  } else if (comparisonOperands.has(a.Operand)) {
    if (a.RTarget === '') errs.push(`Operator ${q(a.Operand)} requires an RTarget`)
  } else errs.push(`Unknown affinity operator ${q(a.Operand)}`)
  if (a.LTarget === '') errs.push('No LTarget provided but is required')
  if (a.Weight === 0) errs.push('Affinity weight cannot be zero')
  if (a.Weight > 100 || a.Weight < -100) errs.push('Affinity weight must be within the range [-100,100]')
  return errs
}

/** Nomad's `Spread.Validate`. */
export function spreadProblems(s: Spread): string[] {
  const errs: string[] = []
  if (s.Attribute === '') errs.push('Missing spread attribute')
  if (s.Weight <= 0 || s.Weight > 100) errs.push('Spread stanza must have a positive weight from 0 to 100')
  const seen = new Set<string>()
  let sum = 0
  for (const t of s.SpreadTarget ?? []) {
    if (seen.has(t.Value)) errs.push(`Spread target value ${q(t.Value)} already defined`)
    else seen.add(t.Value)
    if (t.Percent < 0 || t.Percent > 100) errs.push(`Spread target percentage for value ${q(t.Value)} must be between 0 and 100`)
    sum += t.Percent
  }
  if (sum > 100) errs.push(`Sum of spread target percentages must not be greater than 100%; got ${sum}%`)
  return errs
}

/** Nomad's `UpdateStrategy.Validate`. */
export function updateProblems(u: UpdateStrategy): string[] {
  const errs: string[] = []
  if (
    u.HealthCheck !== UpdateStrategyHealthCheckChecks &&
    u.HealthCheck !== UpdateStrategyHealthCheckTaskStates &&
    u.HealthCheck !== UpdateStrategyHealthCheckManual
  ) {
    errs.push(`Invalid health check given: ${q(u.HealthCheck)}`)
  }
  if (u.MaxParallel < 0) errs.push(`Max parallel can not be less than zero: ${u.MaxParallel} < 0`)
  if (u.Canary < 0) errs.push(`Canary count can not be less than zero: ${u.Canary} < 0`)
  if (u.Canary === 0 && u.AutoPromote) errs.push('Auto Promote requires a Canary count greater than zero')
  if (u.MinHealthyTime < 0) errs.push(`Minimum healthy time may not be less than zero: ${d(u.MinHealthyTime)}`)
  if (u.HealthyDeadline <= 0) errs.push(`Healthy deadline must be greater than zero: ${d(u.HealthyDeadline)}`)
  if (u.ProgressDeadline < 0) errs.push(`Progress deadline must be zero or greater: ${d(u.ProgressDeadline)}`)
  if (u.MinHealthyTime >= u.HealthyDeadline) {
    errs.push(`Minimum healthy time must be less than healthy deadline: ${d(u.MinHealthyTime)} > ${d(u.HealthyDeadline)}`)
  }
  if (u.ProgressDeadline !== 0 && u.HealthyDeadline >= u.ProgressDeadline) {
    errs.push(`Healthy deadline must be less than progress deadline: ${d(u.HealthyDeadline)} > ${d(u.ProgressDeadline)}`)
  }
  if (u.Stagger <= 0) errs.push(`Stagger must be greater than zero: ${d(u.Stagger)}`)
  return errs
}

/** Nomad's `RestartPolicy.Validate`. */
export function restartProblems(r: RestartPolicy): string[] {
  const errs: string[] = []
  if (r.Mode !== RestartPolicyModeDelay && r.Mode !== RestartPolicyModeFail) errs.push(`Unsupported restart mode: ${q(r.Mode)}`)
  if (r.Attempts === 0 && r.Mode !== RestartPolicyModeFail) errs.push(`Restart policy ${q(r.Mode)} with ${r.Attempts} attempts is ambiguous`)
  if (r.Interval < 5 * Second) errs.push(`Interval can not be less than ${d(5 * Second)} (got ${d(r.Interval)})`)
  if (r.Attempts * r.Delay > r.Interval) {
    errs.push(`Nomad can't restart the TaskGroup ${r.Attempts} times in an interval of ${d(r.Interval)} with a delay of ${d(r.Delay)}`)
  }
  return errs
}

const delayFunctions = ['constant', 'exponential', 'fibonacci']
const MinRescheduleInterval = 15 * Second
const MinRescheduleDelay = 5 * Second

/** Nomad's `ReschedulePolicy.Validate` (nothing to check when rescheduling is disabled). */
export function rescheduleProblems(r: ReschedulePolicy): string[] {
  if (!(r.Attempts > 0 || r.Unlimited)) return []
  const errs: string[] = []
  if (r.Attempts > 0) {
    if (r.Interval <= 0) errs.push('Interval must be a non zero value if Attempts > 0')
    if (r.Unlimited) {
      errs.push(`Reschedule Policy with Attempts = ${r.Attempts}, Interval = ${d(r.Interval)}, and Unlimited = ${r.Unlimited} is ambiguous`)
      errs.push('If Attempts >0, Unlimited cannot also be set to true')
    }
  }
  let delayOk = true
  if (r.Delay < MinRescheduleDelay) {
    errs.push(`Delay cannot be less than ${d(MinRescheduleDelay)} (got ${d(r.Delay)})`)
    delayOk = false
  }
  if (!delayFunctions.includes(r.DelayFunction)) {
    errs.push(`Invalid delay function ${q(r.DelayFunction)}, must be one of ["constant" "exponential" "fibonacci"]`)
    delayOk = false
  }
  if (r.DelayFunction !== 'constant') {
    if (r.MaxDelay < MinRescheduleDelay) {
      errs.push(`Max Delay cannot be less than ${d(MinRescheduleDelay)} (got ${d(r.Delay)})`)
      delayOk = false
    }
    if (r.MaxDelay < r.Delay) {
      errs.push(`Max Delay cannot be less than Delay ${d(r.Delay)} (got ${d(r.MaxDelay)})`)
      delayOk = false
    }
  }
  if (!r.Unlimited) {
    if (r.Interval < MinRescheduleInterval) errs.push(`Interval cannot be less than ${d(MinRescheduleInterval)} (got ${d(r.Interval)})`)
    if (!delayOk) return errs
    const { ok, possible, recommended } = viableAttempts(r)
    if (!ok) {
      const sub =
        r.DelayFunction === 'constant'
          ? `Nomad can only make ${possible} attempts in ${d(r.Interval)} with initial delay ${d(r.Delay)} and delay function ${q(r.DelayFunction)}`
          : `Nomad can only make ${possible} attempts in ${d(r.Interval)} with initial delay ${d(r.Delay)}, delay function ${q(r.DelayFunction)}, and delay ceiling ${d(r.MaxDelay)}`
      const hint = `Set the interval to at least ${d(Math.round(recommended / Second) * Second)} to accommodate ${r.Attempts} attempts`
      // Go merges this list with multierror.Append, which flattens it.
      errs.push(sub, hint)
    }
  }
  return errs
}

function viableAttempts(r: ReschedulePolicy): { ok: boolean; possible: number; recommended: number } {
  let possible = 0
  let recommended = 0
  let ok = true
  if (r.DelayFunction === 'constant') {
    recommended = r.Attempts * r.Delay
    if (r.Interval < recommended) {
      possible = Math.trunc(r.Interval / r.Delay)
      ok = false
    }
  } else if (r.DelayFunction === 'exponential') {
    for (let i = 0; i < r.Attempts; i++) {
      let next = 2 ** i * r.Delay
      if (next > r.MaxDelay) {
        next = r.MaxDelay
        recommended += next
      } else recommended = next
      if (recommended < r.Interval) possible++
    }
    if (possible < r.Attempts) ok = false
  } else {
    const slots = [r.Delay, r.Delay]
    let ceiling = false
    for (let i = 2; i < r.Attempts; i++) {
      let next: number
      if (ceiling) next = slots[i - 1]! + r.MaxDelay
      else {
        next = slots[i - 1]! + slots[i - 2]!
        if (next > r.MaxDelay) {
          next = r.MaxDelay
          ceiling = true
        }
      }
      slots.push(next)
    }
    recommended = slots[slots.length - 1]!
    if (r.Interval < recommended) {
      ok = false
      const over = slots.findIndex((s) => s > r.Interval)
      if (over >= 0) possible = over
    }
  }
  return { ok, possible: Math.max(0, possible), recommended }
}

/** Nomad's `MigrateStrategy.Validate`. */
export function migrateProblems(m: MigrateStrategy): string[] {
  const errs: string[] = []
  if (m.MaxParallel < 0) errs.push(`MaxParallel must be >= 0 but found ${m.MaxParallel}`)
  if (m.HealthCheck === '') {
    if (m.MaxParallel > 0) errs.push('Missing HealthCheck')
  } else if (m.HealthCheck !== 'checks' && m.HealthCheck !== 'task_states') errs.push(`Invalid HealthCheck: ${q(m.HealthCheck)}`)
  if (m.MinHealthyTime < 0) errs.push(`MinHealthyTime is ${d(m.MinHealthyTime)} and must be >= 0`)
  if (m.HealthyDeadline < 0) errs.push(`HealthyDeadline is ${d(m.HealthyDeadline)} and must be >= 0`)
  if (m.MinHealthyTime > m.HealthyDeadline) errs.push('MinHealthyTime must be less than HealthyDeadline')
  return errs
}

function ephemeralDiskProblem(disk: EphemeralDisk): string | undefined {
  return disk.SizeMB < 10 ? `minimum DiskMB value is 10; got ${disk.SizeMB}` : undefined
}

/** Nomad's `PeriodicConfig.Validate` (cron syntax checked by field count only). */
export function periodicProblems(p: PeriodicConfig): string[] {
  if (!p.Enabled) return []
  const errs: string[] = []
  if (p.Spec === '') errs.push('Must specify a spec')
  if (p.SpecType === PeriodicSpecCron) {
    const fields = p.Spec.trim().split(/\s+/).filter((f) => f !== '')
    const macro = p.Spec.trim().startsWith('@')
    if (!macro && (fields.length < 5 || fields.length > 7)) errs.push(`Invalid cron spec ${q(p.Spec)}: wrong number of fields`)
  } else if (p.SpecType !== '_internal_test') errs.push(`Unknown periodic specification type ${q(p.SpecType)}`)
  return errs
}

/** Nomad's `ParameterizedJobConfig.Validate`. */
export function parameterizedProblems(p: ParameterizedJobConfig): string[] {
  const errs: string[] = []
  if (p.Payload !== DispatchPayloadOptional && p.Payload !== DispatchPayloadRequired && p.Payload !== DispatchPayloadForbidden) {
    errs.push(`Unknown payload requirement: ${q(p.Payload)}`)
  }
  const optional = new Set(p.MetaOptional ?? [])
  const both = (p.MetaRequired ?? []).filter((k) => optional.has(k))
  if (both.length > 0) errs.push(`Required and optional meta keys should be disjoint. Following keys exist in both: [${both.join(' ')}]`)
  return errs
}

function placementPreferences(errs: string[], jobType: string, affinities: Affinity[] | null | undefined, spreads: Spread[] | null | undefined): void {
  if (jobType === JobTypeSystem) {
    if (affinities != null) errs.push('System jobs may not have an affinity stanza')
  } else eachNested(errs, affinities, 'Affinity', affinityProblems)
  if (jobType === JobTypeSystem) {
    if (spreads != null) errs.push('System jobs may not have a spread stanza')
  } else eachNested(errs, spreads, 'Spread', spreadProblems)
}

/** `<Kind> N validation failed: <nested list>` for each invalid item, as Nomad words it. */
function eachNested<T>(errs: string[], items: T[] | null | undefined, kind: string, check: (item: T) => string[]): void {
  ;(items ?? []).forEach((item, idx) => {
    const sub = check(item)
    if (sub.length > 0) errs.push(`${kind} ${idx + 1} validation failed: ${formatMultiError(sub)}`)
  })
}

/** Appends a nested go-multierror (one entry holding the formatted list), as Go's `append(errs, err)` does. */
function nest(errs: string[], sub: string[]): void {
  if (sub.length > 0) errs.push(formatMultiError(sub))
}

function regexError(source: string): string | undefined {
  try {
    new RegExp(source)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/** Go's `%q` for the ASCII strings these messages quote. */
function q(s: string): string {
  return JSON.stringify(s)
}
