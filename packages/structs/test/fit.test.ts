import { SeededRandom } from '@nomadic/runtime'
import { describe, expect, it } from 'vitest'
import {
  NetworkAssignError,
  NetworkIndex,
  allocComparableResources,
  allocsFit,
  computeNodeClass,
  escapedConstraints,
  mockAlloc,
  mockNode,
  parsePortRanges,
  PortSpecError,
  scoreFitBinPack,
  scoreFitBinPackRaw,
  binPackFitOfFree,
  spreadFitOfFree,
  freeFractions,
  scoreFitSpread,
  scoreFitSpreadRaw,
  usedResources,
  usedCpuMemDisk,
  type Allocation,
  type Node,
} from '../src/index.js'

function allocUsing(cpu: number, mem: number, disk = 0): Allocation {
  const a = mockAlloc()
  a.AllocatedResources = { Tasks: { web: { Cpu: { CpuShares: cpu }, Memory: { MemoryMB: mem } } }, Shared: { DiskMB: disk } }
  return a
}

describe('allocsFit', () => {
  it('fits within the node minus its reserved resources', () => {
    const node = mockNode() // 4000 cpu (100 reserved), 8192 MB (256 reserved), 102400 MB disk (4096 reserved)
    expect(allocsFit(node, [allocUsing(3900, 7936, 98304)]).fits).toBe(true)
    expect(allocsFit(node, [allocUsing(3901, 100)])).toMatchObject({ fits: false, dimension: 'cpu' })
    expect(allocsFit(node, [allocUsing(100, 7937)])).toMatchObject({ fits: false, dimension: 'memory' })
    expect(allocsFit(node, [allocUsing(100, 100, 98305)])).toMatchObject({ fits: false, dimension: 'disk' })
  })

  it('ignores terminal allocations and sums the rest', () => {
    const node = mockNode()
    const big = allocUsing(3000, 100)
    const stopped = { ...allocUsing(3000, 100), DesiredStatus: 'stop' }
    const lost = { ...allocUsing(3000, 100), ClientStatus: 'lost' }
    const r = allocsFit(node, [big, stopped, lost])
    expect(r.fits).toBe(true)
    expect(r.used.Flattened.Cpu.CpuShares).toBe(3000)
    expect(allocsFit(node, [big, allocUsing(1000, 1)])).toMatchObject({ fits: false, dimension: 'cpu' })
  })

  it('finds reserved-port collisions with other allocs and the node', () => {
    const node = mockNode()
    const a = mockAlloc()
    const b = mockAlloc() // same ports 5000 and 9876 on the same IP
    expect(allocsFit(node, [a]).fits).toBe(true)
    expect(allocsFit(node, [a, b])).toMatchObject({ fits: false, dimension: 'reserved port collision' })
    const onSsh = mockAlloc()
    onSsh.AllocatedResources!.Tasks!.web!.Networks![0]!.ReservedPorts = [{ Label: 'ssh', Value: 22, To: 0 }]
    expect(allocsFit(node, [onSsh])).toMatchObject({ fits: false, dimension: 'reserved port collision' })
  })

  it('finds bandwidth overcommit', () => {
    const node = mockNode() // eth0 1000 Mbit
    const allocs = Array.from({ length: 21 }, (_, i) => {
      const a = mockAlloc()
      const net = a.AllocatedResources!.Tasks!.web!.Networks![0]!
      net.ReservedPorts = [{ Label: 'p', Value: 6000 + i, To: 0 }]
      net.DynamicPorts = [{ Label: 'd', Value: 21000 + i, To: 0 }]
      a.AllocatedResources!.Tasks!.web!.Cpu.CpuShares = 1
      a.AllocatedResources!.Tasks!.web!.Memory.MemoryMB = 1
      return a
    })
    expect(allocsFit(node, allocs.slice(0, 20)).fits).toBe(true) // 20 × 50 = 1000
    expect(allocsFit(node, allocs)).toMatchObject({ fits: false, dimension: 'bandwidth exceeded' })
  })

  it('checks device instances when asked', () => {
    const node = mockNode()
    node.NodeResources!.Devices = [{ Vendor: 'nvidia', Type: 'gpu', Name: '1080ti', Instances: [{ ID: 'g0', Healthy: true, HealthDescription: '' }] }]
    const withGpu = (): Allocation => {
      const a = allocUsing(10, 10)
      a.AllocatedResources!.Tasks!.web!.Devices = [{ Vendor: 'nvidia', Type: 'gpu', Name: '1080ti', DeviceIDs: ['g0'] }]
      return a
    }
    expect(allocsFit(node, [withGpu(), withGpu()], undefined, false).fits).toBe(true)
    expect(allocsFit(node, [withGpu(), withGpu()], undefined, true)).toMatchObject({ fits: false, dimension: 'device oversubscribed' })
  })
})

describe('comparable resources', () => {
  it('counts prestart ephemeral tasks as the max with the main tasks and sidecars on top', () => {
    const a = mockAlloc()
    a.AllocatedResources = {
      Tasks: {
        main: { Cpu: { CpuShares: 500 }, Memory: { MemoryMB: 100 } },
        init: { Cpu: { CpuShares: 1000 }, Memory: { MemoryMB: 50 } },
        side: { Cpu: { CpuShares: 10 }, Memory: { MemoryMB: 10 } },
      },
      TaskLifecycles: { init: { Hook: 'prestart', Sidecar: false }, side: { Hook: 'prestart', Sidecar: true } },
      Shared: { DiskMB: 300 },
    }
    const c = allocComparableResources(a)
    expect(c.Flattened.Cpu.CpuShares).toBe(1010)
    expect(c.Flattened.Memory.MemoryMB).toBe(110)
    expect(c.Shared.DiskMB).toBe(300)
    const fast = usedCpuMemDisk([a, mockAlloc()])
    const full = usedResources([a, mockAlloc()])
    expect(fast.Flattened.Cpu).toEqual(full.Flattened.Cpu)
    expect(fast.Flattened.Memory).toEqual(full.Flattened.Memory)
    expect(fast.Shared.DiskMB).toBe(full.Shared.DiskMB)
  })

  it('falls back to the pre-0.9 task resources', () => {
    const a = mockAlloc()
    a.AllocatedResources = null
    a.TaskResources = { web: { CPU: 200, MemoryMB: 64, DiskMB: 0, IOPS: 0 }, log: { CPU: 50, MemoryMB: 16, DiskMB: 0, IOPS: 0 } }
    a.SharedResources = { CPU: 0, MemoryMB: 0, DiskMB: 150, IOPS: 0 }
    expect(usedResources([a]).Flattened.Cpu.CpuShares).toBe(250)
    expect(usedResources([a]).Shared.DiskMB).toBe(150)
  })
})

describe('scoring', () => {
  function nodeWith(cpu: number, mem: number): Node {
    const n = mockNode()
    n.NodeResources!.Cpu.CpuShares = cpu
    n.NodeResources!.Memory.MemoryMB = mem
    n.ReservedResources = null
    return n
  }
  it('bin-packs: full nodes score 18 (1.0), empty nodes 0', () => {
    const node = nodeWith(2000, 2048)
    const full = usedResources([allocUsing(2000, 2048)])
    const empty = usedResources([])
    const half = usedResources([allocUsing(1000, 1024)])
    expect(scoreFitBinPackRaw(node, full)).toBe(18)
    expect(scoreFitBinPack(node, full)).toBe(1)
    expect(scoreFitBinPackRaw(node, empty)).toBe(0)
    expect(scoreFitBinPackRaw(node, half)).toBeCloseTo(20 - 2 * 10 ** 0.5, 10)
    expect(scoreFitBinPack(node, half)).toBeCloseTo((20 - 2 * 10 ** 0.5) / 18, 10)
  })
  it('spreads: empty nodes score 18, full nodes 0', () => {
    const node = nodeWith(2000, 2048)
    expect(scoreFitSpreadRaw(node, usedResources([]))).toBe(18)
    expect(scoreFitSpread(node, usedResources([allocUsing(2000, 2048)]))).toBe(0)
    expect(scoreFitSpreadRaw(node, usedResources([allocUsing(1000, 1024)]))).toBeCloseTo(2 * 10 ** 0.5 - 2, 10)
  })
  it('subtracts reserved resources from capacity', () => {
    const node = mockNode()
    const util = usedResources([allocUsing(3900, 7936)])
    expect(scoreFitBinPackRaw(node, util)).toBe(18)
  })
})

describe('NetworkIndex', () => {
  it('assigns free dynamic ports and keeps reserved ones', () => {
    const node = mockNode()
    const idx = new NetworkIndex()
    expect(idx.setNode(node)).toBe(false)
    expect(idx.addAllocs([mockAlloc()])).toBe(false)
    const offer = idx.assignNetwork(
      { Mode: '', Device: '', CIDR: '', IP: '', MBits: 100, ReservedPorts: [{ Label: 'main', Value: 8000, To: 0 }], DynamicPorts: [{ Label: 'a', Value: 0, To: -1 }, { Label: 'b', Value: 0, To: 0 }] },
      new SeededRandom(7),
    )
    expect(offer.IP).toBe('192.168.0.100')
    expect(offer.Device).toBe('eth0')
    const [a, b] = offer.DynamicPorts!
    expect(a!.Value).toBeGreaterThanOrEqual(20000)
    expect(a!.Value).toBeLessThanOrEqual(32000)
    expect(a!.To).toBe(a!.Value)
    expect(b!.Value).not.toBe(a!.Value)
    expect(b!.To).toBe(0)
    expect(idx.addReserved(offer)).toBe(false)
    expect(idx.portUsed('192.168.0.100', a!.Value)).toBe(true)
  })

  it('reports Nomad reasons when it cannot assign', () => {
    const idx = new NetworkIndex()
    idx.setNode(mockNode())
    const rnd = new SeededRandom(1)
    const ask = (ports: number[], mbits = 1) => ({ Mode: '', Device: '', CIDR: '', IP: '', MBits: mbits, ReservedPorts: ports.map((p) => ({ Label: `p${p}`, Value: p, To: 0 })) })
    expect(() => idx.assignNetwork(ask([22]), rnd)).toThrow(new NetworkAssignError('reserved port collision p22=22'))
    expect(() => idx.assignNetwork(ask([70000]), rnd)).toThrow('invalid port 70000 (out of range)')
    expect(() => idx.assignNetwork(ask([], 1001), rnd)).toThrow('bandwidth exceeded')
    expect(() => new NetworkIndex().assignNetwork(ask([]), rnd)).toThrow('no networks available')
  })

  it('falls back to scanning when few dynamic ports are left', () => {
    const idx = new NetworkIndex()
    idx.setNode(mockNode())
    const all = Array.from({ length: 12001 }, (_, i) => ({ Label: `x${i}`, Value: 20000 + i, To: 0 }))
    const keep = all.filter((p) => p.Value !== 31000)
    idx.addReserved({ Mode: '', Device: 'eth0', CIDR: '', IP: '192.168.0.100', MBits: 0, ReservedPorts: keep })
    const offer = idx.assignNetwork({ Mode: '', Device: '', CIDR: '', IP: '', MBits: 0, DynamicPorts: [{ Label: 'd', Value: 0, To: 0 }] }, new SeededRandom(3))
    expect(offer.DynamicPorts![0]!.Value).toBe(31000)
    expect(() =>
      idx.assignNetwork({ Mode: '', Device: '', CIDR: '', IP: '', MBits: 0, DynamicPorts: [{ Label: 'd', Value: 0, To: 0 }, { Label: 'e', Value: 0, To: 0 }] }, new SeededRandom(3)),
    ).toThrow('dynamic port selection failed')
  })
})

describe('parsePortRanges', () => {
  it('parses lists and ranges', () => {
    expect(parsePortRanges('80, 22,1000-1002,80')).toEqual([22, 80, 1000, 1001, 1002])
    expect(parsePortRanges('')).toEqual([])
  })
  it('rejects malformed specs', () => {
    expect(() => parsePortRanges('a')).toThrow(PortSpecError)
    expect(() => parsePortRanges('10-5')).toThrow('invalid range')
    expect(() => parsePortRanges('70000')).toThrow('port must be < 65536')
    expect(() => parsePortRanges('1-2-3')).toThrow(PortSpecError)
  })
})

describe('computed node class', () => {
  it('ignores unique attributes and per-node fields, not class fields', () => {
    const a = mockNode()
    const b = mockNode()
    b.Name = 'other'
    b.Attributes!['unique.hostname'] = 'b'
    b.Meta!['unique.id'] = 'x'
    expect(computeNodeClass(a)).toMatch(/^v1:\d+$/)
    expect(computeNodeClass(b)).toBe(computeNodeClass(a))
    b.Attributes!['kernel.name'] = 'darwin'
    expect(computeNodeClass(b)).not.toBe(computeNodeClass(a))
    const c = mockNode()
    c.Datacenter = 'dc2'
    expect(computeNodeClass(c)).not.toBe(computeNodeClass(a))
  })
  it('does not depend on map order', () => {
    const a = mockNode()
    const b = mockNode()
    b.Attributes = Object.fromEntries(Object.entries(b.Attributes!).reverse())
    expect(computeNodeClass(b)).toBe(computeNodeClass(a))
  })
  it('finds constraints that escape the class', () => {
    const cs = [
      { LTarget: '${attr.unique.hostname}', RTarget: 'x', Operand: '=' },
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
    ]
    expect(escapedConstraints(cs)).toEqual([cs[0]])
  })
})

describe('binPackFitOfFree and spreadFitOfFree', () => {
  it('score the free fractions as scoreFitBinPackRaw and scoreFitSpreadRaw score the node', () => {
    const node = mockNode()
    const random = new SeededRandom(5)
    for (let i = 0; i < 200; i++) {
      const util = usedCpuMemDisk([])
      util.Flattened.Cpu.CpuShares = random.int(5000)
      util.Flattened.Memory.MemoryMB = random.int(10000)
      const free = freeFractions(node, util)
      expect(binPackFitOfFree(free.cpu, free.memory)).toBe(scoreFitBinPackRaw(node, util))
      expect(spreadFitOfFree(free.cpu, free.memory)).toBe(scoreFitSpreadRaw(node, util))
    }
    expect(binPackFitOfFree(Number.NaN, 0)).toBe(0)
    expect(binPackFitOfFree(-5, -5)).toBe(18)
  })
})
