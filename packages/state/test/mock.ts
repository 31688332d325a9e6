/** Nomad's mocks from @nomadic/structs, with overrides and fresh IDs where the store needs them. */
import {
  mockAlloc as structsAlloc,
  mockEval as structsEval,
  mockID,
  mockJob as structsJob,
  mockNode as structsNode,
  type Allocation,
  type Deployment,
  type Evaluation,
  type Job,
  type Node,
  type TaskGroup,
} from '@nomadic/structs'

export const uuid = mockID

export function mockNode(overrides: Partial<Node> = {}): Node {
  return { ...structsNode(), ...overrides }
}

export function mockTaskGroup(name = 'web', count = 10): TaskGroup {
  return { ...structsJob().TaskGroups![0]!, Name: name, Count: count }
}

export function mockJob(overrides: Partial<Job> = {}): Job {
  return { ...structsJob(), SubmitTime: 1, ...overrides }
}

export function mockEval(overrides: Partial<Evaluation> = {}): Evaluation {
  return { ...structsEval(), TriggeredBy: 'job-register', ...overrides }
}

/** An allocation of `job` on a fresh node ID. */
export function mockAlloc(job: Job, overrides: Partial<Allocation> = {}): Allocation {
  return {
    ...structsAlloc(),
    Namespace: job.Namespace,
    Name: `${job.ID}.web[0]`,
    NodeID: mockID(),
    JobID: job.ID,
    Job: job,
    TaskGroup: job.TaskGroups?.[0]?.Name ?? 'web',
    ...overrides,
  }
}

export function mockDeployment(job: Job, overrides: Partial<Deployment> = {}): Deployment {
  return {
    ID: uuid(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: {
      web: {
        AutoRevert: false,
        AutoPromote: false,
        ProgressDeadline: 0,
        RequireProgressBy: new Date(0),
        Promoted: false,
        PlacedCanaries: null,
        DesiredCanaries: 0,
        DesiredTotal: 10,
        PlacedAllocs: 0,
        HealthyAllocs: 0,
        UnhealthyAllocs: 0,
      },
    },
    Status: 'running',
    StatusDescription: 'Deployment is running',
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  }
}
