/**
 * kill -9 under load: three nomadic-raftnode processes on the write-ahead log, clients applying
 * distinct entries; the leader is killed, then a follower, both restart from their data
 * directories. Every acknowledged apply must be in every FSM (the FSM counts entries, so its
 * count can be no lower than the acknowledged applies and no higher than the attempted ones), and
 * all FSMs agree. Also: garbage on a live node's raft port does not disturb the cluster.
 */
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { SeededRandom } from '@nomadic/runtime'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cluster, ensureBuilt, sleep, type RaftNodeProcess } from './cluster.js'

/** Clients that apply distinct entries through whichever node is the leader, until stopped. */
function startClients(cluster: Cluster, workers: number): { stop: () => Promise<{ acked: Set<string>; attempted: Set<string> }> } {
  let running = true
  const acked = new Set<string>()
  const attempted = new Set<string>()
  let seq = 0
  let leader: RaftNodeProcess | undefined
  const worker = async (): Promise<void> => {
    while (running) {
      if (leader === undefined || !leader.running) {
        leader = await cluster.waitLeader(20_000, cluster.nodes.filter((n) => n.running)).catch(() => undefined)
        if (leader === undefined) continue
      }
      const data = `entry-${seq++}`
      attempted.add(data)
      if (await leader.apply(Buffer.from(data))) acked.add(data)
      else {
        leader = undefined
        await sleep(50)
      }
    }
  }
  const all = Array.from({ length: workers }, worker)
  return {
    async stop() {
      running = false
      await Promise.all(all)
      return { acked, attempted }
    },
  }
}

/** The entries a node applied since its last start, in order (RAFTNODE_APPLY_LOG). */
function appliedSequence(path: string): Array<{ index: number; data: string }> {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    const [index, hex] = line.split(' ') as [string, string]
    return { index: Number(index), data: Buffer.from(hex ?? '', 'hex').toString() }
  })
}

describe('crash and bad input on nomadic-raftnode', () => {
  let cluster: Cluster | undefined

  beforeAll(() => ensureBuilt())
  afterEach(async () => {
    await cluster?.stop()
    cluster = undefined
  })

  it('kill -9 of the leader and of a follower under load loses no acknowledged apply', async () => {
    cluster = await Cluster.create(['ts', 'ts', 'ts'], 'disk')
    for (const n of cluster.nodes) n.env = { RAFTNODE_APPLY_LOG: join(cluster.base, `${n.id}.applied`) }
    cluster.start()
    await cluster.waitLeader()
    const clients = startClients(cluster, 16)
    await sleep(1000)

    const leader = await cluster.waitLeader()
    await leader.kill()
    await sleep(1500)
    leader.start()

    await sleep(1000)
    const current = await cluster.waitLeader()
    const follower = cluster.nodes.find((n) => n !== current && n.running)!
    await follower.kill()
    await sleep(1000)
    follower.start()
    await sleep(1000)

    const { acked, attempted } = await clients.stop()
    expect(acked.size).toBeGreaterThan(100)
    // A last apply after the clients stop carries the final commit index to everyone.
    const final = await cluster.waitLeader()
    expect(await final.apply(Buffer.from('final'))).toBe(true)
    const states = await cluster.waitConverged(acked.size + 1)
    expect(new Set(states.map((s) => s.hash)).size).toBe(1)

    // Every node applied the same sequence (each restarted node replayed its log from the WAL),
    // with every acknowledged entry in it, each once, and nothing that was never sent.
    const sequences = cluster.nodes.map((n) => appliedSequence(join(cluster!.base, `${n.id}.applied`)))
    for (const seq of sequences) expect(seq).toEqual(sequences[0])
    const applied = sequences[0]!.map((e) => e.data)
    expect(new Set(applied).size).toBe(applied.length)
    const appliedSet = new Set(applied)
    for (const data of acked) expect(appliedSet.has(data), `acknowledged ${data} is missing`).toBe(true)
    for (const data of applied) expect(attempted.has(data) || data === 'final', `${data} was never sent`).toBe(true)
    expect(applied.length).toBe(states[0]!.count)
  })

  it('a restarted node cuts a torn WAL tail and catches up, but refuses a WAL corrupted before its tail', async () => {
    cluster = await Cluster.create(['ts', 'ts', 'ts'], 'disk')
    cluster.start()
    const leader = await cluster.waitLeader()
    expect((await leader.load(500, 128, 16)).errors).toBe(0)
    await cluster.waitConverged(500)
    const victim = cluster.nodes.find((n) => n !== leader)!
    await victim.kill()
    const walDir = join(victim.spec.dir, 'wal')
    const segment = join(walDir, readdirSync(walDir).filter((f) => f.endsWith('.wal')).sort().at(-1)!)

    // A torn write: half a record header and some bytes after the last complete record.
    appendFileSync(segment, Buffer.from([0, 0, 1, 0, 0xde, 0xad]))
    victim.start()
    expect(await leader.apply(Buffer.from('after the torn tail'))).toBe(true)
    await cluster.waitConverged(501)
    await victim.kill()

    // A flipped byte in the middle of the segment: the node must refuse to start.
    const bytes = readFileSync(segment)
    const offset = Math.floor(bytes.length / 2)
    bytes[offset] = bytes[offset]! ^ 0xff
    writeFileSync(segment, bytes)
    victim.start()
    const code = await new Promise<number | null>((resolve) => victim.child!.once('exit', (c) => resolve(c)))
    expect(code).toBe(1)
    expect(victim.stderr).toMatch(new RegExp(`corrupt record in ${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset \\d+`))
    expect(readFileSync(segment).equals(bytes)).toBe(true) // left as it was, for the operator
  })

  it('random bytes, oversized lengths and truncated frames on the raft port leave the node serving', async () => {
    cluster = await Cluster.create(['ts', 'ts', 'ts'], 'mem')
    cluster.start()
    const leader = await cluster.waitLeader()
    const victim = cluster.nodes.find((n) => n !== leader)!
    const [host, port] = victim.raftAddr.split(':') as [string, string]
    const send = (bytes: Buffer): Promise<void> => new Promise((resolve) => {
      const s = connect({ host, port: Number(port) }, () => {
        s.write(bytes)
        setTimeout(() => s.destroy(), 30)
      })
      s.on('error', () => {})
      s.on('close', () => resolve())
    })
    const rnd = new SeededRandom(42)
    for (let i = 0; i < 30; i++) {
      const junk = Buffer.alloc(1 + rnd.int(2048))
      for (let j = 0; j < junk.length; j++) junk[j] = rnd.int(256)
      await send(junk)
    }
    await send(Buffer.from('00' + '81a7456e7472696573' + 'dd7fffffff', 'hex')) // an array of 2^31 entries
    await send(Buffer.from('00' + '81a444617461' + 'db7fffffff', 'hex')) // a 2 GiB string
    await send(Buffer.from('0087a7456e7472696573c0a64c6561646572', 'hex')) // truncated heartbeat
    expect(await leader.apply(Buffer.from('still fine'))).toBe(true)
    const states = await cluster.waitConverged(1)
    expect(states.every((s) => s.count === 1)).toBe(true)
    expect((await victim.state())!.state).toBe('Follower')
  })
})
