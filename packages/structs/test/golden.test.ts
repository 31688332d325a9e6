import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CodecError,
  GoTime,
  MessageType,
  decodeMessage,
  encodeMessage,
  isZeroTime,
  marshalGoTime,
  type Allocation,
  type ApplyPlanResultsRequest,
  type EvalUpdateRequest,
  type JobRegisterRequest,
  type NodeRegisterRequest,
} from '../src/index.js'

interface Vector {
  name: string
  type: number
  hex: string
}

/** Golden FSM messages written by test/golden/gen.go with Debian's go-msgpack and Nomad's handle settings. */
const vectors: Vector[] = JSON.parse(readFileSync(new URL('./golden/vectors.json', import.meta.url), 'utf8'))

function vector(name: string): Buffer {
  return Buffer.from(vectors.find((v) => v.name === name)!.hex, 'hex')
}

const t1ms = Date.UTC(2020, 6, 8, 12, 30, 45, 123)

describe('golden vectors from Go', () => {
  it('re-encode byte for byte (exact int64 mode)', () => {
    for (const v of vectors) {
      const bytes = Buffer.from(v.hex, 'hex')
      const msg = decodeMessage(bytes, { exactInt64: true })
      const again = encodeMessage(msg.type, msg.body, { ignoreUnknown: msg.ignoreUnknown })
      expect(again.toString('hex'), v.name).toBe(v.hex)
    }
  })

  it('decode a node registration: times, durations, flattened WriteRequest and DrainSpec', () => {
    const msg = decodeMessage<NodeRegisterRequest>(vector('node-register'))
    expect(msg.type).toBe(MessageType.NodeRegisterRequestType)
    expect(msg.ignoreUnknown).toBe(false)
    expect(msg.body.Region).toBe('global')
    expect(msg.body.AuthToken).toBe('tok')
    expect(msg.body.Forwarded).toBe(false)
    const node = msg.body.Node!
    expect(node.NodeResources?.Cpu.CpuShares).toBe(4000)
    expect(node.ReservedResources?.Networks.ReservedHostPorts).toBe('22,8000-8002')
    expect(node.DrainStrategy?.Deadline).toBe(3_600_000_000_000)
    expect(node.DrainStrategy?.IgnoreSystemJobs).toBe(true)
    const started = node.DrainStrategy!.StartedAt as GoTime
    expect(started).toBeInstanceOf(GoTime)
    expect(started.getTime()).toBe(t1ms)
    expect(started.nanosecond).toBe(123456789)
    expect(started.offsetMinutes).toBe(-1)
    const force = node.DrainStrategy!.ForceDeadline as GoTime
    expect(force.toISOString()).toBe('2020-07-08T12:00:00.000Z')
    expect(force.offsetMinutes).toBe(120)
    expect(node.Events![0]!.Timestamp.getTime()).toBe(t1ms)
    expect(node.Drivers!['docker']!.UpdateTime.getTime()).toBe(t1ms)
    expect(node.CSIControllerPlugins).toBeNull()
  })

  it('decode a job registration: []byte payload, ports, int8 weights, 64-bit submit time', () => {
    const msg = decodeMessage<JobRegisterRequest>(vector('job-register'))
    expect(msg.type).toBe(MessageType.JobRegisterRequestType)
    const job = msg.body.Job!
    expect(Buffer.from(job.Payload!)).toEqual(Buffer.from([0, 1, 0xfe, 0xff, 0x68, 0x69]))
    expect(job.Affinities![0]!.Weight).toBe(-50)
    expect(job.Spreads![0]!.SpreadTarget![0]!.Percent).toBe(70)
    expect(job.SubmitTime).toBe(1594211445123456789) // rounded to the nearest double by default
    const tg = job.TaskGroups![0]!
    expect(tg.ShutdownDelay).toBe(5_000_000_000)
    expect(tg.Networks![0]!.DynamicPorts![0]).toEqual({ Label: 'http', Value: 0, To: -1, HostNetwork: 'default' })
    expect(tg.Tasks![0]!.Config).toEqual({ image: 'redis:3.2' })
    expect(job.Update.Stagger).toBe(30_000_000_000)
    const exact = decodeMessage<JobRegisterRequest>(vector('job-register'), { exactInt64: true })
    expect(exact.body.Job!.SubmitTime).toBe(1594211445123456789n)
  })

  it('decode evaluations, filling the fields omitempty left out', () => {
    const msg = decodeMessage<EvalUpdateRequest>(vector('eval-update'))
    const [ev, zero] = msg.body.Evals!
    expect(ev!.Status).toBe('blocked')
    expect(ev!.Wait).toBe(20_000_000_000)
    expect(ev!.WaitUntil.getTime()).toBe(t1ms)
    expect(ev!.ClassEligibility).toEqual({ 'v1:1234567890123456789': true })
    expect(ev!.EscapedComputedClass).toBe(true)
    expect(ev!.SnapshotIndex).toBe(299)
    expect(ev!.NodeID).toBe('')
    expect(zero!.Priority).toBe(200)
    expect(zero!.JobModifyIndex).toBe(0)
    expect(zero!.DeploymentID).toBe('')
    expect(zero!.EscapedComputedClass).toBe(false)
    expect(isZeroTime(zero!.WaitUntil)).toBe(true)
  })

  it('decode plan results with allocations, task states and deployments', () => {
    const msg = decodeMessage<ApplyPlanResultsRequest>(vector('apply-plan-results'))
    expect(msg.type).toBe(MessageType.ApplyPlanResultsRequestType)
    const alloc = msg.body.AllocsUpdated![0] as Allocation
    expect(alloc.Name).toBe('example.cache[0]')
    expect(alloc.AllocatedResources?.Tasks?.['redis']?.Cpu.CpuShares).toBe(500)
    expect(alloc.AllocatedResources?.TaskLifecycles).toEqual({ redis: null })
    expect(alloc.DesiredTransition).toEqual({ Migrate: true, Reschedule: null, ForceReschedule: null })
    const ts = alloc.TaskStates!['redis']!
    expect(ts.Restarts).toBe(1)
    expect(isZeroTime(ts.FinishedAt)).toBe(true)
    expect(ts.Events![0]!.ExitCode).toBe(-1)
    expect(alloc.DeploymentStatus?.Healthy).toBe(false)
    expect(alloc.AllocStates![0]!.Time.getTime()).toBe(t1ms)
    expect(alloc.RescheduleTracker?.Events![0]!.Delay).toBe(30_000_000_000)
    expect(alloc.NextAllocation).toBe('')
    expect(msg.body.Deployment!.TaskGroups!['cache']!.RequireProgressBy.getTime()).toBe(t1ms)
    const stopped = msg.body.AllocsStopped![0]!
    expect(stopped).toMatchObject({ ID: 'a-stop', ClientStatus: 'complete', FollowupEvalID: 'e-follow', DesiredStatus: '' })
    expect(msg.body.PreemptionEvals![0]!.JobID).toBe('eval-gc')
    expect(msg.body.EvalID).toBe(alloc.EvalID)
  })

  it('decode the ignore-unknown flag', () => {
    const msg = decodeMessage(vector('ignore-unknown'))
    expect(msg.type).toBe(99)
    expect(msg.ignoreUnknown).toBe(true)
    expect(msg.body).toEqual({ Evals: ['x'], Allocs: null, AuthToken: '', Forwarded: false, Namespace: '', Region: '' })
  })
})

describe('integer forms', () => {
  it('reads positive integers in Go 1.1.x signed forms as well as unsigned ones', () => {
    const key = (k: string) => Buffer.concat([Buffer.from([0xa0 | k.length]), Buffer.from(k)])
    const entry = Buffer.concat([
      Buffer.from([6, 0x81]),
      key('Evals'),
      Buffer.from([0x91, 0x84]),
      key('Priority'), Buffer.from([0xd0, 0x32]), // int8 50
      key('JobModifyIndex'), Buffer.from([0xd1, 0x01, 0x2c]), // int16 300
      key('CreateIndex'), Buffer.from([0xd2, 0x00, 0x01, 0x86, 0xa0]), // int32 100000
      key('CreateTime'), Buffer.from([0xd3, 0x16, 0x20, 0x19, 0x6c, 0x5f, 0x6f, 0xd7, 0x15]), // int64
    ])
    const ev = decodeMessage<EvalUpdateRequest>(entry, { exactInt64: true }).body.Evals![0]!
    expect(ev.Priority).toBe(50)
    expect(ev.JobModifyIndex).toBe(300)
    expect(ev.CreateIndex).toBe(100000)
    expect(ev.CreateTime).toBe(0x1620196c5f6fd715n)
  })
})

describe('bounded decoding', () => {
  it('rejects a declared length beyond the bytes present without allocating', () => {
    // type byte + map32 header claiming 2^32-1 entries
    const bad = Buffer.from([6, 0xdf, 0xff, 0xff, 0xff, 0xff])
    expect(() => decodeMessage(bad)).toThrow(CodecError)
    const str = Buffer.from([6, 0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41])
    expect(() => decodeMessage(str)).toThrow(CodecError)
  })
  it('rejects empty entries, non-map bodies, trailing bytes and oversize input', () => {
    expect(() => decodeMessage(Buffer.alloc(0))).toThrow('empty FSM message')
    expect(() => decodeMessage(Buffer.from([6, 0x93, 1, 2, 3]))).toThrow('not a map')
    expect(() => decodeMessage(Buffer.from([6, 0x80, 0x80]))).toThrow(CodecError)
    expect(() => decodeMessage(vector('eval-update'), { maxBytes: 100 })).toThrow('exceeds the limit')
    expect(() => decodeMessage(vector('eval-update'), { maxItems: 1 })).toThrow(CodecError)
  })
  it('every truncation of a golden vector fails cleanly', () => {
    const full = vector('apply-plan-results')
    for (let n = 1; n < full.length; n += 7) {
      expect(() => decodeMessage(full.subarray(0, n))).toThrow(CodecError)
    }
  })
  it('rejects a malformed Go time', () => {
    const good = marshalGoTime(new Date(0)).toString('hex')
    const hex = encodeMessage(6, { Evals: [{ ID: 'x', WaitUntil: new Date(0) }] }).toString('hex')
    expect(hex).toContain(good)
    const bad = Buffer.from(hex.replace(good, `09${good.slice(2)}`), 'hex') // version byte 9
    expect(() => decodeMessage(bad)).toThrow('not a Go binary time')
  })
})

describe('encodeMessage', () => {
  it('writes Dates as Go binary times and omits empty eval fields', () => {
    const bytes = encodeMessage(MessageType.EvalUpdateRequestType, { Evals: [{ ID: 'e1', Status: 'pending', Priority: 0, WaitUntil: new Date(t1ms), NodeID: '' }], EvalToken: '' })
    expect(bytes[0]).toBe(6)
    const hex = bytes.toString('hex')
    expect(hex).not.toContain(Buffer.from('NodeID').toString('hex'))
    expect(hex).not.toContain(Buffer.from('Priority').toString('hex'))
    expect(hex).toContain('af01') // 15-byte raw string, version 1
    const back = decodeMessage<EvalUpdateRequest>(bytes)
    expect(back.body.Evals![0]!.WaitUntil.getTime()).toBe(t1ms)
    expect(back.body.Evals![0]!.Priority).toBe(0)
  })
  it('sets the ignore-unknown flag and checks the type', () => {
    expect(encodeMessage(40, {}, { ignoreUnknown: true })[0]).toBe(168)
    expect(() => encodeMessage(128, {})).toThrow(CodecError)
    expect(() => encodeMessage(-1, {})).toThrow(CodecError)
  })
})
