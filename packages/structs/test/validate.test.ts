import { describe, expect, it } from 'vitest'
import {
  JobValidationError,
  Minute,
  Second,
  canonicalizeJob,
  formatGoDuration,
  jobProblems,
  mockJob,
  rescheduleProblems,
  updateProblems,
  validateJob,
  type Job,
} from '../src/index.js'

function bareJob(): Job {
  const job = mockJob()
  return job
}

describe('canonicalizeJob', () => {
  it('fills Nomad defaults without touching the input', () => {
    const input = {
      ...bareJob(),
      Region: '',
      Namespace: '',
      Type: '',
      Priority: 0,
      Name: '',
      Datacenters: [],
      Meta: {},
    }
    input.TaskGroups = [{ Name: 'g', Count: 1, Tasks: [{ ...input.TaskGroups![0]!.Tasks![0]!, Resources: null, KillTimeout: 0, LogConfig: null, Meta: {} }] }]
    const job = canonicalizeJob(input)
    expect(job.Region).toBe('global')
    expect(job.Namespace).toBe('default')
    expect(job.Type).toBe('service')
    expect(job.Priority).toBe(50)
    expect(job.Name).toBe(job.ID)
    expect(job.Datacenters).toEqual(['dc1'])
    expect(job.Meta).toBeNull()
    const tg = job.TaskGroups![0]!
    expect(tg.RestartPolicy).toEqual({ Attempts: 2, Interval: 30 * Minute, Delay: 15 * Second, Mode: 'fail' })
    expect(tg.ReschedulePolicy?.Unlimited).toBe(true)
    expect(tg.Migrate?.MaxParallel).toBe(1)
    expect(tg.EphemeralDisk?.SizeMB).toBe(300)
    const task = tg.Tasks![0]!
    expect(task.Resources).toMatchObject({ CPU: 100, MemoryMB: 300 })
    expect(task.KillTimeout).toBe(5 * Second)
    expect(task.LogConfig).toEqual({ MaxFiles: 10, MaxFileSizeMB: 10 })
    expect(task.Meta).toBeNull()
    expect(input.Region).toBe('')
    expect(input.TaskGroups[0]!.RestartPolicy).toBeUndefined()
  })

  it('gives batch and system jobs their own policies', () => {
    const batch = canonicalizeJob({ ...bareJob(), Type: 'batch', TaskGroups: [{ Name: 'b', Count: 1, Tasks: [] }] })
    expect(batch.TaskGroups![0]!.ReschedulePolicy).toMatchObject({ Attempts: 1, DelayFunction: 'constant' })
    expect(batch.TaskGroups![0]!.Migrate).toBeUndefined()
    const system = canonicalizeJob({ ...bareJob(), Type: 'system', TaskGroups: [{ Name: 's', Count: 1, Tasks: [] }] })
    expect(system.TaskGroups![0]!.ReschedulePolicy).toBeNull()
    expect(system.TaskGroups![0]!.RestartPolicy?.Attempts).toBe(2)
  })

  it('merges the job-level update block into groups and fills unset timings', () => {
    const base = bareJob()
    base.Update = { ...base.Update, MaxParallel: 2, Stagger: 10 * Second }
    base.TaskGroups![0]!.Update = { Stagger: 0, MaxParallel: 0, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: true, AutoPromote: false, Canary: 1 }
    const tg = canonicalizeJob(base).TaskGroups![0]!
    expect(tg.Update).toEqual({ Stagger: 10 * Second, MaxParallel: 2, HealthCheck: 'checks', MinHealthyTime: 10 * Second, HealthyDeadline: 5 * Minute, ProgressDeadline: 0, AutoRevert: true, AutoPromote: false, Canary: 1 })
    const noUpdate = canonicalizeJob(bareJob()).TaskGroups![0]!
    expect(noUpdate.Update ?? null).toBeNull()
    expect(jobProblems(canonicalizeJob(base))).toEqual([])
  })

  it('takes region and datacenters from the options', () => {
    const job = canonicalizeJob({ ...bareJob(), Region: '', Datacenters: null }, { region: 'eu', datacenters: ['a', 'b'] })
    expect(job.Region).toBe('eu')
    expect(job.Datacenters).toEqual(['a', 'b'])
  })
})

describe('validateJob', () => {
  it('accepts the mock job', () => {
    expect(jobProblems(mockJob())).toEqual([])
    expect(() => validateJob(mockJob())).not.toThrow()
  })

  it('lists every problem in one error, in Nomad words', () => {
    const job = { ...mockJob(), Region: '', ID: 'has space', Name: '', Type: 'weird', Priority: 101, Datacenters: [''], TaskGroups: [] }
    let caught: unknown
    try {
      validateJob(job)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(JobValidationError)
    const err = caught as JobValidationError
    expect(err.code).toBe('STRUCTS_INVALID_JOB')
    expect(err.problems).toEqual([
      'Missing job region',
      'Job ID contains a space',
      'Missing job name',
      'Invalid job type: "weird"',
      'Job priority must be between [1, 100]',
      'Job datacenter must be non-empty string',
      'Missing job task groups',
    ])
    expect(err.message.startsWith('7 errors occurred:\n\t* Missing job region\n\t* Job ID contains a space')).toBe(true)
  })

  it('nests group and task problems as go-multierror does', () => {
    const job = mockJob()
    const tg = job.TaskGroups![0]!
    tg.Tasks![0]!.Driver = ''
    tg.Tasks![0]!.Resources!.CPU = 0
    tg.Count = -1
    const problems = jobProblems(job)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toBe(
      'Task group web validation failed: 2 errors occurred:\n' +
        "\t* Task group count can't be negative\n" +
        '\t* Task web validation failed: 2 errors occurred:\n' +
        '\t* Missing task driver\n' +
        '\t* 1 error occurred:\n' +
        '\t* 1 error occurred:\n' +
        '\t* minimum CPU value is 1; got 0\n\n\n\n\n\n\n\n',
    )
  })

  it('checks system-job rules, duplicates and ports', () => {
    const job = mockJob()
    job.Type = 'system'
    job.Affinities = [{ LTarget: '${node.datacenter}', RTarget: 'dc1', Operand: '=', Weight: 50 }]
    const tg = job.TaskGroups![0]!
    tg.Count = 3
    tg.ReschedulePolicy = null
    tg.Migrate = null
    job.TaskGroups!.push({ ...structuredClone(tg) })
    tg.Networks = [{ Mode: '', Device: '', CIDR: '', IP: '', MBits: 0, ReservedPorts: [{ Label: 'http', Value: 8080, To: 0 }] }]
    tg.Tasks![0]!.Resources!.Networks = [{ Mode: '', Device: '', CIDR: '', IP: '', MBits: 0, ReservedPorts: [{ Label: 'x', Value: 8080, To: 0 }] }]
    const problems = jobProblems(job)
    expect(problems).toContain('System jobs may not have an affinity stanza')
    expect(problems).toContain("Job task group 2 redefines 'web' from group 1")
    expect(problems).toContain('Job task group web has count 3. Count cannot exceed 1 with system scheduler')
    expect(problems.some((p) => p.includes('Static port 8080 already reserved by taskgroup network:http'))).toBe(true)
  })

  it('checks constraints, affinities and spreads', () => {
    const job = mockJob()
    job.Constraints = [{ LTarget: '', RTarget: '', Operand: '=' }]
    job.Spreads = [{ Attribute: '', Weight: 0, SpreadTarget: [{ Value: 'a', Percent: 60 }, { Value: 'a', Percent: 50 }] }]
    const problems = jobProblems(job)
    expect(problems[0]).toBe(
      'Constraint 1 validation failed: 2 errors occurred:\n\t* Operator "=" requires an RTarget\n\t* No LTarget provided but is required by constraint\n\n',
    )
    expect(problems[1]).toContain('Spread 1 validation failed: 4 errors occurred:')
    expect(problems[1]).toContain('Sum of spread target percentages must not be greater than 100%; got 110%')
  })

  it('checks update and reschedule policies with Go durations', () => {
    expect(
      updateProblems({ Stagger: 0, MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * Second, HealthyDeadline: 5 * Second, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 }),
    ).toEqual(['Minimum healthy time must be less than healthy deadline: 10s > 5s', 'Stagger must be greater than zero: 0s'])
    expect(
      rescheduleProblems({ Attempts: 5, Interval: 20 * Second, Delay: 5 * Second, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false }),
    ).toEqual([
      'Nomad can only make 4 attempts in 20s with initial delay 5s and delay function "constant"',
      'Set the interval to at least 25s to accommodate 5 attempts',
    ])
  })
})

describe('formatGoDuration', () => {
  it('prints as Go does', () => {
    expect(formatGoDuration(0)).toBe('0s')
    expect(formatGoDuration(1500 * 1_000_000)).toBe('1.5s')
    expect(formatGoDuration(Minute)).toBe('1m0s')
    expect(formatGoDuration(24 * 60 * Minute)).toBe('24h0m0s')
    expect(formatGoDuration(300 * 1_000_000)).toBe('300ms')
    expect(formatGoDuration(-5 * Second)).toBe('-5s')
  })
})
