import {
  MessageType,
  NetworkIndex,
  allocsFit,
  canonicalizeJob,
  decodeMessage,
  encodeMessage,
  jobProblems,
  mockAlloc,
  mockNode,
  scoreFitBinPack,
  type Job,
  type JobRegisterRequest,
} from '@nomadic/structs'

// A job as a user submits it: canonicalization fills in Nomad's defaults, validation lists
// every problem at once (in Nomad's words).
const submitted = {
  ID: 'cache',
  TaskGroups: [{ Name: 'redis', Count: 2, Tasks: [{ Name: 'redis', Driver: 'docker', Config: { image: 'redis:7' } }] }],
} as unknown as Job
const job = canonicalizeJob(submitted) // region global, namespace default, type service, priority 50, dc1…
const problems = jobProblems(job) // [] — valid

// Does a node still take these allocations, and how well do they pack it?
const node = mockNode() // 4000 MHz, 8 GiB, port 22 reserved
const allocs = [mockAlloc(), mockAlloc()]
allocs[1]!.AllocatedResources!.Tasks!['web']!.Networks![0]!.ReservedPorts = [{ Label: 'admin', Value: 5001, To: 0 }]
allocs[1]!.AllocatedResources!.Tasks!['web']!.Networks![0]!.DynamicPorts = [{ Label: 'http', Value: 9877, To: 0 }]
const fit = allocsFit(node, allocs) // { fits: true, dimension: '', used }
const score = scoreFitBinPack(node, fit.used) // in [0, 1]; fuller nodes score higher

// A dynamic port for a new allocation, avoiding every port in use on the node.
const idx = new NetworkIndex()
idx.setNode(node)
idx.addAllocs(allocs)
const offer = idx.assignNetwork({ Mode: '', Device: '', CIDR: '', IP: '', MBits: 10, DynamicPorts: [{ Label: 'http', Value: 0, To: -1 }] }, { int: (n) => Math.floor(Math.random() * n) })

// The Raft log entry Nomad writes for a job registration, and back.
const entry = encodeMessage(MessageType.JobRegisterRequestType, { Job: job, EnforceIndex: false, JobModifyIndex: 0, PolicyOverride: false, Region: 'global' })
const { type, body } = decodeMessage<JobRegisterRequest>(entry)

export const result = { region: job.Region, priority: job.Priority, problems, fits: fit.fits, score, port: offer.DynamicPorts![0]!.Value, type, jobID: body.Job!.ID }
