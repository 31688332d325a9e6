import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildGo, haveGo, get, kill, killAll, post, postJson, startNode, views, waitUntil,
  type EventJson, type MemberJson, type RunningNode,
} from './procs.js'

// Mixed encrypted clusters of Go serf 0.9.4 agents and nomadic serf agents on 127.0.0.1.
const env = { GOSSIP_DEBUG: '1', GOSSIP_REAP_INTERVAL: '1000', GOSSIP_RECONNECT_TIMEOUT: '8000', GOSSIP_TOMBSTONE_TIMEOUT: '8000' }
const key1 = Buffer.alloc(32, 0x11).toString('base64')
const key2 = Buffer.alloc(32, 0x22).toString('base64')
const dir = mkdtempSync(join(tmpdir(), 'gossip-serf-interop-'))

interface KeysJson { error: string; numNodes: number; numResp: number; numErr: number; keys: Record<string, number> }

beforeAll(() => { if (haveGo()) buildGo('gonode') }, 180_000)
afterAll(() => {
  killAll()
  rmSync(dir, { recursive: true, force: true })
})

const members = (n: RunningNode): Promise<MemberJson[]> => get<MemberJson[]>(n, '/members')
const status = async (n: RunningNode, name: string): Promise<string | undefined> => (await members(n)).find((m) => m.name === name)?.status
const events = (n: RunningNode): Promise<EventJson[]> => get<EventJson[]>(n, '/events')

describe.skipIf(!haveGo())('mixed Go/TypeScript serf cluster (encrypted)', () => {
  const nodes: RunningNode[] = []
  beforeAll(async () => {
    const layout: Array<['go' | 'ts', string]> = [['go', 'go1'], ['ts', 'ts1'], ['go', 'go2'], ['ts', 'ts2']]
    for (const [impl, name] of layout) {
      const seed = nodes.length > 0 ? [nodes[nodes.length - 1]!.gossip] : undefined
      nodes.push(await startNode(impl, { layer: 'serf', name, join: seed, key: key1, tags: { impl, role: 'server' }, env, snapshot: join(dir, `${name}.snap`) }))
    }
    await waitUntil('all serf agents to see 4 alive', async () => {
      for (const n of nodes) if ((await members(n)).filter((m) => m.status === 'alive').length !== 4) return false
      return true
    }, 30_000, () => views(nodes))
  }, 60_000)

  it('tags are seen both ways', async () => {
    for (const n of nodes) {
      for (const m of await members(n)) expect(m.tags).toEqual({ impl: m.name.slice(0, 2), role: 'server' })
    }
  })

  it('user events and queries cross implementations', async () => {
    const [go1, ts1] = nodes as [RunningNode, RunningNode]
    expect(await post(ts1, '/event?name=from-ts&coalesce=0', 'p1')).toBe(200)
    expect(await post(go1, '/event?name=from-go&coalesce=1', 'p2')).toBe(200)
    await waitUntil('events everywhere', async () => {
      for (const n of nodes) {
        const ev = await events(n)
        if (!ev.some((e) => e.type === 'user' && e.name === 'from-ts' && e.payload === 'p1')) return false
        if (!ev.some((e) => e.type === 'user' && e.name === 'from-go' && e.payload === 'p2')) return false
      }
      return true
    }, 15_000, () => views(nodes))
    for (const origin of [go1, ts1]) {
      const r = await postJson<{ responses: Record<string, string> }>(origin, '/query?name=who', 'x')
      expect(r.responses).toEqual({ go1: 'ack:go1:x', ts1: 'ack:ts1:x', go2: 'ack:go2:x', ts2: 'ack:ts2:x' })
    }
  })

  it('a tag update propagates', async () => {
    const [, ts1, go2] = nodes as [RunningNode, RunningNode, RunningNode]
    expect(await post(ts1, '/tags?impl=ts&role=server&zone=b')).toBe(200)
    expect(await post(go2, '/tags?impl=go&role=server&zone=c')).toBe(200)
    await waitUntil('tag updates everywhere', async () => {
      for (const n of nodes) {
        const ms = await members(n)
        if (ms.find((m) => m.name === 'ts1')?.tags.zone !== 'b' || ms.find((m) => m.name === 'go2')?.tags.zone !== 'c') return false
      }
      return true
    }, 15_000, () => views(nodes))
  })

  it('key rotation driven from either side reaches every member', async () => {
    const [go1, ts1] = nodes as [RunningNode, RunningNode]
    const install = await postJson<KeysJson>(ts1, `/keys/install?key=${encodeURIComponent(key2)}`)
    expect(install).toMatchObject({ error: '', numNodes: 4, numResp: 4, numErr: 0 })
    const use = await postJson<KeysJson>(go1, `/keys/use?key=${encodeURIComponent(key2)}`)
    expect(use).toMatchObject({ error: '', numResp: 4, numErr: 0 })
    const remove = await postJson<KeysJson>(ts1, `/keys/remove?key=${encodeURIComponent(key1)}`)
    expect(remove).toMatchObject({ error: '', numResp: 4, numErr: 0 })
    for (const n of [go1, ts1]) {
      const list = await get<KeysJson>(n, '/keys')
      expect(list.keys).toEqual({ [key2]: 4 })
    }
  })

  it('a graceful leave is seen as left; a killed member as failed, then reaped', async () => {
    const [go1, ts1, go2, ts2] = nodes as [RunningNode, RunningNode, RunningNode, RunningNode]
    expect(await post(go2, '/leave')).toBe(200)
    await waitUntil('go2 left everywhere', async () => (await status(go1, 'go2')) === 'left' && (await status(ts1, 'go2')) === 'left', 15_000, () => views(nodes))
    kill(ts2)
    await waitUntil('ts2 failed everywhere', async () => (await status(go1, 'ts2')) === 'failed' && (await status(ts1, 'ts2')) === 'failed', 60_000, () => views(nodes))
    await waitUntil('ts2 reaped everywhere', async () =>
      (await events(go1)).some((e) => e.type === 'member-reap' && e.name === 'ts2') &&
      (await events(ts1)).some((e) => e.type === 'member-reap' && e.name === 'ts2'), 30_000, () => views(nodes))
  })

  it('a restarted agent rejoins from its snapshot', async () => {
    const [go1, ts1] = nodes as [RunningNode, RunningNode]
    const bind = ts1.gossip
    kill(ts1)
    await waitUntil('ts1 failed at go1', async () => (await status(go1, 'ts1')) === 'failed', 60_000, () => views(nodes))
    // Same address and snapshot, no -join: the snapshot's alive nodes are rejoined.
    const again = await startNode('ts', { layer: 'serf', name: 'ts1', key: key2, tags: { impl: 'ts', role: 'server' }, env, snapshot: join(dir, 'ts1.snap'), bind })
    nodes[1] = again
    await waitUntil('ts1 alive again at go1', async () => (await status(go1, 'ts1')) === 'alive', 30_000, () => views(nodes))
    expect((await members(again)).find((m) => m.name === 'go1')?.status).toBe('alive')
  })
})
