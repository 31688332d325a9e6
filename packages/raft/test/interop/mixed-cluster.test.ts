/**
 * Clusters mixing nomadic-raftnode and hashicorp/raft 1.1.2 processes: either implementation
 * leads the other, a leader killed mid-load is replaced, and a follower far behind catches up
 * by InstallSnapshot from the other implementation. Every FSM ends with the same count and hash.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, ensureBuilt, sleep, type Kind, type RaftNodeProcess } from './cluster.js'
import { buildGo, haveGo } from './go.js'

describe.skipIf(!haveGo())('mixed TypeScript / hashicorp clusters', () => {
  let cluster: Cluster | undefined

  beforeAll(() => {
    ensureBuilt()
    buildGo('raftnode-go')
  })
  afterEach(async () => {
    await cluster?.stop()
    cluster = undefined
  })

  for (const [leaderKind, followerKind] of [['go', 'ts'], ['ts', 'go']] as Array<[Kind, Kind]>) {
    it(`a ${leaderKind} leader replicates to ${followerKind} followers`, async () => {
      cluster = await Cluster.create([leaderKind, followerKind, followerKind], 'mem')
      // Only n1 has a configuration, so only n1 can campaign: it becomes the leader.
      cluster.start(['n1'])
      const leader = await cluster.waitLeader()
      expect(leader.id).toBe('n1')
      const result = await leader.load(2000, 128, 64)
      expect(result).toMatchObject({ ops: 2000, errors: 0 })
      expect(await leader.apply(Buffer.from('one more'))).toBe(true)
      const states = await cluster.waitConverged(2001)
      expect(new Set(states.map((s) => s.hash)).size).toBe(1)
      expect(states.map((s) => s.count)).toEqual([2001, 2001, 2001])
    })
  }

  it('a leader killed mid-load is replaced and the survivors agree; it rejoins and catches up', async () => {
    cluster = await Cluster.create(['go', 'ts', 'go'], 'disk')
    cluster.start()
    const leader = await cluster.waitLeader()
    const load = leader.load(200_000, 128, 64).catch(() => undefined)
    await sleep(700)
    await leader.kill()
    await load
    const survivors = cluster.nodes.filter((n) => n !== leader)
    const next = await cluster.waitLeader(20_000, survivors)
    expect(next).not.toBe(leader)
    expect(await next.apply(Buffer.from('after the crash'))).toBe(true)
    const [a] = await cluster.waitConverged(1)
    leader.start()
    const states = await cluster.waitConverged(a!.count)
    expect(states.length).toBe(3)
    expect(new Set(states.map((s) => s.hash)).size).toBe(1)
  })

  for (const [leaderKind, laggardKind] of [['go', 'ts'], ['ts', 'go']] as Array<[Kind, Kind]>) {
    it(`a ${laggardKind} follower far behind catches up by InstallSnapshot from a ${leaderKind} leader`, async () => {
      cluster = await Cluster.create([leaderKind, leaderKind, laggardKind], 'disk', {
        RAFTNODE_SNAPSHOT_INTERVAL_MS: '100',
        RAFTNODE_SNAPSHOT_THRESHOLD: '500',
        RAFTNODE_TRAILING_LOGS: '100',
      })
      const [n1, n2, n3] = cluster.nodes as [RaftNodeProcess, RaftNodeProcess, RaftNodeProcess]
      n1.start({ bootstrap: true })
      n2.start({ bootstrap: true })
      const leader = await cluster.waitLeader(20_000, [n1, n2])
      expect((await leader.load(3000, 128, 64)).errors).toBe(0)
      // Give the leader time to snapshot and compact past what a fresh node could replay.
      await sleep(1500)
      // Empty, and never snapshotting by itself: a snapshot in its store came from the leader.
      n3.start({ env: { RAFTNODE_SNAPSHOT_THRESHOLD: '100000000', RAFTNODE_SNAPSHOT_INTERVAL_MS: '600000' } })
      const states = await cluster.waitConverged(3000)
      expect(states.map((s) => s.count)).toEqual([3000, 3000, 3000])
      expect(new Set(states.map((s) => s.hash)).size).toBe(1)
      const installed = readdirSync(join(n3.spec.dir, 'snapshots')).filter((d) => !d.endsWith('.tmp'))
      expect(installed.length).toBe(1)
      const meta = JSON.parse(readFileSync(join(n3.spec.dir, 'snapshots', installed[0]!, 'meta.json'), 'utf8')) as { Index: number }
      expect(meta.Index).toBeGreaterThan(500)
    })
  }
})
