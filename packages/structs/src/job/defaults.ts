import { Hour, Minute, Second } from '../types/common.js'
import {
  JobTypeBatch,
  JobTypeService,
  JobTypeSystem,
  ReschedulePolicyDelayConstant,
  ReschedulePolicyDelayExponential,
  RestartPolicyModeFail,
  UpdateStrategyHealthCheckChecks,
} from '../types/constants.js'
import type { EphemeralDisk, LogConfig, MigrateStrategy, ReschedulePolicy, RestartPolicy, UpdateStrategy } from '../types/job.js'
import type { Resources } from '../types/resources.js'

/** Nomad's `DefaultUpdateStrategy`. */
export function defaultUpdateStrategy(): UpdateStrategy {
  return {
    Stagger: 30 * Second,
    MaxParallel: 1,
    HealthCheck: UpdateStrategyHealthCheckChecks,
    MinHealthyTime: 10 * Second,
    HealthyDeadline: 5 * Minute,
    ProgressDeadline: 10 * Minute,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  }
}

/** The zero UpdateStrategy Go sends when a job has no job-level update block. */
export function emptyUpdateStrategy(): UpdateStrategy {
  return {
    Stagger: 0,
    MaxParallel: 0,
    HealthCheck: '',
    MinHealthyTime: 0,
    HealthyDeadline: 0,
    ProgressDeadline: 0,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  }
}

/** Nomad's `NewRestartPolicy(jobType)`: service and system vs batch; null for other types. */
export function defaultRestartPolicy(jobType: string): RestartPolicy | null {
  switch (jobType) {
    case JobTypeService:
    case JobTypeSystem:
      return { Attempts: 2, Interval: 30 * Minute, Delay: 15 * Second, Mode: RestartPolicyModeFail }
    case JobTypeBatch:
      return { Attempts: 3, Interval: 24 * Hour, Delay: 15 * Second, Mode: RestartPolicyModeFail }
    default:
      return null
  }
}

/** Nomad's `NewReschedulePolicy(jobType)`: null for system jobs (they never reschedule). */
export function defaultReschedulePolicy(jobType: string): ReschedulePolicy | null {
  switch (jobType) {
    case JobTypeService:
      return { Attempts: 0, Interval: 0, Delay: 30 * Second, DelayFunction: ReschedulePolicyDelayExponential, MaxDelay: Hour, Unlimited: true }
    case JobTypeBatch:
      return { Attempts: 1, Interval: 24 * Hour, Delay: 5 * Second, DelayFunction: ReschedulePolicyDelayConstant, MaxDelay: 0, Unlimited: false }
    default:
      return null
  }
}

/** Nomad's `DefaultMigrateStrategy`. */
export function defaultMigrateStrategy(): MigrateStrategy {
  return { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * Second, HealthyDeadline: 5 * Minute }
}

/** Nomad's `DefaultEphemeralDisk`: 300 MB, not sticky. */
export function defaultEphemeralDisk(): EphemeralDisk {
  return { Sticky: false, SizeMB: 300, Migrate: false }
}

/** Nomad's `DefaultLogConfig`: 10 files of 10 MB. */
export function defaultLogConfig(): LogConfig {
  return { MaxFiles: 10, MaxFileSizeMB: 10 }
}

/** Nomad's `DefaultResources`: 100 MHz, 300 MB. */
export function defaultResources(): Resources {
  return { CPU: 100, MemoryMB: 300, DiskMB: 0, IOPS: 0, Networks: null, Devices: null }
}

/** Nomad's `MinResources`: 1 MHz, 10 MB. */
export const MinResourcesCPU = 1
export const MinResourcesMemoryMB = 10
