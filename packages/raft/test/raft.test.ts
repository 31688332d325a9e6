import { afterEach, describe, expect, it } from 'vitest'
import { SimClock } from '@nomadic/runtime'
import { SimCluster, type SimNode } from '../src/testing/cluster.js'
import { encodeKVCommand, KVStateMachine, type KVResponse } from '../src/testing/kv.js'
import {
  CantBootstrapError, ConfigurationChangedError, LeadershipLostError, NotLeaderError, NothingNewToSnapshotError,
  ShutdownError, UnsupportedProtocolError,
} from '../src/errors.js'
import { Raft, bootstrapCluster, hasExistingState, recoverCluster, type Observation } from '../src/raft.js'
import { InmemStore } from '../src/store/inmem.js'
import { InmemSnapshotStore } from '../src/snapshot/inmem.js'
import { InmemTransport } from '../src/transport/inmem.js'
import { RPCType, ServerSuffrage, type Log } from '../src/types.js'
import { Readable } from 'node:stream'
import { encodeConfiguration } from '../src/configuration-codec.js'
import { EnqueueTimeoutError, PipelineNotSupportedError } from '../src/errors.js'

let cluster: SimCluster | undefined

afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const put = (key: string, value: string): Buffer => encodeKVCommand({ op: 'put', key, value, id: `${key}=${value}` })

async function start(n = 3, options = {}): Promise<{ c: SimCluster; leader: SimNode }> {
  const c = new SimCluster(7, options)
  cluster = c
  await c.bootstrap(Array.from({ length: n }, (_, i) => `n${i + 1}`))
  expect(await c.runUntil(() => c.leader() !== undefined, 10_000)).toBe(true)
  return { c, leader: c.leader()! }
}

async function settle<T>(c: SimCluster, promise: Promise<T>, ms = 5000): Promise<T> {
  const outcome = await c.await(promise, ms)
  if (outcome === undefined) throw new Error('did not settle')
  if ('error' in outcome && outcome.error !== undefined) throw outcome.error
  return outcome.value as T
}

describe('Raft on a three-node in-memory cluster', () => {
  it('elects one leader, applies commands, and replicates them to every FSM', async () => {
    const { c, leader } = await start()
    const results = []
    for (let i = 0; i < 20; i++) results.push(await settle(c, leader.raft!.apply(put('k', `v${i}`))))
    expect(results.map((r) => r.index)).toEqual([...results.map((r) => r.index)].sort((a, b) => a - b))
    expect((results[1]!.response as KVResponse).value).toBe('v0')
    const last = results[19]!.index
    expect(await c.runUntil(() => c.live().every((n) => n.raft!.appliedIndex() >= last), 2000)).toBe(true)
    for (const node of c.live()) expect(node.fsm!.data.get('k')).toBe('v19')
    expect(c.live().filter((n) => n.raft!.state === 'Leader')).toHaveLength(1)
    expect(leader.raft!.lastIndex()).toBe(last)
  })

  it('refuses applies on a follower with NotLeaderError naming the leader', async () => {
    const { c, leader } = await start()
    await c.run(500)
    const follower = c.live().find((n) => n !== leader)!
    const err = await follower.raft!.apply(put('a', '1')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotLeaderError)
    expect((err as NotLeaderError).leaderAddress).toBe(leader.id)
    expect((err as NotLeaderError).code).toBe('RAFT_NOT_LEADER')
    expect(follower.raft!.leader()).toEqual({ address: leader.id, id: leader.id })
  })

  it('resolves barrier and verifyLeader, and reports stats with hashicorp keys', async () => {
    const { c, leader } = await start()
    await settle(c, leader.raft!.apply(put('a', '1')))
    const barrier = await settle(c, leader.raft!.barrier())
    expect(leader.raft!.appliedIndex()).toBeGreaterThanOrEqual(barrier.index)
    await settle(c, leader.raft!.verifyLeader())
    const stats = leader.raft!.stats()
    for (const key of ['state', 'term', 'last_log_index', 'last_log_term', 'commit_index', 'applied_index', 'fsm_pending',
      'last_snapshot_index', 'last_snapshot_term', 'protocol_version', 'latest_configuration', 'latest_configuration_index',
      'num_peers', 'last_contact']) expect(stats).toHaveProperty(key)
    expect(stats.state).toBe('Leader')
    expect(stats.num_peers).toBe('2')
  })

  it('steps down when it cannot reach a quorum within the lease, failing uncommitted applies', async () => {
    const { c, leader } = await start()
    const states: string[] = []
    leader.raft!.on('state', (s) => states.push(s))
    c.network.isolate(leader.id, [...c.nodes.keys()])
    const pending = leader.raft!.apply(put('lost', 'x'))
    const outcome = await c.await(pending, 3000)
    expect(outcome?.error).toBeInstanceOf(LeadershipLostError)
    expect(leader.raft!.state).not.toBe('Leader')
    expect(states).toContain('Follower')
    await expect(leader.raft!.verifyLeader()).rejects.toBeInstanceOf(NotLeaderError)
    c.network.heal()
    expect(await c.runUntil(() => c.leader() !== undefined, 10_000)).toBe(true)
  })

  it('notifies observers and emits leadership events', async () => {
    const c = new SimCluster(11)
    cluster = c
    const seen: Observation[] = []
    const events: boolean[] = []
    c.onBoot = (node) => {
      node.raft!.registerObserver({ filter: (o) => o.data.type !== 'requestVote', notify: (o) => seen.push(o) })
      node.raft!.on('leadership', (isLeader) => events.push(isLeader))
    }
    await c.bootstrap(['n1', 'n2', 'n3'])
    expect(await c.runUntil(() => c.leader() !== undefined, 10_000)).toBe(true)
    expect(seen.some((o) => o.data.type === 'state' && o.data.state === 'Leader')).toBe(true)
    expect(seen.some((o) => o.data.type === 'leader' && o.data.leader.id === c.leader()!.id)).toBe(true)
    expect(seen.some((o) => o.data.type === 'peer' && !o.data.removed)).toBe(true)
    expect(events).toContain(true)
  })

  it('transfers leadership with TimeoutNow, to a chosen server or the most up-to-date one', async () => {
    const { c, leader } = await start(3)
    await settle(c, leader.raft!.apply(put('a', '1')))
    await settle(c, leader.raft!.leadershipTransfer())
    expect(await c.runUntil(() => c.leader() !== undefined && c.leader() !== leader, 3000)).toBe(true)
    const second = c.leader()!
    const target = c.live().find((n) => n !== second && n !== leader)!
    await settle(c, second.raft!.leadershipTransfer({ id: target.id, address: target.id }))
    expect(await c.runUntil(() => c.leader() === target, 3000)).toBe(true)
    expect((await settle(c, target.raft!.apply(put('a', '2')))).response).toEqual({ ok: true, value: '1' })
  })
})

describe('replication without pipelining', () => {
  it('stays stop-and-wait when the transport has no pipeline, without flooding the follower', async () => {
    const { c, leader } = await start(3)
    let calls = 0
    for (const node of c.live()) {
      const t = node.transport!
      t.appendEntriesPipeline = () => Promise.reject(new PipelineNotSupportedError())
      const original = t.appendEntries.bind(t)
      t.appendEntries = (id, target, request) => {
        calls++
        return original(id, target, request)
      }
    }
    for (let i = 0; i < 10; i++) await settle(c, leader.raft!.apply(put('k', `${i}`)))
    const last = leader.raft!.lastIndex()
    expect(await c.runUntil(() => c.live().every((n) => n.raft!.appliedIndex() >= last), 2000)).toBe(true)
    calls = 0
    await c.run(5000)
    // Idle: heartbeats (5–10 a second per follower) and commit refreshes, nothing more.
    expect(calls).toBeLessThan(2 * 5 * 15)
  })
})

describe('membership changes', () => {
  it('adds a voter that catches up, rejects a stale prevIndex, and removes servers', async () => {
    const { c, leader } = await start(3)
    for (let i = 0; i < 5; i++) await settle(c, leader.raft!.apply(put('k', `${i}`)))
    const fresh = await c.addEmptyNode('n4')
    const before = leader.raft!.getConfiguration()
    const added = await settle(c, leader.raft!.addVoter('n4', 'n4', before.index))
    expect(leader.raft!.getConfiguration().configuration.Servers.map((s) => s.ID)).toContain('n4')
    expect(await c.runUntil(() => fresh.raft!.appliedIndex() >= added.index, 3000)).toBe(true)
    expect(fresh.fsm!.data.get('k')).toBe('4')
    expect(leader.raft!.getCommittedConfiguration().index).toBe(added.index)

    const stale = await c.await(leader.raft!.removeServer('n4', before.index), 1000)
    expect(stale?.error).toBeInstanceOf(ConfigurationChangedError)
    expect((stale?.error as Error).message).toBe(`Configuration changed since ${before.index} (latest is ${added.index})`)

    await settle(c, leader.raft!.addNonvoter('n5', 'n5'))
    await settle(c, leader.raft!.demoteVoter('n4'))
    const servers = leader.raft!.getConfiguration().configuration.Servers
    expect(servers.find((s) => s.ID === 'n4')?.Suffrage).toBe(ServerSuffrage.Nonvoter)
    expect(servers.find((s) => s.ID === 'n5')?.Suffrage).toBe(ServerSuffrage.Nonvoter)
    await settle(c, leader.raft!.removeServer('n5'))
    expect(leader.raft!.getConfiguration().configuration.Servers.map((s) => s.ID)).not.toContain('n5')
  })

  it('makes a leader that removes itself step down and shut down', async () => {
    const { c, leader } = await start(3)
    await settle(c, leader.raft!.removeServer(leader.id))
    expect(await c.runUntil(() => leader.raft!.state === 'Shutdown', 2000)).toBe(true)
    expect(await c.runUntil(() => c.leader() !== undefined, 10_000)).toBe(true)
    expect(c.leader()!.raft!.getConfiguration().configuration.Servers.map((s) => s.ID)).not.toContain(leader.id)
  })

  it('refuses membership changes the protocol version does not allow', async () => {
    const transport = new InmemTransport({ address: 'solo', clock: new SimClock() })
    const store = new InmemStore()
    const raft = new Raft(
      { fsm: new KVStateMachine(), logStore: store, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport, clock: new SimClock() },
      { localID: 'solo', protocolVersion: 2 },
    )
    await raft.start()
    await expect(raft.addNonvoter('x', 'x')).rejects.toBeInstanceOf(UnsupportedProtocolError)
    await raft.shutdown()
  })
})

describe('snapshots', () => {
  it('takes user snapshots, compacts keeping trailingLogs, and installs snapshots on new servers', async () => {
    const { c, leader } = await start(3, { trailingLogs: 5, snapshotThreshold: 1_000_000 })
    for (let i = 0; i < 30; i++) await settle(c, leader.raft!.apply(put(`k${i % 4}`, `${i}`)))
    const snap = await settle(c, leader.raft!.snapshot())
    expect(snap.meta.Index).toBe(leader.raft!.appliedIndex())
    const opened = await snap.open()
    opened.reader.destroy()
    const bounds = leader.store.bounds()
    expect(bounds.last - bounds.first + 1).toBe(5)
    const again = await c.await(leader.raft!.snapshot(), 1000)
    expect(again?.error).toBeInstanceOf(NothingNewToSnapshotError)

    const fresh = await c.addEmptyNode('n4')
    const added = await settle(c, leader.raft!.addVoter('n4', 'n4'))
    expect(await c.runUntil(() => fresh.raft!.appliedIndex() >= added.index, 3000)).toBe(true)
    expect(fresh.fsm!.restores).toBe(1)
    expect(fresh.fsm!.fingerprint()).toBe(leader.fsm!.fingerprint())
  })

  it('snapshots by threshold on its own', async () => {
    const { c, leader } = await start(3, { snapshotThreshold: 10, snapshotInterval: 100, trailingLogs: 2 })
    for (let i = 0; i < 25; i++) await settle(c, leader.raft!.apply(put('k', `${i}`)))
    await c.run(1000)
    for (const node of c.live()) expect(Number(node.raft!.stats().last_snapshot_index)).toBeGreaterThan(10)
  })

  it('restores the newest snapshot and replays the log on restart', async () => {
    const { c, leader } = await start(3, { trailingLogs: 2, snapshotThreshold: 1_000_000 })
    for (let i = 0; i < 10; i++) await settle(c, leader.raft!.apply(put('k', `${i}`)))
    await settle(c, leader.raft!.snapshot())
    for (let i = 10; i < 15; i++) await settle(c, leader.raft!.apply(put('k', `${i}`)))
    const follower = c.live().find((n) => n !== leader)!
    await c.run(500)
    await c.crash(follower.id)
    await c.restart(follower.id)
    expect(await c.runUntil(() => follower.fsm!.data.get('k') === '14', 5000)).toBe(true)
  })
})

describe('durability and lifecycle', () => {
  it('remembers its vote across a restart', async () => {
    const clock = new SimClock()
    const store = new InmemStore()
    const snapshots = new InmemSnapshotStore()
    const configuration = { Servers: ['x', 'a', 'b'].map((id) => ({ Suffrage: ServerSuffrage.Voter, ID: id, Address: id })) }
    const make = (): Raft => new Raft(
      { fsm: new KVStateMachine(), logStore: store, stableStore: store, snapshotStore: snapshots, transport: new InmemTransport({ address: 'x', clock }), clock },
      { localID: 'x' },
    )
    let raft = make()
    await raft.start()
    await raft.bootstrapCluster(configuration)
    const vote = (candidate: string) => new Promise<{ Granted: boolean; Term: number }>((resolve) => {
      const handler = (raft as unknown as { onRPC(rpc: unknown): void }).onRPC.bind(raft)
      handler({
        type: RPCType.RequestVote,
        command: { ProtocolVersion: 3, Term: 5, Candidate: Buffer.from(candidate), LastLogIndex: 10, LastLogTerm: 4, LeadershipTransfer: false },
        respond: (r: { Granted: boolean; Term: number }) => resolve(r),
      })
    })
    expect((await vote('a')).Granted).toBe(true)
    expect((await vote('a')).Granted).toBe(true)
    await raft.shutdown()
    raft = make()
    await raft.start()
    const second = await vote('b')
    expect(second.Granted).toBe(false)
    expect(second.Term).toBe(5)
    await raft.shutdown()
  })

  it('answers an RPC of an unsupported protocol version with an error', async () => {
    const clock = new SimClock()
    const store = new InmemStore()
    const raft = new Raft(
      { fsm: new KVStateMachine(), logStore: store, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport: new InmemTransport({ address: 'x', clock }), clock },
      { localID: 'x' },
    )
    await raft.start()
    const error = await new Promise<Error | undefined>((resolve) => {
      ;(raft as unknown as { onRPC(rpc: unknown): void }).onRPC({
        type: RPCType.TimeoutNow, command: { ProtocolVersion: 1 }, respond: (_r: unknown, e?: Error) => resolve(e),
      })
    })
    expect(error?.message).toBe('protocol version not supported')
    await raft.shutdown()
  })

  it('bootstraps only fresh stores, and recovers a cluster with a new configuration', async () => {
    const clock = new SimClock()
    const store = new InmemStore()
    const snapshots = new InmemSnapshotStore()
    const transport = new InmemTransport({ address: 'a', clock })
    const configuration = { Servers: [{ Suffrage: ServerSuffrage.Voter, ID: 'a', Address: 'a' }, { Suffrage: ServerSuffrage.Voter, ID: 'b', Address: 'b' }] }
    expect(await hasExistingState(store, store, snapshots)).toBe(false)
    await bootstrapCluster({ localID: 'a' }, store, store, snapshots, transport, configuration)
    expect(await hasExistingState(store, store, snapshots)).toBe(true)
    await expect(bootstrapCluster({ localID: 'a' }, store, store, snapshots, transport, configuration)).rejects.toBeInstanceOf(CantBootstrapError)
    await store.storeLog({ Index: 2, Term: 1, Type: 0, Data: put('r', '1'), Extensions: Buffer.alloc(0) })

    const solo = { Servers: [{ Suffrage: ServerSuffrage.Voter, ID: 'a', Address: 'a' }] }
    await recoverCluster({ localID: 'a' }, new KVStateMachine(), store, store, snapshots, transport, solo)
    expect(await store.lastIndex()).toBe(0)
    const [meta] = await snapshots.list()
    expect(meta?.Index).toBe(2)
    expect(meta?.Configuration).toEqual(solo)

    // The recovered single server elects itself and still has the entry.
    const fsm = new KVStateMachine()
    const raft = await Raft.create({ fsm, logStore: store, stableStore: store, snapshotStore: snapshots, transport, clock }, { localID: 'a' })
    for (let i = 0; i < 100 && raft.state !== 'Leader'; i++) await clock.advanceAsync(100)
    expect(raft.state).toBe('Leader')
    expect(fsm.data.get('r')).toBe('1')
    await raft.shutdown()
  })

  it('shuts down idempotently, settles every pending future, and leaves no timer', async () => {
    const clock = new SimClock()
    const store = new InmemStore()
    const transport = new InmemTransport({ address: 'a', clock })
    const raft = await Raft.create(
      { fsm: new KVStateMachine(), logStore: store, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport, clock },
      { localID: 'a' },
    )
    await raft.bootstrapCluster({ Servers: [{ Suffrage: 0, ID: 'a', Address: 'a' }, { Suffrage: 0, ID: 'b', Address: 'b' }] })
    await expect(raft.apply(put('a', '1'))).rejects.toBeInstanceOf(NotLeaderError)
    await raft.shutdown()
    await raft.shutdown()
    expect(raft.state).toBe('Shutdown')
    expect(clock.pending()).toBe(0)
    await expect(raft.apply(put('a', '1'))).rejects.toBeInstanceOf(ShutdownError)
    await expect(raft.snapshot()).rejects.toBeInstanceOf(ShutdownError)
  })

  it('fails inflight applies with ShutdownError when the leader shuts down', async () => {
    const { c, leader } = await start(3)
    c.network.isolate(leader.id, [...c.nodes.keys()])
    const pending = leader.raft!.apply(put('a', '1'))
    await c.run(50)
    await leader.raft!.shutdown()
    await expect(pending).rejects.toBeInstanceOf(ShutdownError)
  })
})

describe('InstallSnapshot on a follower', () => {
  async function follower(): Promise<{ raft: Raft; store: InmemStore; fsm: KVStateMachine }> {
    const clock = new SimClock()
    const store = new InmemStore()
    const fsm = new KVStateMachine()
    const configuration = { Servers: ['x', 'l'].map((id) => ({ Suffrage: ServerSuffrage.Voter, ID: id, Address: id })) }
    await bootstrapCluster({ localID: 'x' }, store, store, new InmemSnapshotStore(), new InmemTransport({ address: 'x', clock }), configuration)
    for (let i = 2; i <= 5; i++) await store.storeLog({ Index: i, Term: 1, Type: 0, Data: put('k', `${i}`), Extensions: Buffer.alloc(0) })
    const raft = await Raft.create(
      { fsm, logStore: store, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport: new InmemTransport({ address: 'x', clock }), clock },
      { localID: 'x' },
    )
    return { raft, store, fsm }
  }

  const install = (raft: Raft, lastTerm: number): Promise<{ Success: boolean }> => {
    const state = Buffer.from(JSON.stringify({ data: [['k', 'snap']], ops: ['s'], lastIndex: 4 }))
    return new Promise((resolve, reject) => {
      ;(raft as unknown as { onRPC(rpc: unknown): void }).onRPC({
        type: RPCType.InstallSnapshot,
        command: {
          ProtocolVersion: 3, SnapshotVersion: 1, Term: 2, Leader: Buffer.from('l'), LastLogIndex: 4, LastLogTerm: lastTerm,
          Peers: Buffer.alloc(0), Configuration: encodeConfiguration({ Servers: [{ Suffrage: 0, ID: 'x', Address: 'x' }, { Suffrage: 0, ID: 'l', Address: 'l' }] }),
          ConfigurationIndex: 1, Size: state.length,
        },
        reader: Readable.from([state], { objectMode: false }),
        respond: (r: { Success: boolean } | undefined, e?: Error) => (e !== undefined ? reject(e) : resolve(r!)),
      })
    })
  }

  it('drops a log that conflicts at the snapshot index (hashicorp/raft #697)', async () => {
    const { raft, store, fsm } = await follower()
    expect((await install(raft, 2)).Success).toBe(true)
    expect(store.bounds()).toEqual({ first: 0, last: 0 })
    expect(raft.lastIndex()).toBe(4)
    expect(raft.appliedIndex()).toBe(4)
    expect(fsm.data.get('k')).toBe('snap')
    await raft.shutdown()
  })

  it('keeps the entries after a matching snapshot index', async () => {
    const { raft, store } = await follower()
    expect((await install(raft, 1)).Success).toBe(true)
    expect(store.bounds()).toEqual({ first: 5, last: 5 })
    expect(raft.lastIndex()).toBe(5)
    await raft.shutdown()
  })
})

describe('enqueue timeout', () => {
  it('fails an apply that cannot enter the log within its timeout, and only that one', async () => {
    const clock = new SimClock()
    const store = new InmemStore()
    let slow = false
    // A disk that takes 200 ms per batch once `slow` is set.
    const logStore = Object.assign(Object.create(store) as InmemStore, {
      storeLogs: async (logs: readonly Log[]) => {
        if (slow) await clock.sleep(200)
        await store.storeLogs(logs)
      },
    })
    const transport = new InmemTransport({ address: 'a', clock })
    const raft = await Raft.create(
      { fsm: new KVStateMachine(), logStore, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport, clock },
      { localID: 'a' },
    )
    await raft.bootstrapCluster({ Servers: [{ Suffrage: 0, ID: 'a', Address: 'a' }] })
    for (let i = 0; i < 100 && raft.state !== 'Leader'; i++) await clock.advanceAsync(100)
    expect(raft.state).toBe('Leader')
    await clock.advanceAsync(10)
    slow = true
    const first = raft.apply(put('a', '1'), { timeout: 50 })
    await clock.advanceAsync(1)
    const second = raft.apply(put('a', '2'), { timeout: 50 }).catch((e: unknown) => e)
    await clock.advanceAsync(100)
    expect(await second).toBeInstanceOf(EnqueueTimeoutError)
    await clock.advanceAsync(200)
    expect((await first).response).toEqual({ ok: true, value: null })
    const aborted = new AbortController()
    const third = raft.apply(put('a', '3'), { signal: aborted.signal }).catch((e: unknown) => e)
    aborted.abort(new Error('caller gave up'))
    expect(((await third) as Error).message).toBe('caller gave up')
    await raft.shutdown()
  })
})

describe('pre-vote', () => {
  it('keeps a partitioned server from inflating its term', async () => {
    for (const preVote of [true, false]) {
      const { c, leader } = await start(3, { preVote })
      const follower = c.live().find((n) => n !== leader)!
      const term = follower.raft!.currentTermValue()
      c.network.isolate(follower.id, [...c.nodes.keys()])
      await c.run(15_000)
      if (preVote) expect(follower.raft!.currentTermValue()).toBe(term)
      else expect(follower.raft!.currentTermValue()).toBeGreaterThan(term + 2)
      c.network.heal()
      expect(await c.runUntil(() => c.leader() !== undefined && c.live().every((n) => n.raft!.leader().id !== ''), 10_000)).toBe(true)
      await c.stop()
      cluster = undefined
    }
  })
})
