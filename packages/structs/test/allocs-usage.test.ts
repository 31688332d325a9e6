import { describe, expect, it } from 'vitest'
import { addToAllocsUsage, allocsUsage, mockAlloc, mockNode, type Allocation, type NetworkResource } from '../src/index.js'

function allocUsing(cpu: number, mem: number, disk: number, port?: number): Allocation {
  const a = mockAlloc()
  const Networks: NetworkResource[] = port === undefined ? [] : [{ Mode: '', Device: 'eth0', CIDR: '', IP: '192.168.0.100', MBits: 10, ReservedPorts: [{ Label: 'p', Value: port, To: 0 }] }]
  a.AllocatedResources = { Tasks: { web: { Cpu: { CpuShares: cpu }, Memory: { MemoryMB: mem }, Networks } }, Shared: { DiskMB: disk } }
  return a
}

describe('allocsUsage', () => {
  it('totals the non-terminal allocations and adds more in place', () => {
    const node = mockNode()
    const stopped = allocUsing(1000, 1000, 1000)
    stopped.DesiredStatus = 'stop'
    const usage = allocsUsage(node, [allocUsing(100, 200, 300), stopped])
    expect([usage.cpu, usage.memory, usage.disk, usage.collide]).toEqual([100, 200, 300, false])
    addToAllocsUsage(usage, [allocUsing(1, 2, 3, 8000)])
    expect([usage.cpu, usage.memory, usage.disk, usage.collide]).toEqual([101, 202, 303, false])
    addToAllocsUsage(usage, [allocUsing(0, 0, 0, 8000)])
    expect(usage.collide).toBe(true)
  })
})
