import { describe, expect, it } from 'vitest'
import { SeededRandom } from '@nomadic/runtime'
import { canAssignOnHeadroom, mockAlloc, mockNode, NetworkIndex, type NetworkResource } from '../src/index.js'

const ask = (change: Partial<NetworkResource> = {}): NetworkResource =>
  ({ Mode: '', Device: '', CIDR: '', IP: '', MBits: 50, DynamicPorts: [{ Label: 'http', Value: 0, To: 0 }], ...change })

describe('NetworkIndex.canAssign', () => {
  it('agrees with assignNetwork on bandwidth, reserved ports and free dynamic ports', () => {
    const node = mockNode()
    const idx = new NetworkIndex()
    idx.setNode(node)
    idx.addAllocs([{ ...mockAlloc(), NodeID: node.ID }])
    const random = new SeededRandom(3)
    const cases = [
      ask(),
      ask({ MBits: 2000 }),
      ask({ ReservedPorts: [{ Label: 'ssh', Value: 22, To: 0 }] }), // the node reserves 22
      ask({ ReservedPorts: [{ Label: 'admin', Value: 5000, To: 0 }] }), // the mock alloc uses 5000
      ask({ ReservedPorts: [{ Label: 'x', Value: 7000, To: 0 }] }),
      ask({ DynamicPorts: Array.from({ length: 12002 }, (_, i) => ({ Label: `p${i}`, Value: 0, To: 0 })) }),
    ]
    for (const a of cases) {
      let reason: string | undefined
      try {
        idx.assignNetwork(a, random)
      } catch (err) {
        reason = (err as Error).message
      }
      expect(idx.canAssign(a)).toBe(reason)
    }
  })
})

describe('NetworkIndex.copy', () => {
  it('is independent of the original', () => {
    const node = mockNode()
    const idx = new NetworkIndex()
    idx.setNode(node)
    const copy = idx.copy()
    const offer = copy.assignNetwork(ask({ ReservedPorts: [{ Label: 'x', Value: 7000, To: 0 }] }), new SeededRandom(1))
    copy.addReserved(offer)
    expect(copy.portUsed(offer.IP, 7000)).toBe(true)
    expect(idx.portUsed(offer.IP, 7000)).toBe(false)
    expect(copy.usedBandwidth.get('eth0')).toBe(50)
    expect(idx.usedBandwidth.get('eth0') ?? 0).toBe(0)
    expect(copy.portUsed(offer.IP, 22)).toBe(true) // the node's reserved port came along
  })
})

describe('NetworkIndex.copy, many times over', () => {
  it('keeps every copy independent however deep the copies go', () => {
    const node = mockNode()
    const random = new SeededRandom(3)
    const root = new NetworkIndex()
    root.setNode(node)
    // Each generation copies the last and adds ports of its own; every index must see exactly
    // its ancestors' ports and its own, none of its descendants'.
    const chain: Array<{ idx: NetworkIndex; ports: number[] }> = [{ idx: root, ports: [22] }]
    for (let g = 1; g < 20; g++) {
      const parent = chain[chain.length - 1]!
      const idx = parent.idx.copy()
      const own: number[] = []
      for (let k = 0; k < 3; k++) {
        const offer = idx.assignNetwork(ask({ MBits: 1 }), random)
        expect(idx.addReserved(offer)).toBe(false)
        own.push(offer.DynamicPorts![0]!.Value)
      }
      // The parent gains a port after the copy: the copy must not see it.
      const late = parent.idx.assignNetwork(ask({ MBits: 1 }), random)
      parent.idx.addReserved(late)
      parent.ports.push(late.DynamicPorts![0]!.Value)
      chain.push({ idx, ports: [...parent.ports.slice(0, -1), ...own] })
    }
    for (const { idx, ports } of chain) {
      for (const { ports: other } of chain) {
        for (const p of other) expect(idx.portUsed('192.168.0.100', p)).toBe(ports.includes(p))
      }
    }
  })
})

describe('NetworkIndex.headroom and canAssignOnHeadroom', () => {
  it('answer as canAssign does whenever they answer at all', () => {
    const random = new SeededRandom(9)
    let answered = 0
    for (let i = 0; i < 300; i++) {
      const node = mockNode()
      node.NodeResources!.Networks![0]!.MBits = 100 + random.int(400)
      const idx = new NetworkIndex()
      idx.setNode(node)
      for (let k = random.int(12); k > 0; k--) {
        const taken = ask({ MBits: random.int(60), ReservedPorts: null, DynamicPorts: [{ Label: 'p', Value: 0, To: 0 }] })
        if (idx.canAssign(taken) !== undefined) break
        idx.addReserved(idx.assignNetwork(taken, random))
      }
      const h = idx.headroom()
      expect(h).toBeDefined()
      const a = ask({
        MBits: random.int(120),
        ReservedPorts: random.int(4) === 0 ? [{ Label: 'r', Value: 22, To: 0 }] : null,
        DynamicPorts: Array.from({ length: random.int(3) }, (_, j) => ({ Label: `d${j}`, Value: 0, To: 0 })),
      })
      const quick = canAssignOnHeadroom(h!, a)
      if (quick === null) continue
      answered++
      expect(quick).toBe(idx.canAssign(a))
    }
    expect(answered).toBeGreaterThan(150)
  })

  it('has nothing to say of a node with no networks or several addresses', () => {
    const bare = new NetworkIndex()
    bare.setNode({ ...mockNode(), NodeResources: { ...mockNode().NodeResources!, Networks: [] } })
    expect(bare.headroom()).toBeUndefined()
    const wide = new NetworkIndex()
    wide.setNode({ ...mockNode(), NodeResources: { ...mockNode().NodeResources!, Networks: [{ Mode: 'host', Device: 'eth0', CIDR: '10.0.0.0/30', IP: '', MBits: 1000 }] } })
    expect(wide.headroom()).toBeUndefined()
  })
})

describe('NetworkIndex.checkAllocs', () => {
  it('answers what addAllocs and overcommitted would, and changes nothing', () => {
    const random = new SeededRandom(13)
    const withPorts = (mbits: number, device: string, ports: number[]) => {
      const a = mockAlloc()
      a.AllocatedResources!.Tasks!['web']!.Networks = [{ Mode: '', Device: device, CIDR: '', IP: '192.168.0.100', MBits: mbits, ReservedPorts: ports.map((p) => ({ Label: `p${p}`, Value: p, To: 0 })), DynamicPorts: null }]
      return a
    }
    const seen = new Set<string>()
    for (let i = 0; i < 300; i++) {
      const idx = new NetworkIndex()
      idx.setNode(mockNode())
      const port = (): number => (random.int(20) === 0 ? 70000 : 8000 + random.int(15))
      idx.addAllocs(Array.from({ length: random.int(5) }, () => withPorts(random.int(300), 'eth0', [port()])))
      const more = Array.from({ length: 1 + random.int(3) }, () => withPorts(random.int(400), random.int(6) === 0 ? 'eth9' : 'eth0', [port(), port()]))
      const before = idx.copy()
      const answer = idx.checkAllocs(more)
      const copy = idx.copy()
      const collide = copy.addAllocs(more)
      expect(answer).toEqual({ collide, overcommitted: copy.overcommitted() })
      seen.add(JSON.stringify(answer))
      // The index is as it was.
      for (let p = 7990; p < 8020; p++) expect(idx.portUsed('192.168.0.100', p)).toBe(before.portUsed('192.168.0.100', p))
      expect([...idx.usedBandwidth]).toEqual([...before.usedBandwidth])
    }
    expect(seen.size).toBe(4) // every combination of the two answers came up
  })
})
