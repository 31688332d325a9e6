import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildGo, haveGo, kill, killAll, memberNames, post, sawEvent, startNode, views, waitUntil, get,
  type MemberJson, type RunningNode,
} from './procs.js'

// Mixed clusters of Go memberlist 0.2.2 nodes and nomadic nodes on 127.0.0.1.
beforeAll(() => {
  if (haveGo()) buildGo('gonode')
}, 180_000)

afterAll(() => killAll())

async function startMixed(count: number, key?: string): Promise<RunningNode[]> {
  const nodes: RunningNode[] = []
  for (let i = 0; i < count; i++) {
    const impl = i % 2 === 0 ? 'go' : 'ts'
    const name = `${impl}${Math.floor(i / 2) + 1}${key !== undefined ? 'e' : ''}`
    // Each node joins the previous one, so joins cross implementations every time.
    const join = nodes.length > 0 ? [nodes[nodes.length - 1]!.gossip] : undefined
    nodes.push(await startNode(impl, { name, join, key, tags: { impl }, env: { GOSSIP_DEBUG: '1' } }))
  }
  const all = nodes.map((n) => n.name).sort()
  await waitUntil('all nodes to see all', async () => {
    for (const n of nodes) if ((await memberNames(n)).join() !== all.join()) return false
    return true
  }, 60_000, () => views(nodes))
  return nodes
}

describe.skipIf(!haveGo())('mixed Go/TypeScript memberlist cluster (plain)', () => {
  let nodes: RunningNode[] = []
  beforeAll(async () => { nodes = await startMixed(6) }, 120_000)
  afterAll(() => { for (const n of nodes) kill(n) })

  it('all see all, with metadata both ways', async () => {
    for (const n of nodes) {
      const members = await get<MemberJson[]>(n, '/members')
      expect(members.length).toBe(6)
      for (const m of members) expect(m.tags.impl).toBe(m.name.replace(/\d.*$/, ''))
    }
  })

  // Leaves come before kills: memberlist's leave is best effort (the leaver sends its dead message
  // a few times and stops), and gossip to recently dead nodes could swallow all of those sends.
  it('a graceful leave is seen as a leave, both ways', async () => {
    const [go1, ts1, go2, ts2, go3, ts3] = nodes as [RunningNode, RunningNode, RunningNode, RunningNode, RunningNode, RunningNode]
    expect(await post(ts2, '/leave')).toBe(200)
    expect(await post(go2, '/leave')).toBe(200)
    await waitUntil('leaves to be seen', async () => {
      for (const observer of [go1, ts1, go3, ts3]) {
        if (!(await sawEvent(observer, 'member-leave', 'ts2')) || !(await sawEvent(observer, 'member-leave', 'go2'))) return false
      }
      return true
    }, 20_000, () => views(nodes))
    for (const observer of [go1, ts1, go3, ts3]) {
      expect(await sawEvent(observer, 'member-failed', 'ts2')).toBe(false)
      expect(await sawEvent(observer, 'member-failed', 'go2')).toBe(false)
    }
  })

  it('a killed TypeScript node is declared dead by the Go nodes, and the reverse', async () => {
    const [go1, ts1, , , go3, ts3] = nodes as [RunningNode, RunningNode, RunningNode, RunningNode, RunningNode, RunningNode]
    kill(ts3)
    kill(go3)
    await waitUntil('the Go node to declare ts3 and go3 dead', async () =>
      (await sawEvent(go1, 'member-failed', 'ts3')) && (await sawEvent(go1, 'member-failed', 'go3')), 60_000, () => views(nodes))
    await waitUntil('the TS node to declare go3 and ts3 dead', async () =>
      (await sawEvent(ts1, 'member-failed', 'go3')) && (await sawEvent(ts1, 'member-failed', 'ts3')), 60_000, () => views(nodes))
    for (const n of [go1, ts1]) expect(await memberNames(n)).toEqual(['go1', 'ts1'])
  })
})

describe.skipIf(!haveGo())('mixed Go/TypeScript memberlist cluster (encrypted)', () => {
  const key = Buffer.alloc(32, 0x5a).toString('base64')
  let nodes: RunningNode[] = []
  beforeAll(async () => { nodes = await startMixed(4, key) }, 120_000)
  afterAll(() => { for (const n of nodes) kill(n) })

  it('all see all; a node without the key cannot join', async () => {
    for (const n of nodes) expect((await memberNames(n)).length).toBe(4)
    const outsider = await startNode('ts', { name: 'nokey', join: [nodes[0]!.gossip] })
    try {
      await new Promise((r) => setTimeout(r, 1500))
      expect(await memberNames(nodes[0]!)).not.toContain('nokey')
    } finally {
      kill(outsider)
    }
  })

  it('a killed node is detected and a leave is seen across implementations', async () => {
    const [go1, ts1, go2, ts2] = nodes as [RunningNode, RunningNode, RunningNode, RunningNode]
    kill(ts2)
    await waitUntil('go nodes to declare ts2 dead', async () =>
      (await sawEvent(go1, 'member-failed', 'ts2e')) && (await sawEvent(go2, 'member-failed', 'ts2e')), 60_000, () => views(nodes))
    expect(await post(go2, '/leave')).toBe(200)
    await waitUntil('ts1 to see go2 leave', () => sawEvent(ts1, 'member-leave', 'go2e'), 20_000, () => views(nodes))
  })
})
