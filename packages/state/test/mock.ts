/** Small factories for the data model, in the spirit of Nomad's nomad/mock package. */
import type { Allocation, Deployment, Evaluation, Job, Node, TaskGroup } from '@nomadic/structs'

let seq = 0
/** A UUID-shaped ID, unique within the test process and readable in failures. */
export function uuid(): string {
  seq++
  const hex = seq.toString(16).padStart(12, '0')
  return `00000000-0000-4000-8000-${hex}`
}

export function mockNode(overrides: Partial<Node> = {}): Node {
  return {
    ID: uuid(),
    SecretID: uuid(),
    Datacenter: 'dc1',
    Name: 'foobar',
    HTTPAddr: '127.0.0.1:4646',
    TLSEnabled: false,
    Attributes: { 'kernel.name': 'linux', 'driver.exec': '1' },
    NodeResources: null,
    ReservedResources: null,
    Meta: { rack: 'r1' },
    NodeClass: 'linux-medium-pci',
    ComputedClass: 'v1:123',
    Drain: false,
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: 1_600_000_000,
    Events: null,
    Drivers: null,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  }
}

export function mockTaskGroup(name = 'web', count = 10): TaskGroup {
  return { Name: name, Count: count, Tasks: [{ Name: 'web', Driver: 'exec' } as NonNullable<TaskGroup['Tasks']>[number]] }
}

export function mockJob(overrides: Partial<Job> = {}): Job {
  return {
    Stop: false,
    Region: 'global',
    Namespace: 'default',
    ID: `mock-service-${uuid()}`,
    ParentID: '',
    Name: 'my-job',
    Type: 'service',
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ['dc1'],
    TaskGroups: [mockTaskGroup()],
    Update: {} as Job['Update'],
    Periodic: null,
    ParameterizedJob: null,
    Dispatched: false,
    Meta: null,
    ConsulToken: '',
    VaultToken: '',
    NomadTokenID: '',
    Status: '',
    StatusDescription: '',
    Stable: false,
    Version: 0,
    SubmitTime: 1,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    ...overrides,
  }
}

export function mockEval(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    ID: uuid(),
    Namespace: 'default',
    Priority: 50,
    Type: 'service',
    TriggeredBy: 'job-register',
    JobID: uuid(),
    JobModifyIndex: 0,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: 'pending',
    StatusDescription: '',
    Wait: 0,
    WaitUntil: new Date(0),
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    QuotaLimitReached: '',
    EscapedComputedClass: false,
    AnnotatePlan: false,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  }
}

export function mockAlloc(job: Job, overrides: Partial<Allocation> = {}): Allocation {
  return {
    ID: uuid(),
    Namespace: job.Namespace,
    EvalID: uuid(),
    Name: `${job.ID}.web[0]`,
    NodeID: uuid(),
    NodeName: 'node',
    JobID: job.ID,
    Job: job,
    TaskGroup: job.TaskGroups?.[0]?.Name ?? 'web',
    DesiredStatus: 'run',
    DesiredDescription: '',
    DesiredTransition: {},
    ClientStatus: 'pending',
    ClientDescription: '',
    TaskStates: null,
    PreviousAllocation: '',
    NextAllocation: '',
    DeploymentID: '',
    DeploymentStatus: null,
    FollowupEvalID: '',
    PreemptedByAllocation: '',
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
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
