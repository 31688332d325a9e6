import type { Readable } from 'node:stream'
import {
  InmemSnapshotStore, InmemStore, InmemTransport, Raft, ServerSuffrage,
  type FSM, type Log, type SnapshotSink,
} from '@nomadic/raft'

// The replicated state machine: a counter that adds each command's number.
class Counter implements FSM {
  total = 0
  apply(log: Log): number {
    this.total += Number(log.Data.toString())
    return this.total
  }
  snapshot() {
    const total = this.total
    return {
      persist: async (sink: SnapshotSink) => {
        await sink.write(Buffer.from(String(total)))
        await sink.close()
      },
      release: () => {},
    }
  }
  async restore(source: Readable): Promise<void> {
    let text = ''
    for await (const chunk of source) text += chunk.toString()
    this.total = Number(text)
  }
}

// Three servers in one process, connected by in-memory transports.
const ids = ['a', 'b', 'c']
const transports = ids.map((id) => new InmemTransport({ address: id }))
for (const t of transports) for (const peer of transports) if (t !== peer) t.connect(peer)
const configuration = { Servers: ids.map((id) => ({ Suffrage: ServerSuffrage.Voter, ID: id, Address: id })) }
const fast = { heartbeatTimeout: 50, electionTimeout: 50, leaderLeaseTimeout: 50, commitTimeout: 5 }

const nodes = await Promise.all(ids.map(async (id, i) => {
  const store = new InmemStore()
  const fsm = new Counter()
  const raft = await Raft.create(
    { fsm, logStore: store, stableStore: store, snapshotStore: new InmemSnapshotStore(), transport: transports[i]! },
    { localID: id, ...fast },
  )
  await raft.bootstrapCluster(configuration)
  return { raft, fsm }
}))

// Wait for a leader, then apply commands through it.
const leader = await new Promise<Raft>((resolve) => {
  const check = setInterval(() => {
    const found = nodes.find((n) => n.raft.state === 'Leader')
    if (found !== undefined) {
      clearInterval(check)
      resolve(found.raft)
    }
  }, 10)
})
let response: unknown
for (const n of [1, 2, 3, 4]) ({ response } = await leader.apply(Buffer.from(String(n))))
await leader.barrier()

export const result = { leader: leader.id, response, totals: nodes.map((n) => n.fsm.total) }
await Promise.all(nodes.map((n) => n.raft.shutdown()))
