import { newAllocation, newEvaluation } from './defaults.js'
import { canonicalizeJob } from './job/canonicalize.js'
import { emptyUpdateStrategy } from './job/defaults.js'
import { computeNodeClass } from './node/computed-class.js'
import type { Allocation } from './types/allocation.js'
import { Minute, Second } from './types/common.js'
import type { Evaluation } from './types/evaluation.js'
import type { Job } from './types/job.js'
import type { Node } from './types/node.js'

/**
 * Test fixtures shaped like Nomad's `nomad/mock` package: a ready node, a canonical service
 * job, an allocation of that job and a pending eval. IDs come from a counter (deterministic
 * within a process); every call returns fresh objects you may change.
 */
let counter = 0

/** A UUID-shaped ID from a process-wide counter: `00000000-0000-4000-8000-000000000001`, … */
export function mockID(): string {
  counter++
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}

/** Nomad's `mock.Node`: 4000 MHz, 8 GiB, 100 GiB disk, eth0 at 1000 Mbit/s, port 22 reserved. */
export function mockNode(): Node {
  const node: Node = {
    ID: mockID(),
    SecretID: mockID(),
    Datacenter: 'dc1',
    Name: 'foobar',
    HTTPAddr: '',
    TLSEnabled: false,
    Attributes: { 'kernel.name': 'linux', arch: 'x86', 'nomad.version': '0.5.0', 'driver.exec': '1', 'driver.mock_driver': '1' },
    NodeResources: {
      Cpu: { CpuShares: 4000 },
      Memory: { MemoryMB: 8192 },
      Disk: { DiskMB: 100 * 1024 },
      Networks: [{ Mode: 'host', Device: 'eth0', CIDR: '192.168.0.100/32', IP: '', MBits: 1000 }],
    },
    ReservedResources: {
      Cpu: { CpuShares: 100 },
      Memory: { MemoryMB: 256 },
      Disk: { DiskMB: 4 * 1024 },
      Networks: { ReservedHostPorts: '22' },
    },
    Links: { consul: 'foobar.dc1' },
    Meta: { 'pci-dss': 'true', database: 'mysql', version: '5.6' },
    NodeClass: 'linux-medium-pci',
    ComputedClass: '',
    Drain: false,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
  }
  node.ComputedClass = computeNodeClass(node)
  return node
}

/** Nomad's `mock.Job`: service job `my-job`, group `web` × 10, task `web` (500 MHz, 256 MB, ports http and admin). */
export function mockJob(): Job {
  const job: Job = {
    Stop: false,
    Region: 'global',
    Namespace: 'default',
    ID: `mock-service-${mockID()}`,
    ParentID: '',
    Name: 'my-job',
    Type: 'service',
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ['dc1'],
    Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }],
    TaskGroups: [
      {
        Name: 'web',
        Count: 10,
        EphemeralDisk: { Sticky: false, SizeMB: 150, Migrate: false },
        RestartPolicy: { Attempts: 3, Interval: 10 * Minute, Delay: Minute, Mode: 'delay' },
        ReschedulePolicy: { Attempts: 2, Interval: 10 * Minute, Delay: 5 * Second, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false },
        Migrate: { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * Second, HealthyDeadline: 5 * Minute },
        Tasks: [
          {
            Name: 'web',
            Driver: 'exec',
            User: '',
            Config: { command: '/bin/date' },
            Env: { FOO: 'bar' },
            Resources: {
              CPU: 500,
              MemoryMB: 256,
              DiskMB: 0,
              IOPS: 0,
              Networks: [{ Mode: '', Device: '', CIDR: '', IP: '', MBits: 50, DynamicPorts: [{ Label: 'http', Value: 0, To: 0 }, { Label: 'admin', Value: 0, To: 0 }] }],
            },
            Meta: { foo: 'bar' },
            KillTimeout: 0,
            Leader: false,
            ShutdownDelay: 0,
            KillSignal: '',
            Kind: '',
          },
        ],
        Meta: { elb_check_type: 'http', elb_check_interval: '30s', elb_check_min: '3' },
      },
    ],
    Update: emptyUpdateStrategy(),
    Dispatched: false,
    Meta: { owner: 'armon' },
    ConsulToken: '',
    VaultToken: '',
    NomadTokenID: '',
    Status: 'pending',
    StatusDescription: '',
    Stable: false,
    Version: 0,
    SubmitTime: 0,
    CreateIndex: 42,
    ModifyIndex: 99,
    JobModifyIndex: 99,
  }
  return canonicalizeJob(job)
}

/** Nomad's `mock.Alloc`: allocation `my-job.web[0]` of a fresh {@link mockJob} with ports 5000 (admin) and 9876 (http) on 192.168.0.100. */
export function mockAlloc(): Allocation {
  const job = mockJob()
  return newAllocation({
    ID: mockID(),
    Namespace: 'default',
    EvalID: mockID(),
    Name: 'my-job.web[0]',
    NodeID: '12345678-abcd-efab-cdef-123456789abc',
    JobID: job.ID,
    Job: job,
    TaskGroup: 'web',
    AllocatedResources: {
      Tasks: {
        web: {
          Cpu: { CpuShares: 500 },
          Memory: { MemoryMB: 256 },
          Networks: [
            {
              Mode: '',
              Device: 'eth0',
              CIDR: '',
              IP: '192.168.0.100',
              MBits: 50,
              ReservedPorts: [{ Label: 'admin', Value: 5000, To: 0 }],
              DynamicPorts: [{ Label: 'http', Value: 9876, To: 0 }],
            },
          ],
        },
      },
      Shared: { DiskMB: 150 },
    },
  })
}

/** Nomad's `mock.Eval`: a pending service eval at priority 50 for a random job ID. */
export function mockEval(): Evaluation {
  return newEvaluation({ ID: mockID(), Namespace: 'default', Priority: 50, Type: 'service', JobID: mockID() })
}
