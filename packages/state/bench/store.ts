/**
 * State store benchmark (C1M-shaped): 5,000 nodes, 1,000 service jobs, 1,000,000 allocations
 * upserted in batches of 1,000 (one plan's worth each). Prints one JSON line:
 *   upsertAllocsPerSec  allocations written per second through upsertAllocs (all side rules on)
 *   upsertAllocsPerCpuSec  the same per CPU-second of the process while filling (batch building included)
 *   upsertAllocsPerWriteCpuSec  per CPU-second spent inside upsertAllocs (what the rate would be
 *                       on a core of its own; GC helper threads running meanwhile are counted too)
 *   gcShareOfWrites     share of the writing time spent in V8 garbage-collection pauses
 *   upsertAllocsPerSecWithSnapshots  100 more batches with a snapshot held before each (copy-on-write)
 *   snapshotMicros      mean time to take a snapshot at 1,000,000 allocations
 *   bytesPerAlloc       heap growth per allocation (object + every index entry)
 *   watchWakeMicros     median time from the start of a write to the woken waiter running
 * Run: npm run bench -w @nomadic/state   (ALLOCS=100000 for a smaller run)
 */
import os from 'node:os'
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { mockAlloc, type Allocation, type Job, type Node } from '@nomadic/structs'
import { StateStore, WatchSet } from '../src/index.js'

const NODES = 5_000
const BATCH = 1_000
const ALLOCS = Number(process.env.ALLOCS ?? 1_000_000)
const JOBS = ALLOCS / BATCH

const gc = (globalThis as { gc?: () => void }).gc
function heapUsed(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

const HEX = [...'0123456789abcdef'].map((c) => c.charCodeAt(0))
const DASH = '-'.charCodeAt(0)
/**
 * Strings as a decoder hands them over: one flat string, not a tree of concatenated pieces (V8
 * keeps `a + b` as a rope until something reads its characters).
 */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1')
}
/** 32 bits mixed from a seed (splitmix-style), for UUIDs that look random but replay exactly. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d)
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b)
  return (x ^ (x >>> 16)) >>> 0
}
/** Deterministic random-looking UUIDv4s: Nomad's IDs are random, so inserts land all over the id index. */
function id(kind: number, n: number): string {
  const a = mix(kind * 0x9e3779b1 + n)
  const b = mix(a ^ 0x85ebca6b)
  const c = mix(b ^ 0xc2b2ae35)
  const d = mix(c ^ n)
  const codes: number[] = []
  for (const word of [a, b, c, d]) for (let shift = 28; shift >= 0; shift -= 4) codes.push(HEX[(word >>> shift) & 15]!)
  codes[12] = HEX[4]!
  codes[16] = HEX[8]!
  codes.splice(20, 0, DASH)
  codes.splice(16, 0, DASH)
  codes.splice(12, 0, DASH)
  codes.splice(8, 0, DASH)
  return String.fromCharCode(...codes)
}

function makeNode(i: number): Node {
  return {
    ID: id(1, i),
    SecretID: id(2, i),
    Datacenter: 'dc1',
    Name: flat(`node-${i}`),
    HTTPAddr: '10.0.0.1:4646',
    TLSEnabled: false,
    Attributes: { 'kernel.name': 'linux', 'cpu.arch': 'amd64', 'driver.docker': '1' },
    NodeResources: {
      Cpu: { CpuShares: 4000 },
      Memory: { MemoryMB: 8192 },
      Disk: { DiskMB: 100_000 },
      Networks: [],
    } as unknown as Node['NodeResources'],
    Meta: { rack: `r${i % 50}` },
    NodeClass: 'c1',
    ComputedClass: 'v1:1',
    Drain: false,
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: 1_600_000_000,
    CreateIndex: 0,
    ModifyIndex: 0,
  }
}

function makeJob(i: number): Job {
  return {
    Stop: false,
    Region: 'global',
    Namespace: 'default',
    ID: `c1m-job-${i}`,
    ParentID: '',
    Name: `c1m-job-${i}`,
    Type: 'service',
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'web', Count: BATCH, Tasks: [{ Name: 'web', Driver: 'docker' }] } as NonNullable<Job['TaskGroups']>[number]],
    Update: {} as Job['Update'],
    Dispatched: false,
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
  }
}

/** Nomad's mock allocation as the template; each allocation gets its own nested objects, as decoding gives. */
const template = mockAlloc()

function makeAlloc(job: Job, evalID: string, n: number, i: number): Allocation {
  const node = n % NODES
  return {
    ...template,
    ID: id(3, n),
    EvalID: evalID,
    Name: flat(`${job.ID}.web[${i}]`),
    NodeID: id(1, node),
    NodeName: flat(`node-${node}`),
    JobID: job.ID,
    Job: job,
    AllocatedResources: {
      Tasks: { web: { Cpu: { CpuShares: 100 }, Memory: { MemoryMB: 128 }, Networks: null, Devices: null } },
      Shared: { DiskMB: 300, Networks: null },
    } as unknown as Allocation['AllocatedResources'],
    Metrics: { NodesEvaluated: 2, NodesFiltered: 0, NodesExhausted: 0, AllocationTime: 12_000, CoalescedFailures: 0 },
    DesiredTransition: {},
  }
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

async function main(): Promise<void> {
  const store = new StateStore()
  let index = 1
  for (let i = 0; i < NODES; i++) store.upsertNode(index++, makeNode(i))
  for (let j = 0; j < JOBS; j++) store.upsertJob(index++, makeJob(j))
  const jobs = store.snapshot().jobs()

  const before = heapUsed()
  // GC pauses are reported after the fact; the write windows say which of them to count.
  const gcPauses: PerformanceEntry[] = []
  const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries()))
  gcObserver.observe({ entryTypes: ['gc'] })
  const windows: Array<[number, number]> = []
  const cpu0 = process.cpuUsage()
  let writeMs = 0
  let writeCpuMicros = 0
  let n = 0
  for (const job of jobs) {
    const evalID = id(4, n)
    const batch: Allocation[] = new Array(BATCH)
    for (let i = 0; i < BATCH; i++) batch[i] = makeAlloc(job, evalID, n++, i)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    store.upsertAllocs(index++, batch)
    const t1 = performance.now()
    const c1 = process.cpuUsage(c0)
    writeMs += t1 - t0
    writeCpuMicros += c1.user + c1.system
    windows.push([t0, t1])
  }
  const cpu = process.cpuUsage(cpu0)
  await new Promise((resolve) => setTimeout(resolve, 100))
  gcObserver.disconnect()
  let gcMs = 0
  let w = 0
  for (const pause of gcPauses.sort((a, b) => a.startTime - b.startTime)) {
    while (w < windows.length && windows[w]![1] < pause.startTime) w++
    if (w < windows.length && pause.startTime >= windows[w]![0]) gcMs += pause.duration
  }
  const gcShareOfWrites = gcMs / writeMs
  const after = heapUsed()
  const upsertAllocsPerSec = Math.round(n / (writeMs / 1000))
  // CPU seconds of the whole process (GC threads included) while filling, and only inside the
  // writes: on a shared machine these say more about the code than wall-clock time does.
  const upsertAllocsPerCpuSec = Math.round(n / ((cpu.user + cpu.system) / 1e6))
  const upsertAllocsPerWriteCpuSec = Math.round(n / (writeCpuMicros / 1e6))
  const bytesPerAlloc = Math.round((after - before) / n)

  // The same writes while schedulers hold snapshots: one taken before every batch, so every
  // batch writes copy-on-write. 100 more batches on top of the full store.
  const cowBatches = Math.min(100, jobs.length)
  let cowMs = 0
  const held: unknown[] = []
  for (let b = 0; b < cowBatches; b++) {
    const job = jobs[b]!
    const evalID = id(5, b)
    const batch: Allocation[] = new Array(BATCH)
    for (let i = 0; i < BATCH; i++) batch[i] = makeAlloc(job, evalID, n++, BATCH + i)
    held[b % 4] = store.snapshot()
    const t0 = performance.now()
    store.upsertAllocs(index++, batch)
    cowMs += performance.now() - t0
  }
  const upsertAllocsPerSecWithSnapshots = Math.round((cowBatches * BATCH) / (cowMs / 1000))
  void held

  const SNAPS = 100_000
  const keep: unknown[] = []
  const s0 = performance.now()
  for (let i = 0; i < SNAPS; i++) keep[i & 1023] = store.snapshot()
  const snapshotMicros = ((performance.now() - s0) * 1000) / SNAPS

  const wakes: number[] = []
  const sample = store.snapshot().allocsByNode(id(1, 0)).slice(0, 200)
  for (const alloc of sample) {
    const ws = new WatchSet()
    store.snapshot().allocsByNode(alloc.NodeID, ws)
    const t0 = performance.now()
    const woke = ws.wait()
    store.updateAllocsFromClient(index++, [{ ...alloc, ClientStatus: 'running' }])
    await woke
    wakes.push((performance.now() - t0) * 1000)
  }
  wakes.sort((a, b) => a - b)
  const watchWakeMicros = wakes[Math.floor(wakes.length / 2)]!

  process.stdout.write(
    JSON.stringify({
      allocs: store.snapshot().count('allocs'),
      nodes: NODES,
      batch: BATCH,
      upsertAllocsPerSec,
      upsertAllocsPerCpuSec,
      upsertAllocsPerWriteCpuSec,
      gcShareOfWrites: round(gcShareOfWrites),
      upsertAllocsPerSecWithSnapshots,
      snapshotMicros: round(snapshotMicros, 3),
      bytesPerAlloc,
      watchWakeMicros: round(watchWakeMicros),
      gcExposed: gc !== undefined,
      loadAverage1m: round(os.loadavg()[0]!),
      cpus: os.cpus().length,
      goals: { upsertAllocsPerSec: 100_000, snapshotMicros: 50, bytesPerAlloc: 2048 },
    }) + '\n',
  )
  void keep
}

await main()
