/**
 * Fault scenarios in the manner of hashicorp/raft's fuzzy tests, and more. Each runs a cluster
 * under clients for a while, then heals it and checks liveness and the final state.
 */
import { shuffle, type SeededRandom } from '@nomadic/runtime'
import type { RaftOptions } from '../options.js'
import { SimCluster, type SimNode } from './cluster.js'

/** A named fault pattern. */
export interface Scenario {
  name: string
  /** Node count at the start. */
  nodes(random: SeededRandom): number
  /** Raft options beyond the simulation's defaults. */
  options?: Partial<RaftOptions>
  /** Injects faults while the clients run, for `duration` ms of simulated time. */
  faults(cluster: SimCluster, random: SeededRandom, duration: number): Promise<void>
}

const ids = (cluster: SimCluster): string[] => [...cluster.nodes.values()].filter((n) => !n.removed).map((n) => n.id)
const between = (random: SeededRandom, min: number, max: number): number => min + random.int(max - min + 1)

/** Runs `act` every few hundred ms until `duration` has passed. */
async function every(cluster: SimCluster, random: SeededRandom, duration: number, min: number, max: number, act: () => Promise<void>): Promise<void> {
  const end = cluster.clock.now() + duration
  while (cluster.clock.now() < end) {
    await act()
    await cluster.run(Math.min(between(random, min, max), Math.max(1, end - cluster.clock.now())))
  }
}

/** Splits the nodes into two random groups cut from each other. */
function randomPartition(cluster: SimCluster, random: SeededRandom): void {
  const all = shuffle(random, ids(cluster))
  const cut = 1 + random.int(Math.max(1, all.length - 1))
  cluster.network.partition(all.slice(0, cut), all.slice(cut))
}

export const scenarios: Scenario[] = [
  {
    name: 'leader-partition',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    async faults(cluster, random, duration) {
      await every(cluster, random, duration, 500, 2500, async () => {
        cluster.network.heal()
        const leader = cluster.leader()
        if (leader !== undefined && random.next() < 0.7) cluster.network.isolate(leader.id, ids(cluster))
        else if (random.next() < 0.5) randomPartition(cluster, random)
      })
    },
  },
  {
    name: 'slow-voters',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    async faults(cluster, random, duration) {
      cluster.network.maxDelay = 30
      await every(cluster, random, duration, 1000, 3000, async () => {
        cluster.network.slow.clear()
        const all = shuffle(random, ids(cluster))
        const slow = 1 + random.int(Math.floor(all.length / 2))
        for (const id of all.slice(0, slow)) cluster.network.slow.set(id, between(random, 20, 400))
        cluster.network.dropRate = random.next() * 0.05
      })
    },
  },
  {
    name: 'membership',
    nodes: () => 3,
    async faults(cluster, random, duration) {
      cluster.network.dropRate = 0.02
      let next = cluster.nodes.size + 1
      await every(cluster, random, duration, 500, 1500, async () => {
        const leader = cluster.leader()
        if (leader?.raft === undefined) return
        const members = leader.raft.getConfiguration().configuration.Servers
        const roll = random.next()
        if (roll < 0.35 && members.length < 5) {
          const node = await cluster.addEmptyNode(`n${next++}`)
          const add = random.next() < 0.8 ? leader.raft.addVoter(node.id, node.id) : leader.raft.addNonvoter(node.id, node.id)
          add.catch(() => {})
        } else if (roll < 0.6 && members.length > 3) {
          const victim = members.find((s) => s.ID !== leader.id)
          if (victim !== undefined) await removeAndRetire(cluster, leader, victim.ID)
        } else if (roll < 0.75 && members.length > 3) {
          await removeAndRetire(cluster, leader, leader.id)
        } else if (roll < 0.85) {
          cluster.network.isolate(leader.id, ids(cluster))
          await cluster.run(between(random, 200, 1500))
          cluster.network.heal()
          cluster.network.dropRate = 0.02
        }
      })
    },
  },
  {
    name: 'leadership-transfer',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    async faults(cluster, random, duration) {
      cluster.network.dropRate = 0.01
      await every(cluster, random, duration, 300, 1500, async () => {
        const leader = cluster.leader()
        if (leader?.raft === undefined) return
        if (random.next() < 0.8) leader.raft.leadershipTransfer().catch(() => {})
        else {
          const target = shuffle(random, ids(cluster).filter((id) => id !== leader.id))[0]
          if (target !== undefined) leader.raft.leadershipTransfer({ id: target, address: target }).catch(() => {})
        }
      })
    },
  },
  {
    name: 'snapshots',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    options: { snapshotThreshold: 8, trailingLogs: 4, snapshotInterval: 300 },
    async faults(cluster, random, duration) {
      await every(cluster, random, duration, 800, 2500, async () => {
        const down = [...cluster.nodes.values()].filter((n) => !n.removed && !n.up)
        for (const n of down) await cluster.restart(n.id)
        const leader = cluster.leader()
        const followers = cluster.live().filter((n) => n !== leader)
        const victim = followers[random.int(Math.max(1, followers.length))]
        if (victim !== undefined && random.next() < 0.6) await cluster.crash(victim.id)
        else if (victim !== undefined) cluster.network.isolate(victim.id, ids(cluster))
        if (leader?.raft !== undefined && random.next() < 0.5) leader.raft.snapshot().catch(() => {})
        await cluster.run(between(random, 500, 2000))
        cluster.network.heal()
      })
    },
  },
  {
    name: 'crashes',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    async faults(cluster, random, duration) {
      cluster.network.dropRate = 0.03
      cluster.network.duplicateRate = 0.03
      cluster.network.maxDelay = 50
      await every(cluster, random, duration, 300, 2000, async () => {
        const all = [...cluster.nodes.values()].filter((n) => !n.removed)
        const node = all[random.int(all.length)]!
        if (node.up) {
          const downCount = all.filter((n) => !n.up).length
          if (downCount < Math.floor((all.length - 1) / 2) || random.next() < 0.2) await cluster.crash(node.id)
        } else await cluster.restart(node.id)
      })
    },
  },
  {
    // Processes restart often and at once: whatever a node forgets on restart shows up here.
    name: 'restarts',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    async faults(cluster, random, duration) {
      // Slow links make elections overlap, so a node is asked by two candidates of one term.
      cluster.network.minDelay = 20
      cluster.network.maxDelay = 250
      // Restart right after a vote request arrived: a vote that is not durable gets granted twice.
      cluster.onBoot = (node) => node.raft!.registerObserver({
        filter: (o) => o.data.type === 'requestVote',
        notify: () => {
          if (random.next() < 0.3) cluster.bounce(node.id)
        },
      })
      await every(cluster, random, duration, 20, 400, async () => {
        // Often the leader: its own write may still be in flight while followers acknowledge.
        const all = cluster.live()
        const leader = cluster.leader()
        const node = leader !== undefined && random.next() < 0.5 ? leader : all[random.int(Math.max(1, all.length))]
        if (node === undefined) return
        await cluster.crash(node.id)
        if (random.next() < 0.7) await cluster.restart(node.id)
        else {
          await cluster.run(between(random, 1, 300))
          await cluster.restart(node.id)
        }
        // Leaders come and go often here: make room for an election now and then.
        if (cluster.leader() !== undefined && random.next() < 0.3) cluster.network.isolate(cluster.leader()!.id, ids(cluster))
        else if (random.next() < 0.5) {
          cluster.network.heal()
          cluster.network.minDelay = 20
          cluster.network.maxDelay = 250
        }
      })
    },
  },
  {
    name: 'chaos',
    nodes: (r) => (r.next() < 0.5 ? 3 : 5),
    options: { snapshotThreshold: 16, trailingLogs: 8, snapshotInterval: 500 },
    async faults(cluster, random, duration) {
      await every(cluster, random, duration, 200, 1500, async () => {
        const all = ids(cluster)
        cluster.network.heal()
        cluster.network.dropRate = random.next() * 0.1
        cluster.network.duplicateRate = random.next() * 0.05
        cluster.network.maxDelay = between(random, 2, 80)
        const roll = random.next()
        if (roll < 0.25) randomPartition(cluster, random)
        else if (roll < 0.45) {
          const [a, b] = shuffle(random, [...all])
          if (a !== undefined && b !== undefined) cluster.network.cutOneWay(a, b)
        } else if (roll < 0.7) {
          const node = cluster.nodes.get(all[random.int(all.length)]!)!
          if (node.up) await cluster.crash(node.id)
          else await cluster.restart(node.id)
        }
      })
    },
  },
]

/** Removes `id` through `leader`, then retires its process for good once the change commits. */
async function removeAndRetire(cluster: SimCluster, leader: SimNode, id: string): Promise<void> {
  const outcome = await cluster.await(leader.raft!.removeServer(id), 3000)
  if (outcome?.value === undefined) return
  const node = cluster.nodes.get(id)
  if (node === undefined) return
  node.removed = true
  await cluster.crash(id)
}
